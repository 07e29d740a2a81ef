package io.flinkrecurrent.runtime;

import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.Scratch;
import io.flinkrecurrent.flink.KeyState;
import io.flinkrecurrent.flink.KeyStateSerializer;
import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.flink.ModelUpdate;
import io.flinkrecurrent.flink.Recurrent;
import io.flinkrecurrent.flink.RecurrentOutput;
import io.flinkrecurrent.flink.RejectedEvent;
import io.flinkrecurrent.flink.SwapTesting;
import io.flinkrecurrent.model.ModelLoader;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeutils.base.array.FloatPrimitiveArraySerializer;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A key's state as release 0.1 wrote it (KeyStateSerializer format 1, its kept inputs in the second
 * state {@code recurrent-recent-inputs}), or as the build after it wrote it (format 2, the kept inputs
 * inside the key's state), on the heap and on RocksDB, with and without state TTL, restored into the
 * current operator: the key goes on from its state, its kept inputs move to the state written behind
 * ({@link KeptInputs}) at its next event, survive a second checkpoint and restore there, and a warm-up
 * after a swap replays the inputs kept before and after both restores.
 */
class KeyStateFormatMigrationTest {
    static final RecurrentModel A = ModelChainTest.A;
    static final Duration TTL = Duration.ofHours(1);

    @TempDir
    Path dir;

    static float[] x(float v) {
        return ShadowStepperTest.x(v);
    }

    /** Writes one key's state the way 0.1's operator did (format 1), or format 2 did, after x1 and x2. */
    static final class OldFormatWriter extends KeyedProcessFunction<String, KeyedEvent, KeyedEvent> {
        final boolean ttl;
        final int format;
        transient ValueState<KeyState> state;
        transient ValueState<float[]> ring;

        OldFormatWriter(boolean ttl, int format) {
            this.ttl = ttl;
            this.format = format;
        }

        @Override
        public void open(OpenContext context) {
            ValueStateDescriptor<KeyState> d = new ValueStateDescriptor<>(RecurrentOperator.STATE, KeyStateSerializer.ofFormat(format));
            if (ttl) { // as KeyStates.descriptor configures it
                d.enableTimeToLive(StateTtlConfig.newBuilder(TTL).setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                        .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired).build());
            }
            state = getRuntimeContext().getState(d);
            ring = getRuntimeContext().getState(new ValueStateDescriptor<>(RecurrentOperator.LEGACY_RECENT_INPUTS,
                    FloatPrimitiveArraySerializer.INSTANCE));
        }

        @Override
        public void processElement(KeyedEvent e, Context ctx, Collector<KeyedEvent> out) throws Exception {
            KeyState ks = new KeyState();
            ks.fingerprint = A.fingerprint();
            ks.state = new float[A.stateSize()];
            ShadowStepperTest.direct(A, ks.state, x(0.1f), x(0.2f));
            ks.seq = 2;
            ks.sinceReset = 2;
            ks.lastProcessingTime = 0;
            state.update(ks);
            float[] r = InputRing.create(4, A.inputSize());
            InputRing.push(r, x(0.1f));
            InputRing.push(r, x(0.2f));
            if (format == 1) {
                ring.update(r);
            } else {
                ks.recentInputs = r;
                state.update(ks);
            }
        }
    }

    static <OUT> void backend(KeyedOneInputStreamOperatorTestHarness<String, KeyedEvent, OUT> h, String backend) {
        if (backend.equals("rocksdb")) {
            h.setStateBackend(new EmbeddedRocksDBStateBackend());
        }
    }

    @ParameterizedTest(name = "format {2}, {0}, ttl {1}")
    @CsvSource({"hashmap, false, 1", "hashmap, true, 1", "rocksdb, false, 1", "rocksdb, true, 1",
            "hashmap, false, 2", "hashmap, true, 2", "rocksdb, false, 2", "rocksdb, true, 2"})
    void anOldStateAndItsKeptInputsGoOn(String backend, boolean ttl, int format) throws Exception {
        var writer = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new OldFormatWriter(ttl, format)),
                Recurrent.keySelector(), Types.STRING);
        backend(writer, backend);
        writer.open();
        writer.processElement(new StreamRecord<>(new KeyedEvent("k", x(0f))));
        OperatorSubtaskState saved = writer.snapshot(1, 1);
        writer.close();

        Path b = SwapTesting.variant(dir, "b", 0.5f);
        RecurrentModel bModel = ModelLoader.load(b).network();
        Recurrent.Builder builder = Recurrent.builder(A).options(o -> {
            o.keepInputs(4);
            if (ttl) {
                o.stateTtl(TTL);
            }
        }).updates(StreamExecutionEnvironment.getExecutionEnvironment()
                .fromData(TypeInformation.of(ModelUpdate.class), ModelUpdate.stopShadow()));
        var first = new KeyedOneInputStreamOperatorTestHarness<>(builder.operator(), Recurrent.keySelector(), Types.STRING);
        backend(first, backend);
        first.setup();
        first.initializeState(saved);
        first.open();
        first.processElement(new StreamRecord<>(new KeyedEvent("k", x(0.3f))));
        OperatorSubtaskState again = first.snapshot(2, 2); // the ring, in the cache since x3, reaches its state here
        List<RecurrentOutput> before = first.extractOutputValues();
        first.close();

        var h = new KeyedOneInputStreamOperatorTestHarness<>(builder.operator(), Recurrent.keySelector(), Types.STRING);
        backend(h, backend);
        h.setup();
        h.initializeState(again);
        h.open();
        @SuppressWarnings("unchecked")
        var op = (RecurrentSwapOperator<String, KeyedEvent, RecurrentOutput, RejectedEvent>) h.getOperator();
        op.applyUpdate(SwapTesting.update(ModelUpdate.Kind.SWAP, b, "B", ModelUpdate.Policy.WARM_UP, 3));
        h.processElement(new StreamRecord<>(new KeyedEvent("k", x(0.4f))));
        List<RecurrentOutput> outs = new java.util.ArrayList<>(before);
        outs.addAll(h.extractOutputValues());
        assertEquals(2, outs.size());
        assertEquals(2, outs.get(0).seq, "the restored key's count goes on");
        float[] aState = new float[A.stateSize()];
        assertArrayEquals(ShadowStepperTest.direct(A, aState, x(0.1f), x(0.2f), x(0.3f)), outs.get(0).output,
                "A from the restored state");
        float[] bState = new float[bModel.stateSize()];
        assertArrayEquals(ShadowStepperTest.direct(bModel, bState, x(0.1f), x(0.2f), x(0.3f), x(0.4f)), outs.get(1).output,
                "B warmed up over the inputs kept before and after the restore");
        h.close();
    }
}
