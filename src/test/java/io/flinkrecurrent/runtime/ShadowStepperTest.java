package io.flinkrecurrent.runtime;

import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.Scratch;
import io.flinkrecurrent.flink.KeyState;
import io.flinkrecurrent.flink.ModelUpdate;
import io.flinkrecurrent.flink.SwapTesting;
import io.flinkrecurrent.model.ModelLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shadow's step on its own per-key state, against the shadow model stepped directly. */
class ShadowStepperTest {
    static final RecurrentModel A = ModelChainTest.A;

    @TempDir
    Path dir;

    static float[] x(float v) {
        float[] x = new float[A.inputSize()];
        java.util.Arrays.fill(x, v);
        return x;
    }

    /** The model's output after stepping {@code state} (updated) with each input. */
    static float[] direct(RecurrentModel m, float[] state, float[]... inputs) {
        float[] out = new float[m.outputSize()];
        Scratch s = m.newScratch();
        for (float[] in : inputs) {
            m.step(out, state, in, s);
        }
        return out;
    }

    @Test
    void aKeysShadowStartsAtItsFirstEventAndIsResetWithTheLiveState() throws Exception {
        Path b = SwapTesting.variant(dir, "b", 0.5f);
        RecurrentModel bModel = ModelLoader.load(b).network();
        ModelChain chain = new ModelChain(A, "A", 0);
        ShadowStepper shadow = new ShadowStepper(chain);
        shadow.install();
        assertFalse(shadow.running(), "no shadow yet");
        chain.apply(SwapTesting.update(ModelUpdate.Kind.SHADOW, b, "B", ModelUpdate.Policy.RESET, 0));
        shadow.install();
        assertTrue(shadow.running());
        assertEquals("B", shadow.version());

        KeyState s = shadow.step(null, x(0.1f), false, null, 4);
        float[] expected = new float[bModel.stateSize()];
        assertArrayEquals(direct(bModel, expected, x(0.1f)), shadow.output(), "from zeros at the key's first event");
        assertArrayEquals(expected, s.state);
        assertEquals(5, s.seq, "the live output's seq + 1");

        KeyState same = shadow.step(s, x(0.2f), false, null, 5);
        assertArrayEquals(direct(bModel, expected, x(0.2f)), shadow.output(), "goes on from its own state");
        assertEquals(s, same);

        KeyState reset = shadow.step(s, x(0.3f), true, null, 6);
        assertArrayEquals(direct(bModel, new float[bModel.stateSize()], x(0.3f)), shadow.output(),
                "reset with the live state's reset");
        assertEquals(s, reset);
    }

    @Test
    void aWarmingUpShadowStartsFromTheKeysKeptInputs() throws Exception {
        Path b = SwapTesting.variant(dir, "b", 0.5f);
        RecurrentModel bModel = ModelLoader.load(b).network();
        ModelChain chain = new ModelChain(A, "A", 4);
        chain.apply(SwapTesting.update(ModelUpdate.Kind.SHADOW, b, "B", ModelUpdate.Policy.WARM_UP, 2));
        ShadowStepper shadow = new ShadowStepper(chain);
        shadow.install();
        float[] ring = InputRing.create(4, A.inputSize());
        InputRing.push(ring, x(0.7f));
        InputRing.push(ring, x(0.8f));
        InputRing.push(ring, x(0.9f));

        KeyState old = new KeyState();
        old.fingerprint = 12345; // a shadow state of another shadow: started again
        KeyState s = shadow.step(old, x(0.1f), false, ring, 0);
        assertNotSame(old, s);
        float[] expected = direct(bModel, new float[bModel.stateSize()], x(0.8f), x(0.9f), x(0.1f));
        assertArrayEquals(expected, shadow.output(), "warmed up over the last 2 kept inputs, then the event's");
    }
}
