package io.flinkrecurrent.savepoint;

import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.flink.ModelUpdate;
import io.flinkrecurrent.flink.Recurrent;
import io.flinkrecurrent.flink.RecurrentOutput;
import io.flinkrecurrent.testing.FlinkTesting;
import io.flinkrecurrent.testing.Gates;
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

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pins {@link OperatorStateLayout} to the operator: savepoints of the real operator with every state it
 * can keep (a swappable operator with a shadow, event-time ordering, kept inputs, idle timers, a state TTL;
 * and one started without a model, its events waiting for one) hold exactly the keyed states, timer
 * services and operator states the layout names. A state renamed in the operator fails here. The same
 * savepoints read back: the kept inputs (through the TTL) and the events waiting for a model.
 */
class OperatorStateLayoutITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = FlinkTesting.miniCluster();

    static final long EVENTS = 2_000;
    static final long HOLD_AT = 800;
    static final int KEEP = 4;

    @TempDir
    Path dir;

    static DataStream<KeyedEvent> events(StreamExecutionEnvironment env) {
        int width = InspectITCase.MODEL.inputSize();
        DataGeneratorSource<KeyedEvent> gen = new DataGeneratorSource<>(i -> {
            KeyedEvent e = FlinkTesting.event(i, width);
            e.timestamp = 1_000 + i;
            return e;
        }, EVENTS, Gates.holdAt(new long[] {HOLD_AT}, new String[] {"hold"}), TypeInformation.of(KeyedEvent.class));
        return env.fromSource(gen, WatermarkStrategy.<KeyedEvent>forMonotonousTimestamps().withTimestampAssigner((e, t) -> e.timestamp),
                "events").uid("events").setParallelism(1);
    }

    static DataStream<ModelUpdate> updates(StreamExecutionEnvironment env, ModelUpdate u, boolean held) {
        return env.fromSource(new DataGeneratorSource<>(i -> u, 1, Gates.holdAt(new long[] {held ? 0 : -1}, new String[] {"never"}),
                TypeInformation.of(ModelUpdate.class)), WatermarkStrategy.noWatermarks(), "updates").uid("updates").setParallelism(1);
    }

    String savepoint(StreamExecutionEnvironment env, DataStream<RecurrentOutput> out, long outputs) throws Exception {
        CloseableIterator<RecurrentOutput> it = out.collectAsync();
        JobClient job = env.executeAsync("layout");
        for (long n = 0; n < outputs && it.hasNext(); n++) {
            it.next();
        }
        Thread.sleep(outputs == 0 ? 3_000 : 500); // no output to wait for: the held source's events reach the operator
        String sp = job.stopWithSavepoint(false, dir.resolve("savepoints").toUri().toString(), SavepointFormatType.CANONICAL)
                .get(60, TimeUnit.SECONDS);
        it.close();
        return sp;
    }

    @Test
    void theLayoutNamesEveryStateTheOperatorWrites() throws Exception {
        Gates.reset();
        Path b = SwappedModelInspectITCase.variant(dir, "b", 0.6f);
        // 1: swappable, a shadow from the start, ordered, kept inputs, idle timers, a TTL
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(FlinkTesting.jobConfig("rocksdb", null));
        env.setParallelism(2);
        DataStream<RecurrentOutput> out = Recurrent.builder(InspectITCase.MODEL).name("full").modelVersion("A")
                .updates(updates(env, SwappedModelInspectITCase.update(ModelUpdate.Kind.SHADOW, b, "B"), false))
                .options(o -> o.orderByEventTime(Duration.ofMillis(50)).keepInputs(KEEP).resetWhenIdle(Duration.ofSeconds(10))
                        .stateTtl(Duration.ofHours(1)))
                .apply(events(env));
        String full = savepoint(env, out, HOLD_AT - 60);

        // 2: no model yet; every event waits for one
        Gates.reset();
        StreamExecutionEnvironment env2 = StreamExecutionEnvironment.getExecutionEnvironment(FlinkTesting.jobConfig("hashmap", null));
        env2.setParallelism(2);
        DataStream<RecurrentOutput> out2 = Recurrent.builderAwaitingModel(InspectITCase.MODEL.inputSize()).name("awaiting")
                .updates(updates(env2, SwappedModelInspectITCase.update(ModelUpdate.Kind.SWAP, b, "B"), true)).apply(events(env2));
        String awaiting = savepoint(env2, out2, 0);

        SavepointContents.Operator f = SavepointInspection.open(full).contents().recurrent("full");
        SavepointContents.Operator a = SavepointInspection.open(awaiting).contents().recurrent("awaiting");
        TreeSet<String> keyed = new TreeSet<>(f.keyedStates());
        keyed.addAll(a.keyedStates());
        assertEquals(new TreeSet<>(OperatorStateLayout.KEYED_STATES), keyed, "the keyed states the operator writes");
        assertEquals(new TreeSet<>(OperatorStateLayout.TIMER_SERVICES), new TreeSet<>(f.timerServices()), "its timer services");
        TreeSet<String> opStates = new TreeSet<>(f.operatorStates());
        opStates.addAll(a.operatorStates());
        assertEquals(new TreeSet<>(OperatorStateLayout.OPERATOR_STATES), opStates, "its operator states");

        // the kept inputs, read through the TTL: each key's last inputs since its last reset
        Map<String, InspectedKey> keys = SavepointInspection.read(full, "full", Types.STRING);
        Map<String, List<KeyedEvent>> byKey = InspectITCase.eventsByKey(HOLD_AT);
        int shadows = 0;
        for (Map.Entry<String, List<KeyedEvent>> e : byKey.entrySet()) {
            InspectedKey k = keys.get(e.getKey());
            List<KeyedEvent> applied = e.getValue().subList(0, (int) k.seq);
            List<float[]> since = new ArrayList<>();
            for (KeyedEvent x : applied) {
                if (x.reset) {
                    since.clear();
                }
                since.add(x.input);
            }
            float[][] kept = k.keptInputs(InspectITCase.MODEL.inputSize());
            List<float[]> expect = since.subList(Math.max(0, since.size() - KEEP), since.size());
            assertEquals(expect.size(), kept.length, e.getKey() + ": kept inputs");
            for (int i = 0; i < kept.length; i++) {
                assertArrayEquals(expect.get(i), kept[i], e.getKey() + ": kept input " + i);
            }
            shadows += k.hasShadow ? 1 : 0;
            assertTrue(k.pendingCount > 0 || k.seq == e.getValue().size(), e.getKey());
            assertEquals(1, k.idleTimers.length, e.getKey() + ": one idle timer");
        }
        assertTrue(shadows > 0, "keys with a shadow state");

        // the events waiting for a first model
        Map<String, InspectedKey> waiting = SavepointInspection.read(awaiting, "awaiting", Types.STRING);
        assertEquals(byKey.keySet(), waiting.keySet());
        for (Map.Entry<String, List<KeyedEvent>> e : byKey.entrySet()) {
            InspectedKey k = waiting.get(e.getKey());
            assertEquals(e.getValue().size(), k.awaitingCount, e.getKey());
            assertEquals(e.getValue().size(), k.awaitingEvents.length, e.getKey());
            for (int i = 0; i < k.awaitingEvents.length; i++) {
                assertTrue(k.awaitingEvents[i].contains("id=" + e.getValue().get(i).id + "}"), k.awaitingEvents[i]);
            }
            assertTrue(!k.hasState, e.getKey() + ": no state before a model");
        }
    }
}
