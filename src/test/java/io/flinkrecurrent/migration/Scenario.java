package io.flinkrecurrent.migration;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.flinkrecurrent.flink.KeyedEvent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One savepoint of a release, as {@code migration/<release>/<scenario>/scenario.json} describes it: the
 * job that took it (the operator, its options, the backend and the savepoint format), the events (all of
 * them, {@code events.jsonl}: those before the savepoint and the continuation fed after the restore), the
 * model updates, and where the savepoint falls. {@link ScenarioJobs} builds the job from it with the
 * current API; {@link PlainEngine} computes its outputs without Flink.
 *
 * <p>Paths (the model, the update files) are relative to the module's directory, where Maven runs the
 * tests and where the generator must be run: a savepoint's model chain records an update's file by the
 * path the update named, so a relative one is what keeps the committed savepoint usable on any machine.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public final class Scenario {
    /** The resources' root: {@code migration/<release>/<scenario>/}. */
    public static final String ROOT = "migration";
    static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** {@code datastream}: {@code Recurrent.builder} over {@link KeyedEvent}s; {@code sql}: the {@code recurrent} function. */
    public String kind = "datastream";
    public String name;
    public String release;
    /** What the savepoint holds, in words (for the reader of the resources). */
    public String description;
    public String backend = "hashmap";
    /** {@code CANONICAL} or {@code NATIVE}. */
    public String format = "CANONICAL";
    /** The parallelism the savepoint was taken at, and the one the test restores it at. */
    public int parallelism = 2;
    public int restoreParallelism = 2;
    /** The operator's uid (DataStream: its name too; SQL: the function's {@code uid} argument). */
    public String uid = "recurrent";
    /** The job's own model (relative to the module), or null for an operator that starts from its updates. */
    public String model;
    public int inputSize;
    /** The version name the job's own model's outputs carry (swappable operators). */
    public String modelVersion;
    /** Events {@code 0 .. savepointAt-1} were applied (or wait) before the savepoint; the rest is the continuation. */
    public int savepointAt;
    public Options options = new Options();
    /** Model updates, each sent once the events before {@link Update#beforeEvent} are in (gated by the generator). */
    public List<Update> updates = new ArrayList<>();
    /** The savepoint's folder, relative to the scenario's. */
    public String savepoint = "savepoint";

    /** The operator's options (0 or null: not set). */
    @JsonInclude(JsonInclude.Include.NON_DEFAULT)
    public static final class Options {
        public int microBatch;
        public long microBatchDelayMs;
        public boolean ordered;
        public long latenessMs;
        public long idleGapMs;
        /** {@code EVENT_TIME} (the only one a replay can reproduce). */
        public String idleDomain;
        public long resetAfterSteps;
        public int keepInputs;
        public int maxBufferedPerKey;
        public long maxBufferedPerSubtask;
        /** {@code REJECT} or {@code RELEASE}. */
        public String bufferFull;
        /** {@code WAIT} or {@code REJECT}, for an operator without a model. */
        public String beforeFirstModel;
    }

    /** A model update on the operator's update stream. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static final class Update {
        public String kind;
        /** The file, relative to the module (null for PROMOTE and STOP_SHADOW). */
        public String file;
        public String sha256;
        public String version;
        public String policy;
        public int warmUp;
        /** Sent after the events before this index are in, and before this event. */
        public int beforeEvent;
    }

    /** One line of {@code events.jsonl}: an event, and the watermark the source emits right after it (if any). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static final class Event implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        public long id;
        public String key;
        public float[] input;
        public boolean reset;
        /** Event time, or null for none. */
        public Long ts;
        /** A watermark emitted right after this event, or null. */
        public Long watermark;

        public KeyedEvent toKeyedEvent() {
            KeyedEvent e = new KeyedEvent(key, input.clone(), reset, ts == null ? KeyedEvent.NO_TIMESTAMP : ts);
            e.id = id;
            return e;
        }
    }

    public static Scenario read(Path dir) {
        try {
            return JSON.readValue(dir.resolve("scenario.json").toFile(), Scenario.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir.resolve("scenario.json"), e);
        }
    }

    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        JSON.writeValue(dir.resolve("scenario.json").toFile(), this);
    }

    public static List<Event> readEvents(Path dir) {
        List<Event> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(dir.resolve("events.jsonl"))) {
                if (!line.isBlank()) {
                    out.add(JSON.readValue(line, Event.class));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir.resolve("events.jsonl"), e);
        }
        return out;
    }

    public static void writeEvents(Path dir, List<Event> events) throws IOException {
        ObjectMapper flat = new ObjectMapper();
        List<String> lines = new ArrayList<>();
        for (Event e : events) {
            lines.add(flat.writeValueAsString(e));
        }
        Files.write(dir.resolve("events.jsonl"), lines);
    }

    boolean sql() {
        return "sql".equals(kind);
    }

    /** Every release folder's scenarios under {@code root} ({@code migration/}), sorted: {@code 0.1/per-event-hashmap}... */
    public static List<Path> all(Path root) throws IOException {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (var releases = Files.list(root)) {
            for (Path r : releases.filter(Files::isDirectory).sorted().toList()) {
                try (var scenarios = Files.list(r)) {
                    scenarios.filter(s -> Files.isRegularFile(s.resolve("scenario.json"))).sorted().forEach(out::add);
                }
            }
        }
        return out;
    }
}
