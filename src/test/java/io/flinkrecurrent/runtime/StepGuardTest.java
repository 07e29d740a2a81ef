package io.flinkrecurrent.runtime;

import io.flinkrecurrent.flink.KeyState;
import io.flinkrecurrent.flink.RecurrentOptions.NonFinitePolicy;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The one non-finite guard, in both forms' words. */
class StepGuardTest {
    static KeyState state(float... values) {
        KeyState ks = new KeyState();
        ks.state = values;
        ks.sinceReset = 4;
        return ks;
    }

    @Test
    void aFiniteStepPasses() {
        StepGuard g = new StepGuard(NonFinitePolicy.REJECT, KeyStepperTest.METRICS, "event");
        assertNull(g.check(new float[] {1}, state(1, 2), new float[] {0, 0}));
    }

    @Test
    void rejectPutsTheStateBackAsItWas() {
        StepGuard g = new StepGuard(NonFinitePolicy.REJECT, KeyStepperTest.METRICS, "event");
        KeyState ks = state(Float.NaN, 2);
        assertEquals("the step made the key's state or the output NaN or infinite (an overflow); the event is not applied "
                + "and the key keeps its state from before it", g.check(new float[] {1}, ks, new float[] {7, 8}));
        assertArrayEquals(new float[] {7, 8}, ks.state);
        assertEquals(4, ks.sinceReset);
    }

    @Test
    void resetZeroesTheStateOnAnInfiniteOutputInTheRowsWords() {
        StepGuard g = new StepGuard(NonFinitePolicy.RESET, KeyStepperTest.METRICS, "row");
        KeyState ks = state(1, 2);
        assertEquals("the step made the key's state or the output NaN or infinite (an overflow); the row is not applied "
                + "and the key restarts from zeros", g.check(new float[] {Float.POSITIVE_INFINITY}, ks, new float[] {7, 8}));
        assertArrayEquals(new float[] {0, 0}, ks.state);
        assertEquals(0, ks.sinceReset);
    }
}
