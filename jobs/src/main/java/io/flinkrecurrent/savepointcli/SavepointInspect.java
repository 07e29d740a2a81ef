package io.flinkrecurrent.savepointcli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.flink.ModelReference;
import io.flinkrecurrent.model.ModelFiles;
import io.flinkrecurrent.options.Option;
import io.flinkrecurrent.options.OptionSet;
import io.flinkrecurrent.options.ParsedOptions;
import io.flinkrecurrent.savepoint.InspectedKey;
import io.flinkrecurrent.savepoint.ModelGeneration;
import io.flinkrecurrent.savepoint.SavepointContents;
import io.flinkrecurrent.savepoint.SavepointInspection;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** {@code savepoint inspect}: one JSON line per key of a recurrent operator in a savepoint. */
final class SavepointInspect {
    static final Option<String> SAVEPOINT = Option.text("savepoint", "PATH",
            "the savepoint or retained checkpoint: its directory or its _metadata file, a path or a URI (required)", null);
    static final Option<String> UID = Option.text("uid", "UID", "the recurrent operator's uid (its name() unless uid() was set)", "recurrent");
    static final Option<Path> MODEL = Option.path("model", "FILE",
            "a model file: each key says whether its state was written by this model (\"matches\")");
    static final Option<Boolean> STATE = Option.flag("state", "write each key's state (and its shadow's) in full, not only its norms");
    static final Option<Boolean> LIST = Option.flag("list", "list the savepoint's operators (uids, ids, states) instead");
    static final Option<Path> OUT = Option.path("out", "FILE", "write the lines to FILE (default: stdout)");
    static final OptionSet OPTIONS = OptionSet.of(SAVEPOINT, UID, MODEL, STATE, LIST, OUT);

    private static final JsonFactory JSON = new JsonFactory();

