package io.flinkrecurrent.anomaly;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The state layout's offsets and sizes, for a forecaster of 24 hidden units (the bundled one's). */
class StateLayoutTest {
    static final int HIDDEN = 24;
    /** The NLMS readout's state over it: the GRU's 24, the weights (1 x 25), the last features (24). */
    static final int READOUT = 24 + 25 + 24;

    static Map<String, Integer> lengths(StateLayout l) {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (StateLayout.Region r : l.regions()) {
            m.put(r.name(), r.length());
        }
        return m;
    }

    /** The regions lie one after the other from the base to the end, none empty, none overlapping. */
    static void assertContiguous(StateLayout l) {
        List<StateLayout.Region> regions = l.regions();
        int at = l.base;
        for (StateLayout.Region r : regions) {
            assertEquals(at, r.offset(), r.name());
            assertTrue(r.length() > 0, r.name());
            at += r.length();
        }
        assertEquals(l.end(), at);
        assertEquals(l.size(), at - l.base);
    }

    @Test
    void theWindowedLayoutHoldsFourRingsTheZAndEveryHiddenState() {
        StateLayout l = new StateLayout(DetectorParams.WINDOWED, HIDDEN, HIDDEN, 0, true);
        assertContiguous(l);
        Map<String, Integer> expected = new LinkedHashMap<>();
        for (String h : new String[] {"count", "min", "max", "forecast", "position", "all-time min", "all-time max",
                "quiet (range)", "quiet (alarm)"}) {
            expected.put(h, 1);
        }
        expected.put("errors", 1000);
        expected.put("values", 1000);
        expected.put("novelties", 1000);
        expected.put("levels", 1000);
        expected.put("z", 100);
        expected.put("hidden states", 1000 * HIDDEN);
        expected.put("forecaster", HIDDEN);
        assertEquals(expected, lengths(l));
        assertEquals(28_133, l.size());
        assertEquals(9, l.errOff);
        assertEquals(1000, l.wrap);
        assertEquals(DetectorParams.LEARN_ROWS + 1000 + 1000, l.countLimit);
        // without a level, no level ring; without the novelty, no hidden states
        StateLayout small = new StateLayout(DetectorParams.WINDOWED.toBuilder().level(0).novelty(false).build(), HIDDEN, HIDDEN, 0, true);
        assertContiguous(small);
        assertEquals(9 + 3 * 1000 + 100 + HIDDEN, small.size());
        assertFalse(lengths(small).containsKey("levels"));
        assertFalse(lengths(small).containsKey("hidden states"));
    }

    @Test
    void theCompactLayoutHoldsStatisticsShortRingsAndEveryEighthHiddenState() {
        StateLayout l = new StateLayout(DetectorParams.COMPACT, HIDDEN, READOUT, 0, true);
        assertContiguous(l);
        Map<String, Integer> m = lengths(l);
        assertEquals(4 * 2, m.get("statistics"), "four exponentially weighted [mean, variance]");
        assertEquals(1, m.get("errors"), "smooth 1");
        assertEquals(25, m.get("values"), "max(level, smooth)");
        assertEquals(100, m.get("z"));
        assertEquals(64, m.get("levels remembered"));
        assertEquals(2, m.get("level novelty statistics"));
        assertEquals(40, m.get("novelties (lasting)"));
        assertEquals(2, m.get("lasting statistics"));
        assertEquals(64 * HIDDEN, m.get("hidden states"));
        assertEquals(READOUT, m.get("forecaster"));
        assertFalse(m.containsKey("likelihood errors"));
        assertEquals(1860, l.size());
        // every ring's length divides the wrap, so a ring's slot is the same before and after it
        for (int ring : new int[] {1, 25, 100, 40, 64 * 8}) {
            assertEquals(0, l.wrap % ring, "ring " + ring);
        }
        assertEquals(DetectorParams.LEARN_ROWS + 1000 + 64 * 8 + 25, l.countLimit);
    }

    @Test
    void blocksOfStatisticsAndTheLikelihoodTakeTheirFloats() {
        StateLayout l = new StateLayout(DetectorParams.COMPACT.toBuilder().block(50).likely(10).build(), HIDDEN, READOUT, 0, true);
        assertContiguous(l);
        int stat = 5 + 2 * (1000 / 50);
        assertEquals(stat, l.stat);
        assertEquals(stat, RunningStats.floats(1000, 50));
        Map<String, Integer> m = lengths(l);
        assertEquals(4 * stat, m.get("statistics"));
        assertEquals(10, m.get("likelihood errors"));
        assertEquals(stat, m.get("likelihood statistics"));
        assertEquals(stat, m.get("level novelty statistics"));
        assertEquals(stat, m.get("lasting statistics"));
        assertEquals(0, l.wrap % 10);
    }

    @Test
    void aBlockAtABaseIsTheSameBlockShiftedAndWithoutItsScoringHasNoZ() {
        for (DetectorParams p : List.of(DetectorParams.WINDOWED, DetectorParams.COMPACT, DetectorParams.COMPACT_1)) {
            StateLayout at0 = new StateLayout(p, HIDDEN, READOUT, 0, true);
            StateLayout at = new StateLayout(p, HIDDEN, READOUT, 1234, true);
            assertContiguous(at);
            assertEquals(at0.size(), at.size());
            List<StateLayout.Region> r0 = at0.regions();
            List<StateLayout.Region> r = at.regions();
            assertEquals(r0.size(), r.size());
            for (int i = 0; i < r.size(); i++) {
                assertEquals(r0.get(i).offset() + 1234, r.get(i).offset(), r.get(i).name());
                assertEquals(r0.get(i).length(), r.get(i).length(), r.get(i).name());
            }
            StateLayout unscored = new StateLayout(p, HIDDEN, READOUT, 1234, false);
            assertContiguous(unscored);
            assertEquals(at.size() - p.hold(), unscored.size());
            assertFalse(lengths(unscored).containsKey("z"));
            assertEquals(at.wrap, unscored.wrap);
        }
    }

    @Test
    void ringsTooManyRowsApartAreRefused() {
        DetectorParams far = DetectorParams.COMPACT.toBuilder().hold(997).lasting(991).smooth(983).level(0).levelNovelty(0f)
                .levelWeight(1f).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new StateLayout(far, HIDDEN, READOUT, 0, true));
        assertTrue(e.getMessage().contains("too many rows apart"), e.getMessage());
        assertEquals(3, StateLayout.ring(-1, 4));
        assertEquals(1, StateLayout.ring(9, 4));
    }
}
