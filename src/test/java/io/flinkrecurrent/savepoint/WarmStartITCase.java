package io.flinkrecurrent.savepoint;

import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.flink.Recurrent;
import io.flinkrecurrent.flink.RecurrentOutput;
import io.flinkrecurrent.model.ModelLoader;
import io.flinkrecurrent.testing.FlinkTesting;
import io.flinkrecurrent.testing.Golden;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
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
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The warm start: a savepoint bootstrapped from the first part of a stream (at parallelism 3), the job
 * started from it on the rest (at parallelism 2), gives bit for bit the outputs, seq included, that one
 * job reading the whole stream gives for the same events. The stream has event resets, keys that stop
 * before the split and keys that start after it, and gaps longer than the idle-reset gap (on both sides
 * of the split and across it), so the idle timers the bootstrap registers are what make it agree.
 */
class WarmStartITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = FlinkTesting.miniCluster();

    static final RecurrentNetwork MODEL =
            ModelLoader.load(Golden.dir().resolve("public/lstm_i8_h32_l2_head3_softmax.safetensors")).network();
    static final long N = 3_000;
    static final long SPLIT = 1_800;
    static final Duration GAP = Duration.ofMillis(2_000);

    @TempDir
    Path dir;

    /** The i-th event: FlinkTesting's inputs and resets, a few keys only before or only after the split, gaps every 700 events. */
    static KeyedEvent event(long i) {
        KeyedEvent e = FlinkTesting.event(i, MODEL.inputSize());
        if (i < SPLIT && i % 29 == 0) {
            e.key = "before-only";
        } else if (i >= SPLIT && i % 31 == 0) {
            e.key = "after-only";
        } else if (i % 23 == 5 && i > SPLIT - 200 && i < SPLIT + 200) {
            e.key = "key-idle-across"; // also idle for long across the split: see its timestamps
        }
        e.timestamp = 1_000 + 10 * i + 5_000 * (i / 700) + (e.key.equals("key-idle-across") && i >= SPLIT ? 4_000 : 0);
        return e;
    }

    static DataStream<KeyedEvent> events(StreamExecutionEnvironment env, long from, long to) {
        DataGeneratorSource<KeyedEvent> gen = new DataGeneratorSource<>(i -> event(from + i), to - from,
                TypeInformation.of(KeyedEvent.class));
        return env.fromSource(gen, WatermarkStrategy.<KeyedEvent>forBoundedOutOfOrderness(Duration.ofSeconds(5))
                .withTimestampAssigner((e, t) -> e.timestamp), "events").uid("events").setParallelism(1);
    }

    /** The job; {@code resets}: idle resets and a reset every 150 steps (else only the events' own resets, rare: the whole history counts). */
    static Recurrent.Builder job(boolean resets) {
        Recurrent.Builder b = Recurrent.builder(MODEL).name("lstm");
        return resets ? b.options(o -> o.resetWhenIdle(GAP).resetAfterSteps(150)) : b;
    }

    static List<RecurrentOutput> run(StreamExecutionEnvironment env, DataStream<KeyedEvent> in, boolean resets) throws Exception {
        List<RecurrentOutput> out = new ArrayList<>();
        try (CloseableIterator<RecurrentOutput> it = job(resets).apply(in).executeAndCollect()) {
            it.forEachRemaining(out::add);
        }
        return out;
    }

    @ParameterizedTest(name = "bootstrapped on {0} at parallelism 3 (max {1}), resumed on {2} at parallelism 2, idle and step resets: {3}")
    @CsvSource({"hashmap, 64, hashmap, true", "hashmap, 128, rocksdb, false", "rocksdb, 32, hashmap, true", "rocksdb, 128, rocksdb, false"})
    void aWarmStartGivesTheOutputsOfTheWholeStream(String bootstrapBackend, int maxParallelism, String jobBackend, boolean resets)
            throws Exception {
        // the whole stream, one job
        StreamExecutionEnvironment whole = StreamExecutionEnvironment.getExecutionEnvironment(FlinkTesting.jobConfig(jobBackend, null));
        whole.setParallelism(2);
        Map<Long, RecurrentOutput> expected = new TreeMap<>();
        for (RecurrentOutput o : run(whole, events(whole, 0, N), resets)) {
            expected.put(o.id, o);
        }
        assertEquals(N, expected.size());

        // the history up to the split, bootstrapped at parallelism 3
        String savepoint = dir.resolve("warm").toUri().toString();
        StreamExecutionEnvironment boot = StreamExecutionEnvironment.getExecutionEnvironment(
                FlinkTesting.jobConfig(bootstrapBackend, null));
        boot.setParallelism(3);
        RecurrentBootstrap.keyedEvents(MODEL).options(job(resets).options()).write(events(boot, 0, SPLIT), "lstm", maxParallelism, savepoint);
        boot.execute("bootstrap");
        assertTrue(Files.exists(dir.resolve("warm").resolve("_metadata")), "the savepoint was written");

        // every key of the history has its idle timer, at the deadline after its last event
        Map<String, InspectedKey> boots = SavepointInspection.read(savepoint, "lstm", Types.STRING);
        for (InspectedKey k : boots.values()) {
            if (resets) {
                assertArrayEquals(new long[] {k.lastEventTime + GAP.toMillis() + 1}, k.idleTimers, k.key + ": its idle timer");
                assertEquals(k.idleTimer, k.idleTimers[0], k.key + ": the timer its state records");
            } else {
                assertEquals(0, k.idleTimers.length, k.key + ": no idle timer without resetWhenIdle");
            }
        }
        assertTrue(boots.containsKey("before-only") && !boots.containsKey("after-only"));

        // the rest, from the savepoint, at parallelism 2
        Configuration conf = FlinkTesting.jobConfig(jobBackend, null);
        conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        StreamExecutionEnvironment rest = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        rest.setParallelism(2);
        List<RecurrentOutput> got = run(rest, events(rest, SPLIT, N), resets);
        assertEquals(N - SPLIT, got.size(), "one output per event of the rest");
        int idleResets = 0;
        for (RecurrentOutput o : got) {
            RecurrentOutput e = expected.get(o.id);
            String at = o.key + " (event " + o.id + ")";
            assertEquals(e.key, o.key, at);
            assertEquals(e.seq, o.seq, at + ": seq");
            assertEquals(e.timestamp, o.timestamp, at + ": timestamp");
            assertArrayEquals(InspectITCase.bits(e.output), InspectITCase.bits(o.output), at + ": output, bit for bit");
            if (o.key.equals("key-idle-across")) {
                idleResets++;
            }
        }
        assertTrue(idleResets > 0, "a key idle across the split is in the rest");
    }
}
