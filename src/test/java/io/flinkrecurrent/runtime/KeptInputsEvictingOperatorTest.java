package io.flinkrecurrent.runtime;

import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.flink.ModelUpdate;
import io.flinkrecurrent.flink.Recurrent;
import io.flinkrecurrent.flink.RecurrentOutput;
import io.flinkrecurrent.flink.RejectedEvent;
import io.flinkrecurrent.flink.SwapTesting;
import io.flinkrecurrent.model.ModelLoader;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * The kept inputs in the real swappable operator, with a cache that holds one key only (every other
 * key's event evicts), per event and micro-batched (a round prepares, and warms up, several keys
 * before it steps them, each evicting the one before), on the heap and RocksDB: a checkpoint taken
 * between events holds every key's ring as of its barrier (events after it, also written to state
 * by evictions, are not in it), the restored rings go on, a reset empties them, and a WARM_UP swap
 * replays each key's last inputs since its last reset exactly as a cache that never evicts does.
 */
class KeptInputsEvictingOperatorTest {
    static final RecurrentModel A = ModelChainTest.A;
    static final int KEYS = 6;
    static final int RESET_AFTER = 5;

    @TempDir
    Path dir;

    static float[] x(int key, int step) {
        return ShadowStepperTest.x(0.05f * key + 0.01f * step - 0.1f);
    }

    static KeyedEvent event(int key, int step) {
        return new KeyedEvent("k" + key, x(key, step));
    }

