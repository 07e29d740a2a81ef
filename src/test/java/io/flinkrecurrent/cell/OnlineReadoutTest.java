package io.flinkrecurrent.cell;

import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.flink.Recurrent;
import io.flinkrecurrent.flink.RecurrentOutput;
import io.flinkrecurrent.model.ModelLoader;
import io.flinkrecurrent.testing.Golden;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The per-key online readout: it learns to forecast a key's next input from the key's own events
 * (NLMS and RLS), RLS with forgetting follows a change, its weights are in the key's state (so a
 * snapshot and restore continue it exactly), and a zero state is a key that has learnt nothing.
 */
class OnlineReadoutTest {
    /** A delay line: the state and the output are the last two inputs, [x(t), x(t-1)]. */
    static final RecurrentModel DELAY = Recurrence.of("delay-2", 1, 1, 2, 2,
            (next, h, x) -> {
                next[1] = h[0];
                next[0] = x[0];
            },
            (y, h) -> {
                y[0] = h[0];
                y[1] = h[1];
            });

    /** A sine of angular step w: x(t) = 2 cos(w) x(t-1) - x(t-2), exactly linear in the last two values. */
    static float sine(double w, int t) {
        return (float) Math.sin(w * t + 0.3);
    }

    /** The mean absolute forecast error over events [from, to) of a sine whose frequency changes at {@code change}. */
    static double error(OnlineReadout m, int from, int to, int change) {
        float[] state = m.newState();
        Scratch s = m.newScratch();
        float[] out = new float[2];
        double sum = 0;
        for (int t = 0; t < to; t++) {
            float x = t < change ? sine(0.3, t) : sine(0.7, t);
            m.step(out, state, new float[] {x}, s);
            if (t >= from) {
                sum += Math.abs(out[0]);
            }
        }
        return sum / (to - from);
    }

    @Test
    void nlmsLearnsToForecastTheKeysNextInput() {
        OnlineReadout m = OnlineReadout.nlms(DELAY, 0.5f);
        assertEquals(2, m.outputSize());
        assertEquals(2 + 3 + 2, m.stateSize(), "the delay line's 2, W's 1 x (2 + 1), the last features' 2");
        double early = error(m, 0, 20, Integer.MAX_VALUE);
        double late = error(m, 1_900, 2_000, Integer.MAX_VALUE);
        assertTrue(early > 0.1, "it starts knowing nothing: " + early);
        assertTrue(late < 0.01, "and learns x(t) = 2 cos(w) x(t-1) - x(t-2): " + late);
    }

    /** Over a fixed random reservoir (a GRU nobody trained), the key's readout learns the key's sine. */
    @Test
    void overARandomReservoirTheReadoutLearnsTheKeysSeries() {
        RecurrentNetwork reservoir = RecurrentNetwork.builder(CellType.GRU, 1, 24).randomLayer(7, 1f).build();
        assertEquals(24, reservoir.outputSize(), "no head: the reservoir's output is its hidden state");
        OnlineReadout m = OnlineReadout.nlms(reservoir, 0.5f);
        double early = error(m, 0, 200, Integer.MAX_VALUE);
        double late = error(m, 4800, 5000, Integer.MAX_VALUE);
        assertTrue(late < early / 5, "error " + early + " at first, " + late + " after 4,800 events");
        assertEquals(reservoir.fingerprint(), RecurrentNetwork.builder(CellType.GRU, 1, 24).randomLayer(7, 1f).build().fingerprint(),
                "the same seed, the same weights");
        assertNotEquals(reservoir.fingerprint(), RecurrentNetwork.builder(CellType.GRU, 1, 24).randomLayer(8, 1f).build().fingerprint());
    }

    @Test
    void rlsWithForgettingFollowsAChange() {
        OnlineReadout m = OnlineReadout.rls(DELAY, 0.98f, 0.01f);
        assertEquals(2 + 3 + 2 + 9 + 1, m.stateSize(), "and P, 3 x 3, and P's flag");
        double converged = error(m, 50, 200, Integer.MAX_VALUE);
        assertTrue(converged < 0.01, "RLS converges within a few dozen events: " + converged);
        double justAfter = error(m, 500, 505, 500);
        double later = error(m, 700, 800, 500);
        assertTrue(justAfter > 0.05, "the frequency changes at 500: the forecast is wrong (" + justAfter + ")");
        assertTrue(later < 0.01, "and after forgetting the old one, right again (" + later + ")");
    }

