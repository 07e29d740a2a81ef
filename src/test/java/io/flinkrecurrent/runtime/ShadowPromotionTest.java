package io.flinkrecurrent.runtime;

import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.flink.ModelUpdate;
import io.flinkrecurrent.flink.Recurrent;
import io.flinkrecurrent.flink.RecurrentOutput;
import io.flinkrecurrent.flink.RejectedEvent;
import io.flinkrecurrent.flink.ShadowOutput;
import io.flinkrecurrent.flink.SwapTesting;
import io.flinkrecurrent.model.ModelLoader;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A promotion and a new shadow before a key's next event: the key's live state becomes the promoted
 * shadow's, its old shadow state is dropped, and the new shadow starts for it once (warmed up over its
 * kept inputs) and goes on from there at its following events.
 */
class ShadowPromotionTest {
    static final RecurrentModel A = ModelChainTest.A;

    @TempDir
    Path dir;

    @Test
    void aNewShadowAfterAPromotionStartsOnceForTheKeyAndGoesOn() throws Exception {
        Path b = SwapTesting.variant(dir, "b", 0.5f);
        Path c = SwapTesting.variant(dir, "c", 0.7f);
        RecurrentModel cModel = ModelLoader.load(c).network();
        Recurrent.Builder builder = Recurrent.builder(A).options(o -> o.keepInputs(4))
                .updates(StreamExecutionEnvironment.getExecutionEnvironment()
                        .fromData(TypeInformation.of(ModelUpdate.class), ModelUpdate.stopShadow()));
        var h = new KeyedOneInputStreamOperatorTestHarness<>(builder.operator(), Recurrent.keySelector(), Types.STRING);
        h.setup();
        h.open();
        @SuppressWarnings("unchecked")
        var op = (RecurrentSwapOperator<String, KeyedEvent, RecurrentOutput, RejectedEvent>) h.getOperator();
        float[][] x = {ShadowStepperTest.x(0.1f), ShadowStepperTest.x(0.2f), ShadowStepperTest.x(0.3f), ShadowStepperTest.x(0.4f)};

        h.processElement(new StreamRecord<>(new KeyedEvent("k", x[0])));
        op.applyUpdate(SwapTesting.update(ModelUpdate.Kind.SHADOW, b, "B", ModelUpdate.Policy.RESET, 0));
        h.processElement(new StreamRecord<>(new KeyedEvent("k", x[1])));
        op.applyUpdate(ModelUpdate.promote());
        op.applyUpdate(SwapTesting.update(ModelUpdate.Kind.SHADOW, c, "C", ModelUpdate.Policy.WARM_UP, 2));
        h.processElement(new StreamRecord<>(new KeyedEvent("k", x[2])));
        h.processElement(new StreamRecord<>(new KeyedEvent("k", x[3])));

        List<ShadowOutput> shadows = new ArrayList<>();
        for (StreamRecord<ShadowOutput> r : h.getSideOutput(Recurrent.SHADOW)) {
            shadows.add(r.getValue());
        }
        assertEquals(List.of("B", "C", "C"), shadows.stream().map(s -> s.shadowVersion).toList());
        // C for k: warmed up over its two kept inputs before x2, then x2, then on from its own state with x3
        float[] state = new float[cModel.stateSize()];
        float[] atX2 = ShadowStepperTest.direct(cModel, state, x[0], x[1], x[2]);
        float[] atX3 = ShadowStepperTest.direct(cModel, state, x[3]);
        assertArrayEquals(atX2, shadows.get(1).shadow, "C starts for k at its first event under C");
        assertArrayEquals(atX3, shadows.get(2).shadow, "and goes on from its own state, not started again");
        h.close();
    }
}
