package io.flinkrecurrent.migration;

import io.flinkrecurrent.flink.SwapTesting;

import io.flinkrecurrent.flink.ModelReference;
import io.flinkrecurrent.model.SafeTensors;
import io.flinkrecurrent.model.Tensor;
import io.flinkrecurrent.testing.FlinkTesting;
import io.flinkrecurrent.testing.Gates;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Takes the savepoints the migration test restores ({@link SavepointMigrationITCase}) with the code of
 * this build, and writes each as a test resource: {@code src/test/resources/migration/<release>/<scenario>/}
 * with {@code scenario.json} (the job), {@code events.jsonl} (every event: before the savepoint and the
 * continuation), the model files its updates name, {@code savepoint/} (Flink's savepoint directory, as
 * {@code stop-with-savepoint} wrote it), {@code expected.jsonl} (the continuation's records, computed by
 * {@link PlainEngine}, not by Flink) and {@code names.json} (the state, timer and broadcast state names
 * the savepoint holds, per operator uid).
 *
 * <p>Each scenario is a real job on a local mini-cluster at parallelism 2: its events held before each
 * model update until every subtask has applied it ({@link Steering}) and at
 * the savepoint, stopped there with a savepoint (without draining: events waiting for the watermark stay
 * waiting). The job's outputs before the savepoint are checked against the plain engine first, so a
 * savepoint is only written when the job that took it was right.
 *
 * <p>Run it from the module's directory (the model references in a savepoint are relative to it), once
 * per release, before the release's code changes:
 * <pre>mvn -q -Dmaven.repo.local=... test-compile exec:exec -Pmigration-savepoints -Drelease=0.2</pre>
 * It refuses to overwrite a release's scenario: a savepoint of a release is what that release wrote,
 * never regenerated to make a failing migration test pass.
 */
public final class MigrationSavepointGenerator {
    static final String RESOURCES = "src/test/resources/" + Scenario.ROOT;
    static final String GOLDEN = "src/test/resources/golden/public/";
    /** The running job's metrics (one reporter per job: a mini-cluster closes its reporter when it ends). */
    private static InMemoryReporter reporter;

    private MigrationSavepointGenerator() {}

