package io.flinkrecurrent.savepoint;

import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.cell.Scratch;
import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.flink.Recurrent;
import io.flinkrecurrent.flink.RecurrentOutput;
import io.flinkrecurrent.model.ModelLoader;
import io.flinkrecurrent.testing.FlinkTesting;
import io.flinkrecurrent.testing.Gates;
import io.flinkrecurrent.testing.Golden;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A savepoint taken mid-stream (the source held at a known record, so exactly the events before it are
 * in the savepoint), read back by {@link SavepointInspection}: every key's state, bit for bit, its seq
 * and count since its last reset, as the plain engine (the model's cells stepped in one thread) has them
 * after that key's applied events; with event-time ordering, the events still waiting are exactly the
 * key's events after the applied ones, with their timestamps read from the namespaced buffer.
 */
class InspectITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = FlinkTesting.miniCluster();

    static final RecurrentNetwork MODEL =
            ModelLoader.load(Golden.dir().resolve("public/lstm_i8_h32_l2_head3_softmax.safetensors")).network();
    static final long EVENTS = 4_000;
    static final long HOLD_AT = 1_500;

    @TempDir
    Path dir;

    static DataStream<KeyedEvent> source(StreamExecutionEnvironment env, String gate) {
        int width = MODEL.inputSize();
        DataGeneratorSource<KeyedEvent> gen = new DataGeneratorSource<>(i -> {
            KeyedEvent e = FlinkTesting.event(i, width);
            e.timestamp = 1_000 + i;
            return e;
        }, EVENTS, Gates.holdAt(new long[] {HOLD_AT}, new String[] {gate}), TypeInformation.of(KeyedEvent.class));
        return env.fromSource(gen, WatermarkStrategy.<KeyedEvent>forMonotonousTimestamps()
                        .withTimestampAssigner((e, t) -> e.timestamp), "events")
                .uid("events").setParallelism(1);
    }

    /** Runs the job until the source holds at {@link #HOLD_AT}, and stops it with a savepoint; returns its path. */
    String savepointMidStream(String backend, Recurrent.Builder builder, long expectOutputs, SavepointFormatType format)
            throws Exception {
        Gates.reset();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(FlinkTesting.jobConfig(backend, null));
        env.setParallelism(2);
        CloseableIterator<RecurrentOutput> it = builder.apply(source(env, "hold")).collectAsync();
        JobClient job = env.executeAsync("before the savepoint");
        long outs = 0;
        while (outs < expectOutputs && it.hasNext()) {
            it.next();
            outs++;
        }
        Thread.sleep(500); // the watermark of the held source reaches the operator
        String savepoint = job.stopWithSavepoint(false, dir.resolve("savepoints").toUri().toString(), format)
                .get(60, TimeUnit.SECONDS);
        it.close();
        return savepoint;
    }

    /** Each key's events among the first {@code n}, in order. */
    static Map<String, List<KeyedEvent>> eventsByKey(long n) {
        Map<String, List<KeyedEvent>> byKey = new TreeMap<>();
        for (long i = 0; i < n; i++) {
            KeyedEvent e = FlinkTesting.event(i, MODEL.inputSize());
            e.timestamp = 1_000 + i;
            byKey.computeIfAbsent(e.key, k -> new ArrayList<>()).add(e);
        }
        return byKey;
    }

    /** The plain engine: the key's state after its first {@code applied} events, and the count since its last reset. */
    static Object[] plain(List<KeyedEvent> events, int applied) {
        float[] st = MODEL.newState();
        Scratch scratch = MODEL.newScratch();
        float[] y = new float[MODEL.outputSize()];
        long sinceReset = 0;
        for (int k = 0; k < applied; k++) {
            KeyedEvent e = events.get(k);
            if (e.reset) {
                Arrays.fill(st, 0f);
                sinceReset = 0;
            }
            MODEL.step(y, st, e.input, scratch);
            sinceReset++;
        }
        return new Object[] {st, sinceReset};
    }

    static int[] bits(float[] v) {
        int[] b = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = Float.floatToRawIntBits(v[i]);
        }
        return b;
    }

    @ParameterizedTest(name = "{0}, {2} savepoint, ordered by event time: {1}")
    @CsvSource({"hashmap, false, CANONICAL", "rocksdb, false, CANONICAL", "rocksdb, false, NATIVE",
            "hashmap, true, CANONICAL", "rocksdb, true, NATIVE"})
    void everyKeyAsThePlainEngineHasIt(String backend, boolean ordered, SavepointFormatType format) throws Exception {
        Recurrent.Builder b = Recurrent.builder(MODEL).name("lstm");
        if (ordered) {
            b.orderByEventTime(Duration.ofMillis(50));
        }
        String savepoint = savepointMidStream(backend, b, ordered ? HOLD_AT - 60 : HOLD_AT, format);

        Map<String, InspectedKey> got = SavepointInspection.read(savepoint, "lstm", Types.STRING);
        Map<String, List<KeyedEvent>> events = eventsByKey(HOLD_AT);
        assertEquals(events.keySet(), got.keySet(), "every key of the first " + HOLD_AT + " events, and no other");
        long applied = 0;
        long waiting = 0;
        for (Map.Entry<String, List<KeyedEvent>> e : events.entrySet()) {
            String key = e.getKey();
            InspectedKey k = got.get(key);
            List<KeyedEvent> es = e.getValue();
            assertTrue(k.hasState, key);
            int n = (int) k.seq;
            assertTrue(n <= es.size(), key + ": seq " + n + " beyond its " + es.size() + " events");
            if (!ordered) {
                assertEquals(es.size(), n, key + ": every event before the hold applied");
            }
            Object[] p = plain(es, n);
            assertArrayEquals(bits((float[]) p[0]), bits(k.state), key + ": state after " + n + " events, bit for bit");
            assertEquals((long) p[1], k.sinceReset, key + ": events since its last reset");
            assertEquals(MODEL.fingerprint(), k.fingerprint, key + ": the model's fingerprint");
            assertEquals(n == 0 ? Long.MIN_VALUE : es.get(n - 1).timestamp, k.lastEventTime, key + ": last event time");
            // the waiting events: exactly the key's events after the applied ones, with their timestamps
            long[] expectTimes = es.subList(n, es.size()).stream().mapToLong(x -> x.timestamp).toArray();
            assertEquals(expectTimes.length, k.pendingCount, key + ": waiting count");
            assertArrayEquals(expectTimes, k.pendingEventTimes, key + ": the waiting events' timestamps (the list state's namespaces)");
            assertArrayEquals(expectTimes, k.pendingTimes, key + ": recurrent-pending-times");
            for (int j = 0; j < expectTimes.length; j++) {
                assertTrue(k.pendingEvents[j].contains("id=" + es.get(n + j).id) || k.pendingEvents[j].contains(String.valueOf(es.get(n + j).id)),
                        key + ": waiting event " + j + " is " + k.pendingEvents[j]);
            }
            applied += n;
            waiting += expectTimes.length;
        }
        assertEquals(HOLD_AT, applied + waiting);
        if (ordered) {
            assertTrue(waiting > 0 && applied > 0, "the savepoint caught events waiting (" + waiting + ") and applied (" + applied + ")");
        }
    }

    @Test
    void aWrongUidOrAnotherOperatorIsAClearError() throws Exception {
        String savepoint = savepointMidStream("hashmap", Recurrent.builder(MODEL).name("lstm"), HOLD_AT, SavepointFormatType.CANONICAL);
        IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
                () -> SavepointInspection.read(savepoint, "lstn", Types.STRING));
        String m = wrong.getMessage();
        assertTrue(m.contains("no operator with uid 'lstn'"), m);
        assertTrue(m.contains("uid 'lstm'") || m.contains("[lstm]"), "names the recurrent operator's uid: " + m);
        assertTrue(m.contains("recurrent-state"), "names its state: " + m);

        IllegalArgumentException other = assertThrows(IllegalArgumentException.class,
                () -> SavepointInspection.read(savepoint, "events", Types.STRING));
        String o = other.getMessage();
        assertTrue(o.contains("'events' is not a flink-recurrent operator"), o);
        assertTrue(o.contains("flink-recurrent operator(s) [lstm]"), o);
    }
}