    private SavepointInspect() {}

    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        ParsedOptions p = OPTIONS.parse("savepoint", args, 1);
        String path = p.require(SAVEPOINT, "");
        SavepointInspection inspection;
        try {
            inspection = SavepointInspection.open(path);
        } catch (IOException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
        SavepointContents contents = inspection.contents();
        if (p.get(LIST)) {
            out.println(contents.holds());
            return 0;
        }
        String uid = p.get(UID);
        try {
            contents.recurrent(uid);
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
        RecurrentNetwork model = null;
        String sha = null;
        if (p.has(MODEL)) {
            model = ModelFiles.load(p.get(MODEL)).network();
            sha = ModelReference.sha256(p.get(MODEL).toString());
        }
        List<ModelGeneration> gens = inspection.models(SavepointInspection.localEnvironment(contents, uid), uid);
        StreamExecutionEnvironment env = SavepointInspection.localEnvironment(contents, uid);
        List<InspectedKey> keys = new ArrayList<>();
        try (CloseableIterator<InspectedKey> it = inspection.keys(env, uid).executeAndCollect("savepoint inspect " + uid)) {
            it.forEachRemaining(keys::add);
        }
        keys.sort(Comparator.comparing((InspectedKey k) -> k.key));
        OutputStream sink = p.has(OUT) ? Files.newOutputStream(p.get(OUT)) : out;
        try {
            Lines lines = new Lines(model, sha, gens, p.get(STATE));
            for (InspectedKey k : keys) {
                sink.write(lines.line(k).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                sink.write('\n');
            }
            sink.flush();
        } finally {
            if (sink != out) {
                sink.close();
            }
        }
        err.println("savepoint inspect: " + keys.size() + " keys of '" + uid + "'"
                + (gens.isEmpty() ? "" : ", model generations " + gens.stream().map(g -> g.generation() + "=" + g.version()
                        + (g.shadow() ? " (shadow)" : "")).toList()));
        return 0;
    }

    /** The JSON line of a key. */
    static final class Lines {
        private final RecurrentNetwork model;
        private final String sha;
        private final List<ModelGeneration> gens;
        private final boolean withState;

        Lines(RecurrentNetwork model, String sha, List<ModelGeneration> gens, boolean withState) {
            this.model = model;
            this.sha = sha;
            this.gens = gens;
            this.withState = withState;
        }

        String line(InspectedKey k) throws IOException {
            java.io.StringWriter w = new java.io.StringWriter();
            try (JsonGenerator g = JSON.createGenerator(w)) {
                g.writeStartObject();
                g.writeStringField("key", k.key);
                if (k.hasState) {
                    g.writeNumberField("seq", k.seq);
                    g.writeNumberField("since_reset", k.sinceReset);
                    g.writeObjectFieldStart("model");
                    g.writeStringField("fingerprint", Long.toHexString(k.fingerprint));
                    ModelGeneration gen = ModelGeneration.of(k.fingerprint, gens);
                    if (gen != null) {
                        g.writeStringField("version", gen.version());
                        g.writeNumberField("generation", gen.generation());
                        g.writeBooleanField("current", isCurrent(gen));
                    } else if (!gens.isEmpty()) {
                        g.writeNullField("version"); // a tag no generation the operator keeps has: reset at the key's next event
                    }
                    if (model != null) {
                        g.writeBooleanField("matches", ModelGeneration.writtenBy(k.fingerprint, model.fingerprint(), sha, gens)
                                && (k.state == null || k.state.length == model.stateSize()));
                    }
                    g.writeEndObject();
                    time(g, "event_time", k.lastEventTime);
                    time(g, "processing_time", k.lastProcessingTime);
                    time(g, "idle_timer", k.idleTimer);
                    if (k.state == null) {
                        g.writeBooleanField("state_dropped", true);
                    } else {
                        g.writeNumberField("state_size", k.state.length);
                        g.writeNumberField("state_l2", InspectedKey.l2(k.state));
                        g.writeNumberField("state_max_abs", InspectedKey.maxAbs(k.state));
                        if (withState) {
                            floats(g, "state", k.state);
                        }
                    }
                } else {
                    g.writeBooleanField("state_dropped", true); // no state entry: only waiting events
                }
                if (k.idleTimers.length > 0) {
                    g.writeArrayFieldStart("idle_timers");
                    for (long t : k.idleTimers) {
                        g.writeNumber(t);
                    }
                    g.writeEndArray();
                }
                if (k.hasShadow) {
                    g.writeObjectFieldStart("shadow");
                    g.writeStringField("fingerprint", Long.toHexString(k.shadowFingerprint));
                    ModelGeneration sg = ModelGeneration.of(k.shadowFingerprint, gens);
                    g.writeStringField("version", sg == null ? null : sg.version());
                    g.writeNumberField("seq", k.shadowSeq);
                    g.writeNumberField("state_l2", InspectedKey.l2(k.shadowState));
                    g.writeNumberField("state_max_abs", InspectedKey.maxAbs(k.shadowState));
                    if (withState) {
                        floats(g, "state", k.shadowState);
                    }
                    g.writeEndObject();
                }
                if (k.keptInputs != null) {
                    float[][] kept = model == null ? null : k.keptInputs(model.inputSize());
                    if (kept != null) {
                        g.writeArrayFieldStart("kept_inputs");
                        for (float[] x : kept) {
                            floats(g, null, x);
                        }
                        g.writeEndArray();
                    } else {
                        floats(g, "kept_inputs_ring", k.keptInputs); // [count, next, x...]: give --model for the inputs
                    }
                }
                if (k.pendingCount > 0 || k.pendingTimes.length > 0) {
                    g.writeObjectFieldStart("pending");
                    g.writeNumberField("count", k.pendingCount);
                    g.writeArrayFieldStart("times");
                    for (long t : k.pendingTimes) {
                        g.writeNumber(t);
                    }
                    g.writeEndArray();
                    g.writeArrayFieldStart("events");
                    for (int i = 0; i < k.pendingEvents.length; i++) {
                        g.writeStartObject();
                        g.writeNumberField("time", k.pendingEventTimes[i]);
                        g.writeStringField("event", k.pendingEvents[i]);
                        g.writeEndObject();
                    }
                    g.writeEndArray();
                    g.writeEndObject();
                }
                if (k.awaitingCount > 0 || k.awaitingEvents.length > 0) {
                    g.writeObjectFieldStart("awaiting_model");
                    g.writeNumberField("count", k.awaitingCount);
                    g.writeArrayFieldStart("events");
                    for (String e : k.awaitingEvents) {
                        g.writeString(e);
                    }
                    g.writeEndArray();
                    g.writeEndObject();
                }
                g.writeEndObject();
            }
            return w.toString();
        }

        private boolean isCurrent(ModelGeneration gen) {
            long latest = -1;
            for (ModelGeneration x : gens) {
                if (!x.shadow()) {
                    latest = Math.max(latest, x.generation());
                }
            }
            return gen.generation() == latest;
        }

        private static void time(JsonGenerator g, String name, long t) throws IOException {
            if (t == Long.MIN_VALUE) {
                g.writeNullField(name);
            } else {
                g.writeNumberField(name, t);
            }
        }

        private static void floats(JsonGenerator g, String name, float[] v) throws IOException {
            if (name != null) {
                g.writeFieldName(name);
            }
            if (v == null) {
                g.writeNull();
                return;
            }
            g.writeStartArray();
            for (float f : v) {
                g.writeNumber(f);
            }
            g.writeEndArray();
        }
    }
}
