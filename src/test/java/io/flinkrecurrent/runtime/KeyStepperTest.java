package io.flinkrecurrent.runtime;

import io.flinkrecurrent.flink.KeyState;
import io.flinkrecurrent.flink.RecurrentOptions;
import io.flinkrecurrent.flink.RecurrentOptions.NonFinitePolicy;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-key step without Flink: prepare, step, guard, advance, as both forms of the operator call it. */
class KeyStepperTest {
    static final OperatorMetrics METRICS = new OperatorMetrics(new UnregisteredMetricsGroup());

    static KeyStepper stepper(RecurrentOptions options) {
        KeyStepper s = new KeyStepper(options, METRICS, Admission.Form.DATASTREAM);
        s.use(new ArticleModel(), 7L);
        return s;
    }

    @Test
    void theArticlesRecurrenceAndItsReset() {
        KeyStepper s = stepper(RecurrentOptions.DEFAULTS);
        float[] y = new float[1];
        KeyState ks = null;
        float[] outputs = new float[4];
        for (int i = 0; i < 4; i++) {
            ks = s.prepare(ks, i == 3, 100 + i, 0);
            assertEquals(i, s.step(y, ks, new float[] {3}, 100 + i, 0), "seq");
            outputs[i] = y[0];
        }
        assertArrayEquals(new float[] {2, -4, -16, 2}, outputs, "2, -4, -16, and 2 again after the reset");
        assertEquals(1, ks.sinceReset);
        assertEquals(103, ks.lastEventTime);
        assertEquals(7L, ks.fingerprint, "the tag the stepper was given");
    }

    @Test
    void aStateWrittenByAnotherModelStartsFromZeros() {
        KeyStepper s = stepper(RecurrentOptions.DEFAULTS);
        KeyState ks = new KeyState();
        ks.fingerprint = 8L;
        ks.state = new float[] {100};
        ks.seq = 5;
        ks.sinceReset = 5;
        ks = s.prepare(ks, false, 1, 0);
        assertEquals(0f, ks.state[0]);
        assertEquals(0, ks.sinceReset);
        assertEquals(5, ks.seq, "seq is never restarted");
    }

    @Test
    void anOverflowIsRefusedAndTheKeyKeepsItsStateOrRestarts() {
        for (NonFinitePolicy policy : NonFinitePolicy.values()) {
            KeyStepper s = stepper(RecurrentOptions.builder().onNonFiniteState(policy).build());
            float[] y = new float[1];
            KeyState ks = s.prepare(null, false, 1, 0);
            assertEquals(0, s.step(y, ks, new float[] {3}, 1, 0));
            assertEquals(1, s.step(y, ks, new float[] {Float.MAX_VALUE}, 2, 0), "2 * 3 + MAX rounds to MAX: finite");
            long seq = s.step(y, ks, new float[] {Float.MAX_VALUE}, 3, 0);
            assertEquals(-1, seq, policy + ": 2 * MAX + MAX overflows, refused");
            assertNotNull(s.refusal());
            assertTrue(s.refusal().contains("the event is not applied"), s.refusal());
            assertEquals(policy == NonFinitePolicy.RESET ? 0f : Float.MAX_VALUE, ks.state[0], policy + ": the key's state");
            assertEquals(2, ks.seq, policy + ": the refused step is not counted");
            assertEquals(2, ks.lastEventTime, policy + ": nor its time");
        }
    }

    @Test
    void theIdleGapResetsBeforeTheStep() {
        KeyStepper s = stepper(RecurrentOptions.builder().resetWhenIdle(Duration.ofMillis(10)).build());
        float[] y = new float[1];
        KeyState ks = s.prepare(null, false, 100, 0);
        s.step(y, ks, new float[] {3}, 100, 0);
        ks = s.prepare(ks, false, 105, 0);
        s.step(y, ks, new float[] {3}, 105, 0);
        assertEquals(-4f, y[0], "within the gap: the state goes on");
        ks = s.prepare(ks, false, 116, 0);
        s.step(y, ks, new float[] {3}, 116, 0);
        assertEquals(2f, y[0], "after a gap longer than 10 ms: from zeros");
        assertNull(s.refusal());
    }
}