    public static void main(String[] args) throws Exception {
        String release = null;
        String only = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--release" -> release = args[++i];
                case "--only" -> only = args[++i];
                default -> throw new IllegalArgumentException("usage: --release <x.y> [--only <scenario>]");
            }
        }
        if (release == null || !release.matches("\\d+\\.\\d+")) {
            throw new IllegalArgumentException("--release <major.minor> is required (the project version's, e.g. 0.1)");
        }
        if (!Files.isDirectory(Path.of(GOLDEN))) {
            throw new IllegalStateException("run from the module's directory (" + GOLDEN + " not found)");
        }
        int written = 0;
        for (Definition d : definitions(release)) {
            if (only != null && !only.equals(d.scenario.name)) {
                continue;
            }
            Path dir = Path.of(RESOURCES, release, d.scenario.name);
            if (Files.exists(dir)) {
                System.out.println("exists, left as it is: " + dir);
                continue;
            }
            try {
                generate(d, dir);
            } catch (Exception | AssertionError e) {
                deleteRecursively(dir); // nothing half-written is left to be committed
                throw e;
            }
            written++;
        }
        System.out.println(written + " scenario(s) written under " + Path.of(RESOURCES, release));
        System.exit(0); // the mini-clusters' threads
    }

    /** A scenario to take: its description, its events, and files to write beside it first. */
    record Definition(Scenario scenario, List<Scenario.Event> events, Map<String, Path> variants, List<String> shows) {
        Definition(Scenario scenario, List<Scenario.Event> events, Map<String, Path> variants) {
            this(scenario, events, variants, List.of());
        }

        /** The continuation must have a record whose line contains each of {@code parts} (what the scenario is for). */
        Definition showing(String... parts) {
            return new Definition(scenario, events, variants, List.of(parts));
        }
    }

    // ------------------------------------------------------------------ the scenarios

    /** Events in order; their inputs from a hash of the id (multiples of 1/64 in [-2, 2], exact in any notation). */
    static final class Script {
        final int width;
        final List<Scenario.Event> events = new ArrayList<>();

        Script(int width) {
            this.width = width;
        }

        Script e(String key, Long ts) {
            Scenario.Event e = new Scenario.Event();
            e.id = events.size();
            e.key = key;
            e.ts = ts;
            e.input = new float[width];
            long h = (e.id + 1) * 0x9E3779B97F4A7C15L;
            for (int k = 0; k < width; k++) {
                h ^= h >>> 29;
                h *= 0xBF58476D1CE4E5B9L;
                e.input[k] = ((h >>> 40) % 257 - 128) / 64f;
            }
            events.add(e);
            return this;
        }

        Script e(String key, long ts) {
            return e(key, Long.valueOf(ts));
        }

        /** The last event resets its key first. */
        Script reset() {
            events.get(events.size() - 1).reset = true;
            return this;
        }

        /** A watermark right after the last event. */
        Script wm(long w) {
            events.get(events.size() - 1).watermark = w;
            return this;
        }

        int size() {
            return events.size();
        }
    }

    static Scenario base(String release, String name, String description) {
        Scenario s = new Scenario();
        s.release = release;
        s.name = name;
        s.description = description;
        return s;
    }

    static List<Definition> definitions(String release) {
        List<Definition> out = new ArrayList<>();
        out.add(perEvent(release, "per-event-hashmap", "hashmap", GOLDEN + "gru_i5_h16_l1_head2_sigmoid.safetensors", 5));
        out.add(perEvent(release, "per-event-rocksdb", "rocksdb", GOLDEN + "rnn_relu_i4_h8_l2_head1_linear.safetensors", 4));
        out.add(microBatched(release, "micro-batched-hashmap", "hashmap", "CANONICAL"));
        out.add(microBatched(release, "micro-batched-rocksdb-native", "rocksdb", "NATIVE"));
        out.add(eventTime(release));
        out.add(eventTimeMicroBatched(release));
        out.add(swap(release));
        out.add(promoteAfterRestore(release));
        out.add(awaiting(release));
        out.add(sql(release));
        return out;
    }

    /**
     * Per event with idle resets in event time (gap 3 s): key k3 falls idle before the savepoint, its idle
     * timer (registered before it) fires on the first watermark after the restore, and its next event,
     * behind that watermark and within the gap of its previous one, starts from zeros only because the
     * restored timer fired.
     */
    static Definition perEvent(String release, String name, String backend, String model, int width) {
        Scenario s = base(release, name, "per event on " + backend + ": four keys' states, their idle timers (event time, "
                + "gap 3 s; k3's fires after the restore), resets by flag and by idleness");
        s.backend = backend;
        s.model = model;
        s.inputSize = width;
        s.options.idleGapMs = 3_000;
        s.options.idleDomain = "EVENT_TIME";
        Script sc = new Script(width);
        sc.e("k0", 1000).e("k1", 1100).e("k2", 1200).e("k3", 1300).e("k0", 1400).e("k3", 1500)
                .e("k1", 1600).wm(1000).e("k2", 1700).e("k0", 1800).reset().e("k1", 1900).e("k2", 2000).wm(1500)
                .e("k0", 2100).e("k1", 2200).e("k2", 2300).e("k0", 2400).wm(2000).e("k1", 2500).e("k2", 2600)
                .e("k0", 2700).e("k1", 2800).wm(2500).e("k2", 2900).e("k0", 3000).e("k1", 3100).e("k2", 3200).reset()
                .e("k0", 3300).wm(3000);
        s.savepointAt = sc.size();
        sc.e("k1", 3400).e("k2", 3500).e("k0", 3600).wm(5000) // k3's timer (4501) fires
                .e("k3", 4000) // behind the watermark, 2.5 s after k3's last: from zeros only through the timer
                .e("k1", 3700).e("k2", 3800).e("k0", 7000) // idle longer than the gap: reset before the step
                .e("k1", 7100).wm(7000) // k2's timer (6801) fires
                .e("k2", 7200).e("k3", 7300).e("k0", 7400).reset().e("k1", 7500);
        return new Definition(s, sc.events, Map.of()).showing("key=k3 seq=2 id=27");
    }

    /** Micro-batched (8 events or 20 ms), five keys of an LSTM, resets after 6 steps and by flag. */
    static Definition microBatched(String release, String name, String backend, String format) {
        Scenario s = base(release, name, "micro-batched (8 events or 20 ms) on " + backend + ", " + format.toLowerCase()
                + " savepoint: five keys of a two-layer LSTM, reset after 6 steps and by flag");
        s.backend = backend;
        s.format = format;
        s.model = GOLDEN + "lstm_i8_h32_l2_head3_softmax.safetensors";
        s.inputSize = 8;
        s.options.microBatch = 8;
        s.options.microBatchDelayMs = 20;
        s.options.resetAfterSteps = 6;
        Script sc = new Script(8);
        String[] order = {"k0", "k1", "k2", "k0", "k3", "k1", "k0", "k4", "k2", "k2", "k1", "k0", "k3"};
        for (int i = 0; i < 30; i++) {
            sc.e(order[i % order.length], 1000L + 100 * i);
            if (i == 9 || i == 22) {
                sc.reset();
            }
        }
        s.savepointAt = sc.size();
        for (int i = 30; i < 48; i++) {
            sc.e(order[(i * 5) % order.length], 1000L + 100 * i);
            if (i == 40) {
                sc.reset();
            }
        }
        return new Definition(s, sc.events, Map.of());
    }

    /**
     * Event-time order (lateness 500 ms) on RocksDB, savepoint at parallelism 2 with events waiting in the
     * buffer, restored at parallelism 1: the per-subtask limit is the restored count plus 2, so the third
     * event after the restore is BUFFER_FULL only if the per-key-group counts (union state) came back and
     * were summed; a late event is LATE against a key's restored latest time; the watermarks then release
     * the waiting events in timestamp order.
     */
    static Definition eventTime(String release) {
        Scenario s = base(release, "event-time-rocksdb", "event-time order (lateness 500 ms) on rocksdb, parallelism 2: "
                + "events waiting for the watermark (list state per timestamp, their times and count per key, the "
                + "release timers, the per-key-group counts in union state); restored at parallelism 1");
        s.backend = "rocksdb";
        s.model = GOLDEN + "rnn_relu_i4_h8_l2_head1_linear.safetensors";
        s.inputSize = 4;
        s.restoreParallelism = 1;
        s.options.ordered = true;
        s.options.latenessMs = 500;
        Script sc = new Script(4);
        String[] keys = {"k0", "k1", "k2", "k3", "k1", "k0", "k2"};
        long[] jitter = {0, 120, -80, 40, -150, 90, -30, 60, -110, 10};
        for (int i = 0; i < 30; i++) {
            sc.e(keys[i % keys.length], 1000L + 100 * i + jitter[i % jitter.length]);
            if (i % 5 == 4) {
                sc.wm(1000L + 100 * i - 900);
            }
            if (i == 13) {
                sc.reset();
            }
        }
        s.savepointAt = sc.size();
        // the per-subtask limit: above the most that waited before the savepoint, and at least 2 above what waits
        // at it; after the restore, as many events as fit wait, and the next finds the subtask's buffer full
        long[] waiting = PlainEngine.waiting(s, sc.events);
        s.options.maxBufferedPerSubtask = Math.max(waiting[1] + 1, waiting[0] + 2);
        String[] more = {"k2", "k3", "k0", "k1"};
        for (int i = 0; i <= s.options.maxBufferedPerSubtask - waiting[0]; i++) {
            sc.e(more[i % more.length], 4050L + 10 * i);
        }
        sc.e("k1", 1200); // older than k1's latest applied event: LATE
        sc.e("k3", 4400).wm(3900);
        sc.e("k0", 4500).e("k1", 4600).reset().e("k2", 4550).wm(4400).e("k3", 4700).e("k0", 4800).e("k1", 4850).wm(6000);
        sc.e("k2", 6100).e("k3", 6200);
        return new Definition(s, sc.events, Map.of()).showing("reason=BUFFER_FULL", "reason=LATE");
    }

    /**
     * Event-time order (lateness 300 ms) micro-batched (4 events or 20 ms) on hashmap, at most 3 events
     * waiting per key: k0 and k2 have 2 waiting at the savepoint, k1 one; after the restore each key's
     * next events fill it to 3 and the one after is BUFFER_FULL, which shows only if each key's count of
     * waiting events (recurrent-pending-times) came back.
     */
    static Definition eventTimeMicroBatched(String release) {
        Scenario s = base(release, "event-time-micro-batched-hashmap", "event-time order (lateness 300 ms), micro-batched "
                + "(4 events or 20 ms), on hashmap, at most 3 events waiting per key: events waiting for the watermark "
                + "with each key's count and times");
        s.model = GOLDEN + "gru_i5_h16_l1_head2_sigmoid.safetensors";
        s.inputSize = 5;
        s.options.ordered = true;
        s.options.latenessMs = 300;
        s.options.microBatch = 4;
        s.options.microBatchDelayMs = 20;
        s.options.maxBufferedPerKey = 3;
        Script sc = new Script(5);
        sc.e("k0", 1000).e("k1", 1010).e("k2", 1020).e("k0", 1030).wm(1400)
                .e("k0", 1500).e("k1", 1510).e("k2", 1520).reset().e("k1", 1490).wm(1800)
                .e("k0", 1600).e("k0", 1650).e("k2", 1700);
        s.savepointAt = sc.size(); // waiting: k0 1600, 1650; k1 1510; k2 1520, 1700
        sc.e("k0", 1700).e("k0", 1750) // k0: the third waits, the fourth is BUFFER_FULL
                .e("k1", 1720).e("k1", 1730).e("k1", 1740) // k1: two more wait, then BUFFER_FULL
                .e("k2", 1710).e("k2", 1500) // k2: the third waits, then BUFFER_FULL
                .wm(2100) // releases all of them
                .e("k0", 2200).e("k1", 1600) // k1's latest applied is 1730: LATE
                .e("k2", 2300).reset().wm(2700).e("k3", 2800).e("k0", 2900);
        return new Definition(s, sc.events, Map.of()).showing("key=k0 id=12 reason=BUFFER_FULL",
                "key=k1 id=15 reason=BUFFER_FULL", "key=k2 id=17 reason=BUFFER_FULL", "reason=LATE");
    }

    /**
     * A swappable operator (the job's own model A) with its last 4 inputs kept per key: a SWAP to B that
     * warms each key up over its last 3 inputs, then a SHADOW C (warm-up over 2) running beside it. At
     * the savepoint the broadcast state holds the chain (A, B, shadow C), k0 and k1 have B states and C
     * shadow states, k2 has only an A state (its first B event, warmed up over its restored inputs, comes
     * after the restore), k3 a B state but no shadow state yet; k4 is new after the restore.
     */
    static Definition swap(String release) {
        Scenario s = base(release, "swap-shadow-kept-inputs", "a swappable operator on hashmap after a hot swap (A -> B, "
                + "WARM_UP 3) with a shadow model C running (WARM_UP 2) and keepInputs(4): the broadcast state "
                + "recurrent-models, the shadow states, the kept inputs");
        s.model = GOLDEN + "gru_i5_h16_l1_head2_sigmoid.safetensors";
        s.modelVersion = "A";
        s.inputSize = 5;
        s.options.keepInputs = 4;
        Script sc = new Script(5);
        long t = 1000;
        String[] before = {"k0", "k1", "k2", "k3", "k0", "k1", "k2", "k3", "k0", "k2", "k1", "k3"};
        for (String k : before) {
            sc.e(k, t += 100);
        }
        sc.events.get(6).reset = true;
        int swapAt = sc.size();
        for (String k : new String[] {"k0", "k1", "k3", "k0", "k1", "k3", "k0", "k1"}) {
            sc.e(k, t += 100);
        }
        int shadowAt = sc.size();
        for (String k : new String[] {"k0", "k1", "k0", "k1", "k1", "k0", "k0", "k1"}) {
            sc.e(k, t += 100);
        }
        s.savepointAt = sc.size();
        for (String k : new String[] {"k2", "k3", "k4", "k0", "k1", "k2", "k3", "k4", "k1", "k0", "k2", "k3", "k4", "k1", "k0", "k2"}) {
            sc.e(k, t += 100);
        }
        sc.events.get(s.savepointAt + 8).reset = true;
        s.updates.add(update("SWAP", "b.safetensors", "B", "WARM_UP", 3, swapAt));
        s.updates.add(update("SHADOW", "c.safetensors", "C", "WARM_UP", 2, shadowAt));
        return new Definition(s, sc.events, Map.of("b.safetensors", variantOf(s.model, 0.7f), "c.safetensors", variantOf(s.model, 1.2f)))
                .showing("output key=k2", "version=B", "shadow key=k3", "shadow key=k4", "live=B");
    }

    /**
     * A shadow model B (RESET) running beside the job's own model A on RocksDB when the savepoint is taken
     * (k0, k1 with shadow states; k2 none yet), promoted after the restore, once four events of the
     * continuation are in: each key's live state goes on from its shadow state restored from the
     * savepoint (the promotion recognises it by the generation tag in the restored broadcast state).
     */
    static Definition promoteAfterRestore(String release) {
        Scenario s = base(release, "shadow-promoted-after-restore-rocksdb", "a swappable operator on rocksdb with a "
                + "shadow model B (RESET) at the savepoint, promoted after the restore: the live state of each key "
                + "goes on from its restored shadow state");
        s.backend = "rocksdb";
        s.model = GOLDEN + "rnn_tanh_i3_h4_l1.safetensors";
        s.modelVersion = "A";
        s.inputSize = 3;
        Script sc = new Script(3);
        long t = 1000;
        for (String k : new String[] {"k0", "k1", "k2", "k0", "k1", "k2"}) {
            sc.e(k, t += 100);
        }
        int shadowAt = sc.size();
        for (String k : new String[] {"k0", "k1", "k0", "k1", "k0"}) {
            sc.e(k, t += 100);
        }
        s.savepointAt = sc.size();
        for (String k : new String[] {"k1", "k0", "k1", "k3", "k0", "k1", "k2", "k3", "k0", "k1", "k2"}) {
            sc.e(k, t += 100);
        }
        s.updates.add(update("SHADOW", "b.safetensors", "B", "RESET", 0, shadowAt));
        s.updates.add(update("PROMOTE", null, null, null, 0, s.savepointAt + 4));
        return new Definition(s, sc.events, Map.of("b.safetensors", variantOf(s.model, 0.9f)))
                .showing("shadow key=k0", "output key=k0 seq=6", "version=B", "output key=k2 seq=2");
    }

    /** An operator without a model: events wait for the first (recurrent-awaiting); the model comes after the restore. */
    static Definition awaiting(String release) {
        Scenario s = base(release, "awaiting-first-model-rocksdb", "an operator that starts from its updates, on rocksdb: "
                + "events waiting for the first model (list state recurrent-awaiting and its count); the model arrives "
                + "after the restore and the waiting events are applied first, in their order");
        s.backend = "rocksdb";
        s.inputSize = 5;
        s.options.beforeFirstModel = "WAIT";
        Script sc = new Script(5);
        String[] keys = {"k0", "k1", "k2", "k0", "k1", "k0", "k2", "k2", "k1", "k0", "k1", "k2", "k0", "k1"};
        long t = 1000;
        for (String k : keys) {
            sc.e(k, t += 100);
        }
        sc.events.get(7).reset = true;
        s.savepointAt = sc.size();
        for (String k : new String[] {"k0", "k3", "k1", "k2", "k3", "k0", "k1", "k3", "k2", "k0"}) {
            sc.e(k, t += 100);
        }
        s.updates.add(update("SWAP", "b.safetensors", "B", "RESET", 0, s.savepointAt));
        return new Definition(s, sc.events, Map.of("b.safetensors", variantOf(GOLDEN + "gru_i5_h16_l1_head2_sigmoid.safetensors", 0.8f)));
    }

    /**
     * The SQL function in event-time order (lateness 1 s, at most 4 rows waiting per key) with rows waiting
     * at the savepoint: the key's state, its waiting rows and their count, the saved call and the timers;
     * after the restore, a row beyond a key's restored count of 4 is BUFFER_FULL and a row older than a
     * key's latest applied one is LATE.
     */
    static Definition sql(String release) {
        Scenario s = base(release, "sql-event-time", "the SQL function recurrent on hashmap, on_time with a lateness "
                + "of 1 s and max_buffered 4: rows waiting for the watermark (states recurrent, waiting, waiting_rows "
                + "and the function's timers)");
        s.kind = "sql";
        s.uid = "sql-recurrent";
        s.model = GOLDEN + "rnn_tanh_i3_h4_l1.safetensors";
        s.inputSize = 3;
        s.options.ordered = true;
        s.options.latenessMs = 1_000;
        s.options.maxBufferedPerKey = 4;
        Script sc = new Script(3);
        long[] jitter = {0, 150, -100, 50, -200, 100, -50};
        String[] keys = {"a", "b", "c", "a", "b", "a", "c", "b"};
        for (int i = 0; i < 24; i++) {
            sc.e(keys[i % keys.length], 1000L + 200 * i + jitter[i % jitter.length]);
            if (i % 6 == 5) {
                sc.wm(1000L + 200 * i - 1_400);
            }
            if (i == 11) {
                sc.reset();
            }
        }
        s.savepointAt = sc.size();
        sc.e("a", 5900).e("a", 5950).e("a", 5960); // a's count of waiting rows reaches 4, then BUFFER_FULL
        sc.e("b", 1500); // LATE
        sc.e("c", 6000).wm(5000).e("b", 6100).reset().e("c", 6150).e("a", 6200).wm(7300).e("b", 7400).e("c", 7500);
        return new Definition(s, sc.events, Map.of()).showing("error=BUFFER_FULL", "error=LATE");
    }

    static Scenario.Update update(String kind, String file, String version, String policy, int warmUp, int beforeEvent) {
        Scenario.Update u = new Scenario.Update();
        u.kind = kind;
        u.file = file; // made relative to the module when written
        u.version = version;
        u.policy = policy;
        u.warmUp = warmUp;
        u.beforeEvent = beforeEvent;
        return u;
    }

    /** The model's architecture with other weights (scaled and shifted), written to a temporary file. */
    static Path variantOf(String model, float scale) {
        try {
            return SwapTesting.variant(Path.of(model), Files.createTempDirectory("variant"), "variant", scale);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------ taking one

    static void generate(Definition d, Path dir) throws Exception {
        Scenario s = d.scenario;
        System.out.println("scenario " + s.release + "/" + s.name + ": " + s.description);
        Files.createDirectories(dir);
        for (Map.Entry<String, Path> v : d.variants.entrySet()) {
            Files.copy(v.getValue(), dir.resolve(v.getKey()));
        }
        for (Scenario.Update u : s.updates) {
            if (u.file != null) {
                u.file = dir.resolve(u.file).toString();
                u.sha256 = ModelReference.sha256(u.file);
            }
        }
        List<Scenario.Event> events = d.events;
        PlainEngine.Run expected = PlainEngine.run(s, events);
        check(!expected.after().isEmpty(), "the continuation has records");
        for (String part : d.shows) {
            check(expected.after().stream().anyMatch(o -> o.shape().contains(part)), "the continuation shows no " + part);
        }

        Path tmp = Files.createTempDirectory("migration-" + s.name);
        String run = "generate/" + s.release + "/" + s.name;
        Captured.clear(run);
        Gates.reset();
        Configuration conf = FlinkTesting.jobConfig(s.backend, null);
        reporter = InMemoryReporter.createWithRetainedMetrics();
        reporter.addToConfiguration(conf);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(s.parallelism);
        ScenarioJobs.build(env, s, events, run, ScenarioJobs.Mode.GENERATE);
        JobClient job = env.executeAsync("take " + s.name);
        Steering.updates(reporter, job, s, run, false, s.parallelism);
        Steering.awaitEvents(reporter, job, s.savepointAt);
        String location = job.stopWithSavepoint(false, tmp.resolve("savepoints").toUri().toString(),
                SavepointFormatType.valueOf(s.format)).get(120, TimeUnit.SECONDS);
        job.getJobExecutionResult().get(120, TimeUnit.SECONDS);
        List<Out> before = Captured.get(run);
        String diff = Out.diff(expected.before(), before, 0f);
        check(diff == null, "the job's records before the savepoint are not the plain engine's: " + diff);
        System.out.println("  " + before.size() + " records before the savepoint, equal to the plain engine's; "
                + expected.after().size() + " expected after it");

        Path savepoint = dir.resolve(s.savepoint);
        copy(Path.of(URI.create(location)), savepoint);
        s.write(dir);
        Scenario.writeEvents(dir, events);
        Out.write(dir.resolve("expected.jsonl"), expected.after());
        Map<String, Map<String, String>> names = SavepointNames.byUid(SavepointNames.read(savepoint));
        Scenario.JSON.writeValue(dir.resolve("names.json").toFile(), names);
        System.out.println("  written to " + dir + " (savepoint " + size(savepoint) / 1024 + " KiB): " + names.get(s.uid));
    }

    static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalStateException(message);
        }
    }

    static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.sorted(Comparator.naturalOrder()).toList()) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target);
                }
            }
        }
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }

    static long size(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }
}