    @Test
    void theForecastIsTheNextEventsError() {
        OnlineReadout m = OnlineReadout.nlms(DELAY, 0.5f);
        float[] state = m.newState();
        Scratch s = m.newScratch();
        float[] out = new float[2];
        float forecast = Float.NaN;
        for (int t = 0; t < 50; t++) {
            float x = sine(0.3, t);
            m.step(out, state, new float[] {x}, s);
            if (t > 0) {
                assertEquals(x - forecast, out[0], 1e-6f, "the error at t is x(t) minus the forecast made at t-1");
            }
            forecast = out[1];
        }
    }

    @Test
    void theLearntWeightsAreTheKeysStateThroughASnapshot() throws Exception {
        OnlineReadout m = OnlineReadout.rls(ModelLoader.load(Golden.dir().resolve("public/rnn_tanh_i3_h4_l1.safetensors")).network(),
                0.99f, 0.1f);
        List<KeyedEvent> events = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            events.add(new KeyedEvent("k" + i % 3, new float[] {sine(0.2, i), sine(0.5, i), sine(0.9, i)}));
        }
        var whole = harness(m);
        whole.open();
        for (KeyedEvent e : events) {
            whole.processElement(e, 0L);
        }
        List<RecurrentOutput> expected = whole.extractOutputValues();
        whole.close();
        var first = harness(m);
        first.open();
        for (KeyedEvent e : events.subList(0, 200)) {
            first.processElement(e, 0L);
        }
        OperatorSubtaskState snapshot = first.snapshot(1L, 1L);
        List<RecurrentOutput> got = new ArrayList<>(first.extractOutputValues());
        first.close();
        // a restart: a fresh copy of the model (as Flink deserializes it), the keys' learning only in the snapshot
        var second = harness(org.apache.flink.util.InstantiationUtil.clone(m));
        second.initializeState(snapshot);
        second.open();
        for (KeyedEvent e : events.subList(200, 400)) {
            second.processElement(e, 0L);
        }
        got.addAll(second.extractOutputValues());
        second.close();
        assertEquals(expected, got, "the restored keys go on learning from where they were, to the bit");
    }

    static KeyedOneInputStreamOperatorTestHarness<String, KeyedEvent, RecurrentOutput> harness(RecurrentModel m) throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(Recurrent.builder(m).emitState(true).operator(), Recurrent.keySelector(), Types.STRING);
        h.setup();
        return h;
    }

    @Test
    void itsIdentityIsTheRuleTheRateAndTheInnerModel() {
        assertNotEquals(OnlineReadout.nlms(DELAY, 0.5f).fingerprint(), OnlineReadout.nlms(DELAY, 0.25f).fingerprint());
        assertNotEquals(OnlineReadout.nlms(DELAY, 0.5f).fingerprint(), OnlineReadout.rls(DELAY, 0.5f, 1f).fingerprint());
        assertEquals(OnlineReadout.nlms(DELAY, 0.5f).fingerprint(), OnlineReadout.nlms(DELAY, 0.5f).fingerprint());
        assertThrows(IllegalArgumentException.class, () -> OnlineReadout.nlms(DELAY, 2f));
        assertThrows(IllegalArgumentException.class, () -> OnlineReadout.rls(DELAY, 1.5f, 1f));
    }

    @Test
    void aSpecNamesTheRuleAndItsRates() {
        assertEquals(OnlineReadout.nlms(DELAY, 0.5f).fingerprint(), OnlineReadout.parse(DELAY, "nlms").fingerprint());
        assertEquals(OnlineReadout.nlms(DELAY, 0.25f).fingerprint(), OnlineReadout.parse(DELAY, " NLMS  0.25 ").fingerprint());
        assertEquals(OnlineReadout.rls(DELAY, 0.999f, 1f).fingerprint(), OnlineReadout.parse(DELAY, "rls").fingerprint());
        assertEquals(OnlineReadout.rls(DELAY, 0.99f, 10f).fingerprint(), OnlineReadout.parse(DELAY, "rls 0.99 10").fingerprint());
        for (String[] bad : new String[][] {
                {"lms", "online readout 'lms' is not 'nlms [mu]' or 'rls [lambda [delta]]'"},
                {"nlms 0.5 1", "is not 'nlms [mu]'"},
                {"", "online readout '' is not"},
                {"nlms x", "online readout 'nlms x': For input string: \"x\" is not a number"},
                {"rls 1.5", "online readout 'rls 1.5': RLS needs 0 < lambda <= 1"}}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OnlineReadout.parse(DELAY, bad[0]));
            assertTrue(e.getMessage().contains(bad[1]), e.getMessage());
        }
    }
}
