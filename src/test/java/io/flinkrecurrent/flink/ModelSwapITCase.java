package io.flinkrecurrent.flink;

import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.model.ModelLoader;
import io.flinkrecurrent.testing.FailOnce;
import io.flinkrecurrent.testing.FlinkTesting;
import io.flinkrecurrent.testing.Gates;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Models that change while the job runs, on a mini-cluster at parallelism 2: a swap in the middle of
 * the stream with each policy, a refused one, a shadow model and its promotion, a failure after a
 * swap and one between the swap and the keys' first events, and a savepoint after a swap restored at
 * another parallelism. The events are held at the swap point until every subtask has applied the
 * update (its {@code recurrent.models.generation} gauge, read through a metric reporter), so each key
 * has events before and after it; each output's version says which model made it, and every output
 * is checked against the plain engine replaying each model on its part of the key's history.
 */
// the tests wait on side outputs (next()): a lost record must fail them, not hang the build
@org.junit.jupiter.api.Timeout(value = 3, unit = java.util.concurrent.TimeUnit.MINUTES)
class ModelSwapITCase {
    static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setConfiguration(REPORTER.addToConfiguration(new Configuration()))
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());

    static final long N = 2_300;
    static final long SWAP_AT = 1_000;
    static final long PROMOTE_AT = 1_700;
    static final int KEEP_INPUTS = 8;
    static final RecurrentModel A = ModelLoader.load(SwapTesting.A).network();

    @TempDir
    Path dir;

    /** The jobs a test started: cancelled after it, so that a failed test's held job does not keep the slots. */
    static final List<JobClient> JOBS = new ArrayList<>();

    @BeforeEach
    void resetGates() {
        Gates.reset();
        FailOnce.FAILURES.set(0);
    }

    @org.junit.jupiter.api.AfterEach
    void cancelJobs() {
        for (JobClient j : JOBS) {
            try {
                if (!j.getJobStatus().get(10, TimeUnit.SECONDS).isGloballyTerminalState()) {
                    j.cancel().get(30, TimeUnit.SECONDS);
                }
            } catch (Exception ignored) {
                // already gone
            }
        }
        JOBS.clear();
    }

    static JobClient start(StreamExecutionEnvironment env, String name) throws Exception {
        JobClient j = env.executeAsync(name);
        JOBS.add(j);
        return j;
    }

    static DataStream<KeyedEvent> events(StreamExecutionEnvironment env, long from) {
        int width = A.inputSize();
        DataGeneratorSource<KeyedEvent> gen = new DataGeneratorSource<>(i -> FlinkTesting.event(from + i, width), N - from,
                Gates.holdAt(new long[] {SWAP_AT - from, PROMOTE_AT - from}, new String[] {"events-2", "events-3"}),
                TypeInformation.of(KeyedEvent.class));
        return env.fromSource(gen, WatermarkStrategy.noWatermarks(), "events").uid("events").setParallelism(1);
    }

    /** The updates, the k-th held until gate {@code update-k} opens. */
    static DataStream<ModelUpdate> updates(StreamExecutionEnvironment env, ModelUpdate... updates) {
        long[] at = new long[updates.length];
        String[] names = new String[updates.length];
        for (int k = 0; k < updates.length; k++) {
            at[k] = k;
            names[k] = "update-" + k;
        }
        ModelUpdate[] all = updates.clone();
        DataGeneratorSource<ModelUpdate> gen = new DataGeneratorSource<>(i -> all[(int) (long) i], all.length,
                Gates.holdAt(at, names), TypeInformation.of(ModelUpdate.class));
        return env.fromSource(gen, WatermarkStrategy.noWatermarks(), "model-updates").uid("model-updates").setParallelism(1);
    }

    Recurrent.Builder builder(DataStream<ModelUpdate> updates) {
        return Recurrent.builder(A).name("swap").modelVersion("A").updates(updates)
                .options(o -> o.keepInputs(KEEP_INPUTS));
    }

    /** Opens the update's gate, waits until every subtask runs {@code generation}, then lets the events on. */
    static void swapThenRelease(JobID job, int update, long generation, String eventsGate, int parallelism) throws Exception {
        Gates.open("update-" + update);
        awaitGeneration(job, generation, parallelism);
        Gates.open(eventsGate);
    }

    static void awaitGeneration(JobID job, long generation, int parallelism) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            int at = 0;
            for (Metric m : metrics(job, "generation")) {
                if (((Gauge<?>) m).getValue() instanceof Long g && g == generation) {
                    at++;
                }
            }
            if (at >= parallelism) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the subtasks did not reach model generation " + generation + " within 60 s");
    }

    static List<RecurrentOutput> drain(CloseableIterator<RecurrentOutput> it, List<RecurrentOutput> into, long n) {
        while (into.size() < n && it.hasNext()) {
            into.add(it.next());
        }
        return into;
    }

    @ParameterizedTest(name = "{0} ({1}), {2}, micro-batched: {3}")
    @CsvSource({"RESET, 0, hashmap, false", "KEEP, 0, rocksdb, false", "WARM_UP, 5, hashmap, false",
            "WARM_UP, 8, rocksdb, false", "WARM_UP, 5, hashmap, true", "KEEP, 0, hashmap, true"})
    void swapMidStream(ModelUpdate.Policy policy, int warmUp, String backend, boolean microBatched) throws Exception {
        Path b = SwapTesting.variant(dir, "b", 0.6f);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(FlinkTesting.jobConfig(backend, null));
        env.setParallelism(2);
        Recurrent.Builder builder = builder(updates(env, SwapTesting.update(ModelUpdate.Kind.SWAP, b, "B", policy, warmUp)));
        if (microBatched) {
            builder.microBatch(32, Duration.ofMillis(5));
        }
        List<RecurrentOutput> outs = new ArrayList<>();
        try (CloseableIterator<RecurrentOutput> it = builder.apply(events(env, 0)).collectAsync()) {
            JobClient job = start(env, "swap");
            drain(it, outs, SWAP_AT);
            swapThenRelease(job.getJobID(), 0, 1, "events-2", 2);
            Gates.open("events-3");
            it.forEachRemaining(outs::add);
        }
        Map<String, Integer> perVersion = SwapTesting.assertSwapped(outs, N, "A", A,
                Map.of("B", new SwapTesting.Change(ModelLoader.load(b).network(), policy, warmUp)), KEEP_INPUTS);
        assertEquals(Map.of("A", (int) SWAP_AT, "B", (int) (N - SWAP_AT)), perVersion);
    }

    @Test
    void keepIsRefusedWhenTheLayoutDiffers() throws Exception {
        Path c = SwapTesting.oneLayer(dir);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(FlinkTesting.jobConfig("hashmap", null));
        env.setParallelism(2);
        Gates.open("update-0");
        SingleOutputStreamOperator<RecurrentOutput> out = builder(updates(env,
                SwapTesting.update(ModelUpdate.Kind.SWAP, c, "C", ModelUpdate.Policy.KEEP, 0))).apply(events(env, 0));
        CloseableIterator<RejectedUpdate> refused = out.getSideOutput(Recurrent.UPDATE_REJECTED).collectAsync();
        CloseableIterator<RecurrentOutput> it = out.collectAsync();
        JobClient job = start(env, "keep refused");
        List<RejectedUpdate> refusals = new ArrayList<>();
        refusals.add(refused.next());
        refusals.add(refused.next());
        Gates.open("events-2");
        Gates.open("events-3");
        List<RecurrentOutput> outs = new ArrayList<>();
        it.forEachRemaining(outs::add);
        job.getJobExecutionResult().get(60, TimeUnit.SECONDS);
        refused.close();
        for (RejectedUpdate r : refusals) {
            assertEquals("C", r.update.version);
            assertTrue(r.reason.startsWith("KEEP needs the same state layout"), r.reason);
        }
        assertEquals(List.of(0, 1), refusals.stream().map(r -> r.subtask).sorted().toList(), "one refusal per subtask");
        assertEquals(Map.of("A", (int) N), SwapTesting.assertSwapped(outs, N, "A", A, Map.of(), KEEP_INPUTS),
                "the job went on with A");
    }

    @ParameterizedTest(name = "shadow starts with {0}")
    @CsvSource({"RESET, 0", "WARM_UP, 6"})
    void shadowRunsBesideTheLiveModelAndIsPromoted(ModelUpdate.Policy start, int warmUp) throws Exception {
        Path b = SwapTesting.variant(dir, "b", 0.6f);
        RecurrentModel bm = ModelLoader.load(b).network();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(FlinkTesting.jobConfig("hashmap", null));
        env.setParallelism(2);
        SingleOutputStreamOperator<RecurrentOutput> out = builder(updates(env,
                SwapTesting.update(ModelUpdate.Kind.SHADOW, b, "B", start, warmUp), ModelUpdate.promote()))
                .apply(events(env, 0));
        CloseableIterator<ShadowOutput> shadow = out.getSideOutput(Recurrent.SHADOW).collectAsync();
        CloseableIterator<RecurrentOutput> it = out.collectAsync();
        JobClient job = start(env, "shadow");
        List<RecurrentOutput> outs = drain(it, new ArrayList<>(), SWAP_AT);
        swapThenRelease(job.getJobID(), 0, 1, "events-2", 2);
        drain(it, outs, PROMOTE_AT);
        List<ShadowOutput> shadows = new ArrayList<>();
        while (shadows.size() < PROMOTE_AT - SWAP_AT) {
            shadows.add(shadow.next());
        }
        swapThenRelease(job.getJobID(), 1, 2, "events-3", 2);
        it.forEachRemaining(outs::add);
        job.getJobExecutionResult().get(60, TimeUnit.SECONDS);
        assertFalse(shadow.hasNext(), "no shadow output after the promotion");
        shadow.close();

        // the live outputs: A until the promotion, then B carrying on from the shadow's state
        Map<String, Integer> perVersion = SwapTesting.assertSwapped(outs, N, "A", A,
                Map.of("B", SwapTesting.Change.promoted(bm, start, warmUp, SWAP_AT)), KEEP_INPUTS);
        assertEquals(Map.of("A", (int) PROMOTE_AT, "B", (int) (N - PROMOTE_AT)), perVersion);
        // ... which only holds if the shadow's state was B replayed from the shadow's start: check that directly
        Map<String, List<KeyedEvent>> after = SwapTesting.eventsFrom(SWAP_AT, PROMOTE_AT, A.inputSize());
        Map<String, List<KeyedEvent>> before = SwapTesting.eventsFrom(0, SWAP_AT, A.inputSize());
        Map<String, List<ShadowOutput>> byKey = new java.util.TreeMap<>();
        for (ShadowOutput s : shadows) {
            assertEquals("A", s.liveVersion);
            assertEquals("B", s.shadowVersion);
            byKey.computeIfAbsent(s.key, k -> new ArrayList<>()).add(s);
        }
        for (Map.Entry<String, List<KeyedEvent>> e : after.entrySet()) {
            List<ShadowOutput> got = byKey.get(e.getKey());
            got.sort(java.util.Comparator.comparingLong(s -> s.seq));
            float[] state = bm.newState();
            var scratch = bm.newScratch();
            float[] y = new float[bm.outputSize()];
            if (start == ModelUpdate.Policy.WARM_UP) {
                List<float[]> since = new ArrayList<>();
                for (KeyedEvent ev : before.get(e.getKey())) {
                    if (ev.reset) {
                        since.clear();
                    }
                    since.add(ev.input);
                }
                for (float[] x : since.subList(Math.max(0, since.size() - warmUp), since.size())) {
                    bm.step(y, state, x, scratch);
                }
            }
            assertEquals(e.getValue().size(), got.size(), "shadow outputs of " + e.getKey());
            for (int i = 0; i < got.size(); i++) {
                KeyedEvent ev = e.getValue().get(i);
                if (ev.reset) {
                    java.util.Arrays.fill(state, 0f);
                }
                bm.step(y, state, ev.input, scratch);
                org.junit.jupiter.api.Assertions.assertArrayEquals(y, got.get(i).shadow,
                        io.flinkrecurrent.cell.Kernels.VECTOR ? 1e-6f : 0f, e.getKey() + " shadow #" + i);
            }
        }
    }

    /**
     * A failure after a swap ({@code between = false}: well into the new model's events) and one between
     * the swap and the keys' first events under it (a checkpoint holding the update but no key changed
     * yet, then the failure at the first event after it): the restarted job runs B for every key, with
     * the policy applied once.
     */
    @ParameterizedTest(name = "failure {0} the keys' first events, {1}")
    @CsvSource({"after, WARM_UP", "between, WARM_UP", "after, RESET", "between, KEEP"})
    void failureAfterAndDuringASwap(String when, ModelUpdate.Policy policy) throws Exception {
        Path b = SwapTesting.variant(dir, "b", 0.6f);
        int warmUp = policy == ModelUpdate.Policy.WARM_UP ? 5 : 0;
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(
                FlinkTesting.jobConfig("rocksdb", dir.resolve("checkpoints")));
        env.setParallelism(2);
        long failAt = when.equals("after") ? SWAP_AT + 300 : SWAP_AT;
        DataStream<KeyedEvent> in = events(env, 0).map(new FailOnce<KeyedEvent>(failAt, e -> e.id))
                .returns(TypeInformation.of(KeyedEvent.class)).name("fail-once").uid("fail-once").setParallelism(1);
        List<RecurrentOutput> outs = new ArrayList<>();
        try (CloseableIterator<RecurrentOutput> it = builder(updates(env,
                SwapTesting.update(ModelUpdate.Kind.SWAP, b, "B", policy, warmUp))).apply(in).collectAsync()) {
            JobClient job = start(env, "failure and swap");
            drain(it, outs, SWAP_AT);
            Gates.open("update-0");
            awaitGeneration(job.getJobID(), 1, 2);
            if (when.equals("between")) {
                awaitCheckpointAfterNow(job.getJobID());
            }
            Gates.open("events-2");
            Gates.open("events-3");
            it.forEachRemaining(outs::add);
        }
        assertEquals(1, FailOnce.FAILURES.get(), "the job failed once and recovered");
        SwapTesting.assertSwapped(outs, N, "A", A,
                Map.of("B", new SwapTesting.Change(ModelLoader.load(b).network(), policy, warmUp)), KEEP_INPUTS);
    }

    /** Waits until a checkpoint completes that was triggered after this call (the swap is in it). */
    static void awaitCheckpointAfterNow(JobID job) throws Exception {
        long before = completedCheckpoints(job);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (completedCheckpoints(job) < before + 2) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no checkpoint completed within 60 s");
            }
            Thread.sleep(20);
        }
    }

    static long completedCheckpoints(JobID job) {
        long n = 0;
        for (Metric m : metrics(job, "numberOfCompletedCheckpoints")) {
            if (m instanceof Gauge<?> g && g.getValue() instanceof Number v) {
                n = Math.max(n, v.longValue());
            }
        }
        return n;
    }

    /** The job's metrics of this name, one per subtask (or one for a job-level metric). */
    static List<Metric> metrics(JobID job, String name) {
        List<Metric> out = new ArrayList<>();
        for (var e : REPORTER.getMetricsByGroup().entrySet()) {
            if (job.toString().equals(e.getKey().getAllVariables().get("<job_id>")) && e.getValue().containsKey(name)) {
                out.add(e.getValue().get(name));
            }
        }
        return out;
    }

    /**
     * The ready-made source: a model file renamed into a watched folder reaches the running job, every
     * subtask switches, and the keys go on with it (RESET here) from their next event.
     */
    @Test
    void aModelFileDroppedIntoAWatchedFolderIsSwappedIn() throws Exception {
        Path watched = Files.createDirectory(dir.resolve("models"));
        Path b = SwapTesting.variant(dir, "b", 0.6f);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(FlinkTesting.jobConfig("hashmap", null));
        env.setParallelism(2);
        DataStream<ModelUpdate> updates = env.fromSource(
                ModelUpdates.watchDirectory(watched.toString(), Duration.ofMillis(100), ModelUpdate.Policy.RESET, 0),
                WatermarkStrategy.noWatermarks(), "watched-models").uid("watched-models").setParallelism(1);
        List<RecurrentOutput> outs = new ArrayList<>();
        CloseableIterator<RecurrentOutput> it = builder(updates).apply(events(env, 0)).collectAsync();
        JobClient job = start(env, "watched folder");
        drain(it, outs, SWAP_AT);
        // written under a hidden name, then renamed: the watcher never sees a half-written file
        Files.copy(b, watched.resolve(".b-2026-12-01.safetensors"));
        Files.write(watched.resolve("notes.txt"), List.of("not a model"));
        Thread.sleep(1_000); // five listings of the folder: neither the hidden file nor the text file is an update
        for (Metric m : metrics(job.getJobID(), "generation")) {
            assertEquals(0L, ((Gauge<?>) m).getValue(), "a hidden or non-model file was taken as an update");
        }
        Files.move(watched.resolve(".b-2026-12-01.safetensors"), watched.resolve("b-2026-12-01.safetensors"),
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        awaitGeneration(job.getJobID(), 1, 2);
        Gates.open("events-2");
        Gates.open("events-3");
        drain(it, outs, N);
        job.cancel().get(30, TimeUnit.SECONDS);
        it.close();
        Map<String, Integer> perVersion = SwapTesting.assertSwapped(outs, N, "A", A, Map.of("b-2026-12-01",
                new SwapTesting.Change(ModelLoader.load(b).network(), ModelUpdate.Policy.RESET, 0)), KEEP_INPUTS);
        assertEquals(Map.of("A", (int) SWAP_AT, "b-2026-12-01", (int) (N - SWAP_AT)), perVersion);
    }

    /**
     * An operator that starts from its updates: the events before the first model wait in their keys'
     * state (the gauge {@code awaitingModel} counts them) and are applied, in order, when it arrives; or
     * they are rejected as {@code NO_MODEL}.
     */
    @ParameterizedTest(name = "before the first model: {0}")
    @CsvSource({"WAIT", "REJECT"})
    void anOperatorWithoutAModelStartsWithItsFirstUpdate(RecurrentOptions.NoModelPolicy policy) throws Exception {
        Path b = SwapTesting.variant(dir, "b", 0.6f);
        RecurrentModel bm = ModelLoader.load(b).network();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(FlinkTesting.jobConfig("rocksdb", null));
        env.setParallelism(2);
        SingleOutputStreamOperator<RecurrentOutput> out = Recurrent.builderAwaitingModel(A.inputSize()).name("swap")
                .options(o -> o.beforeFirstModel(policy))
                .updates(updates(env, SwapTesting.update(ModelUpdate.Kind.SWAP, b, "B", ModelUpdate.Policy.RESET, 0)))
                .apply(events(env, 0));
        CloseableIterator<RejectedEvent> rejected = out.getSideOutput(Recurrent.REJECTED).collectAsync();
        CloseableIterator<RecurrentOutput> it = out.collectAsync();
        JobClient job = start(env, "no model yet");
        if (policy == RecurrentOptions.NoModelPolicy.REJECT) {
            for (int i = 0; i < SWAP_AT; i++) {
                RejectedEvent r = rejected.next();
                assertEquals(RejectedEvent.Reason.NO_MODEL, r.reason, r.message);
            }
        } else {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            long waiting = 0;
            while ((waiting = metrics(job.getJobID(), "awaitingModel").stream()
                    .mapToLong(m -> (Long) ((Gauge<?>) m).getValue()).sum()) < SWAP_AT) {
                assertTrue(System.nanoTime() < deadline, "only " + waiting + " events waiting");
                Thread.sleep(20);
            }
        }
        swapThenRelease(job.getJobID(), 0, 1, "events-2", 2);
        Gates.open("events-3");
        List<RecurrentOutput> outs = new ArrayList<>();
        it.forEachRemaining(outs::add);
        rejected.close();
        if (policy == RecurrentOptions.NoModelPolicy.WAIT) {
            assertEquals(Map.of("B", (int) N), SwapTesting.assertSwapped(outs, N, "B", bm, Map.of(), KEEP_INPUTS),
                    "every event applied by the first model, the waiting ones first");
            return;
        }
        // rejected events are not applied: each key starts at its first event after the model came
        Map<String, List<KeyedEvent>> after = SwapTesting.eventsFrom(SWAP_AT, N, A.inputSize());
        assertEquals(N - SWAP_AT, outs.size());
        for (RecurrentOutput o : outs) {
            float[] state = bm.newState();
            float[] y = new float[bm.outputSize()];
            var scratch = bm.newScratch();
            List<KeyedEvent> es = after.get(o.key);
            for (int i = 0; i <= o.seq; i++) {
                if (es.get(i).reset) {
                    java.util.Arrays.fill(state, 0f);
                }
                bm.step(y, state, es.get(i).input, scratch);
            }
            org.junit.jupiter.api.Assertions.assertArrayEquals(y, o.output,
                    io.flinkrecurrent.cell.Kernels.VECTOR ? 1e-6f : 0f, o.key + "#" + o.seq);
            assertEquals("B", o.version);
        }
    }

    /** A savepoint after a swap, restored at parallelism 1 and 3: B goes on for every key, from its state. */
    @ParameterizedTest(name = "parallelism 2 -> {0}")
    @CsvSource({"1", "3"})
    void savepointAfterASwapRestoresAtAnotherParallelism(int parallelism) throws Exception {
        Path b = SwapTesting.variant(dir, "b", 0.6f);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(
                FlinkTesting.jobConfig("hashmap", dir.resolve("checkpoints")));
        env.setParallelism(2);
        CloseableIterator<RecurrentOutput> it = builder(updates(env,
                SwapTesting.update(ModelUpdate.Kind.SWAP, b, "B", ModelUpdate.Policy.WARM_UP, 4)))
                .apply(events(env, 0)).collectAsync();
        JobClient job = start(env, "before the savepoint");
        List<RecurrentOutput> outs = drain(it, new ArrayList<>(), SWAP_AT);
        swapThenRelease(job.getJobID(), 0, 1, "events-2", 2);
        drain(it, outs, SWAP_AT + 200);
        // held at PROMOTE_AT (gate events-3 stays shut) so that the savepoint falls mid-stream
        String savepoint = job.stopWithSavepoint(false, dir.resolve("savepoints").toUri().toString(),
                SavepointFormatType.CANONICAL).get(60, TimeUnit.SECONDS);
        it.forEachRemaining(outs::add);
        it.close();
        assertEquals(PROMOTE_AT, outs.size(), "stopped where the events were held");

        // resumed with no update in its stream: the savepoint's model chain says B
        Files.copy(b, dir.resolve("b-copy.safetensors"));
        Configuration conf = FlinkTesting.jobConfig("hashmap", dir.resolve("checkpoints2"));
        conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        conf.set(StateRecoveryOptions.SAVEPOINT_IGNORE_UNCLAIMED_STATE, true);
        StreamExecutionEnvironment env2 = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env2.setParallelism(parallelism);
        Gates.reset();
        Gates.open("events-2");
        Gates.open("events-3");
        try (CloseableIterator<RecurrentOutput> it2 = builder(updates(env2)).apply(events(env2, 0)).executeAndCollect()) {
            it2.forEachRemaining(outs::add);
        }
        SwapTesting.assertSwapped(outs, N, "A", A, Map.of("B", new SwapTesting.Change(ModelLoader.load(b).network(),
                ModelUpdate.Policy.WARM_UP, 4)), KEEP_INPUTS);
    }
}