    KeyedOneInputStreamOperatorTestHarness<String, KeyedEvent, RecurrentOutput> harness(
            Recurrent.Builder builder, String backend, OperatorSubtaskState restore) throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(builder.operator(), Recurrent.keySelector(), Types.STRING);
        if (backend.equals("rocksdb")) {
            h.setStateBackend(new EmbeddedRocksDBStateBackend());
        }
        h.setup();
        h.initializeState(restore);
        h.open();
        return h;
    }

    @ParameterizedTest(name = "{0}, cache {1} bytes, micro-batch {2}")
    @CsvSource({"hashmap, 33554432, 1", "hashmap, 0, 1", "hashmap, 0, 4",
            "rocksdb, 33554432, 1", "rocksdb, 0, 1", "rocksdb, 0, 4"})
    void evictionsAndCheckpointsKeepEveryRingAsWithoutEvictions(String backend, long cacheBytes, int batch)
            throws Exception {
        Path b = SwapTesting.variant(dir, "b", 0.5f);
        RecurrentModel bModel = ModelLoader.load(b).network();
        Recurrent.Builder builder = Recurrent.builder(A).options(o -> {
            o.keepInputs(4).keptInputsCache(cacheBytes).resetAfterSteps(RESET_AFTER);
            if (batch > 1) {
                o.microBatch(batch, Duration.ofHours(1));
            }
        }).updates(StreamExecutionEnvironment.getExecutionEnvironment()
                .fromData(TypeInformation.of(ModelUpdate.class), ModelUpdate.stopShadow()));

        var first = harness(builder, backend, null);
        for (int step = 0; step < 7; step++) {
            for (int k = 0; k < KEYS; k++) {
                first.processElement(new StreamRecord<>(event(k, step)));
            }
        }
        first.prepareSnapshotPreBarrier(1);
        OperatorSubtaskState checkpoint = first.snapshot(1, 1);
        for (int k = KEYS - 1; k >= 0; k--) { // after the barrier: in the cache, and in state by evictions
            first.processElement(new StreamRecord<>(new KeyedEvent("k" + k, ShadowStepperTest.x(0.9f))));
        }
        first.prepareSnapshotPreBarrier(2);
        first.snapshot(2, 2);
        first.close();

        var h = harness(builder, backend, checkpoint);
        @SuppressWarnings("unchecked")
        var op = (RecurrentSwapOperator<String, KeyedEvent, RecurrentOutput, RejectedEvent>) h.getOperator();
        for (int step = 7; step < 9; step++) {
            for (int k = KEYS - 1; k >= 0; k--) {
                h.processElement(new StreamRecord<>(event(k, step)));
            }
        }
        op.applyUpdate(SwapTesting.update(ModelUpdate.Kind.SWAP, b, "B", ModelUpdate.Policy.WARM_UP, 3));
        for (int k = 0; k < KEYS; k++) {
            h.processElement(new StreamRecord<>(event(k, 100)));
        }
        op.endInput();
        Map<String, RecurrentOutput> last = new HashMap<>();
        List<RecurrentOutput> outs = new ArrayList<>(h.extractOutputValues());
        for (RecurrentOutput r : outs) {
            if ("B".equals(r.version)) {
                last.put(r.key, r);
            }
        }
        h.close();

        for (int k = 0; k < KEYS; k++) {
            RecurrentOutput r = last.get("k" + k);
            assertNotNull(r, "k" + k + "'s output under B");
            assertEquals(9, r.seq, "k" + k + ": 7 steps before the checkpoint, 2 after the restore");
            // steps 0..8, reset before steps 0 and 5: kept since then 5, 6, 7, 8; the warm-up replays the last 3
            float[] state = new float[bModel.stateSize()];
            float[] expected = ShadowStepperTest.direct(bModel, state, x(k, 6), x(k, 7), x(k, 8), x(k, 100));
            assertArrayEquals(expected, r.output, 1e-6f, "k" + k + ": B warmed up over steps 6 to 8");
        }
    }

    /**
     * keepInputs turned off for a while, then on again: the ring kept before holds inputs from before a
     * reset that happened while it was off, so a warm-up must not replay them (the format-2 build
     * dropped a key's ring at its first step without keepInputs).
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"hashmap", "rocksdb"})
    void aRingKeptBeforeKeepInputsWasOffIsNotReplayedAfterAReset(String backend) throws Exception {
        Path b = SwapTesting.variant(dir, "b", 0.5f);
        RecurrentModel bModel = ModelLoader.load(b).network();
        Recurrent.Builder keeping = Recurrent.builder(A).options(o -> o.keepInputs(4))
                .updates(StreamExecutionEnvironment.getExecutionEnvironment()
                        .fromData(TypeInformation.of(ModelUpdate.class), ModelUpdate.stopShadow()));
        Recurrent.Builder notKeeping = Recurrent.builder(A)
                .updates(StreamExecutionEnvironment.getExecutionEnvironment()
                        .fromData(TypeInformation.of(ModelUpdate.class), ModelUpdate.stopShadow()));

        var first = harness(keeping, backend, null);
        first.processElement(new StreamRecord<>(event(0, 1)));
        first.processElement(new StreamRecord<>(event(0, 2)));
        OperatorSubtaskState s1 = first.snapshot(1, 1);
        first.close();

        var off = harness(notKeeping, backend, s1);
        off.processElement(new StreamRecord<>(new KeyedEvent("k0", x(0, 3), true, KeyedEvent.NO_TIMESTAMP))); // a reset
        off.processElement(new StreamRecord<>(event(0, 4)));
        OperatorSubtaskState s2 = off.snapshot(2, 2);
        off.close();

        var h = harness(keeping, backend, s2);
        @SuppressWarnings("unchecked")
        var op = (RecurrentSwapOperator<String, KeyedEvent, RecurrentOutput, RejectedEvent>) h.getOperator();
        op.applyUpdate(SwapTesting.update(ModelUpdate.Kind.SWAP, b, "B", ModelUpdate.Policy.WARM_UP, 3));
        h.processElement(new StreamRecord<>(event(0, 5)));
        List<RecurrentOutput> outs = h.extractOutputValues();
        h.close();
        assertEquals(1, outs.size());
        float[] stale = ShadowStepperTest.direct(bModel, new float[bModel.stateSize()], x(0, 1), x(0, 2), x(0, 5));
        float[] none = ShadowStepperTest.direct(bModel, new float[bModel.stateSize()], x(0, 5));
        assertFalse(java.util.Arrays.equals(stale, outs.get(0).output), "x1 and x2 came before the reset: not replayed");
        assertArrayEquals(none, outs.get(0).output, 1e-6f, "no input kept since the reset: B from zeros");
    }
}
