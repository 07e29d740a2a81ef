package io.flinkrecurrent.anomaly;

import org.junit.jupiter.api.Test;

import static io.flinkrecurrent.anomaly.CombinationTest.combine;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The top combination: the mean of the largest z values, the range rule from several metrics at once. */
class TopCombinationTest {
    static final Cause E = Cause.ERROR;
    static final Cause V = Cause.VALUE;
    static final Cause N = Cause.NOVELTY;

    @Test
    void theKeysZIsTheMeanOfTheLargestWithTheLargestsCauseAndMetric() {
        float[] z = {1f, 9f, -2f, 4f, 5f};
        assertArrayEquals(new float[] {6f, N.ordinal(), 1f}, combine(Combination.DEFAULT, z, E, N, E, V, V)); // (9 + 5 + 4) / 3
        assertArrayEquals(new float[] {3.4f, N.ordinal(), 1f}, combine(Combination.top(10, 1), z, E, N, E, V, V), "all five");
        assertArrayEquals(new float[] {5f, V.ordinal(), 0f}, combine(Combination.DEFAULT, new float[] {5f, 5f, 5f, 1f}, V, E, E, E),
                "equal ones each counted once, the first named");
        assertArrayEquals(new float[] {2f, E.ordinal(), 0f}, combine(Combination.DEFAULT, new float[] {3f, 1f}, E, V), "two metrics: both");
    }

    @Test
    void withOneMetricOrTopOneItIsTheMax() {
        float[][] rows = {{3.5f}, {-1f}, {0f}, {1f, 7f, 7f, 2f}, {-3f, -1f, -2f}};
        for (float[] z : rows) {
            Cause[] causes = new Cause[z.length];
            java.util.Arrays.fill(causes, E);
            causes[causes.length - 1] = N;
            assertArrayEquals(combine(Combination.max(), z, causes), combine(Combination.top(1, 1), z, causes));
            if (z.length == 1) {
                assertArrayEquals(combine(Combination.max(), z, causes), combine(Combination.DEFAULT, z, causes));
            }
        }
        for (float excess : new float[] {0f, 0.3f}) {
            assertEquals(excess > 0f, Combination.DEFAULT.beyond(new float[] {excess}, 1), "one metric: its own range rule");
        }
    }

    @Test
    void theRangeRuleNeedsThatManyMetricsBeyondTheirRangeAtOnce() {
        assertFalse(Combination.DEFAULT.beyond(new float[] {0.5f, 0f, 0.1f, 0f}, 4), "two of four beyond, three needed");
        assertTrue(Combination.max().beyond(new float[] {0.5f, 0f, 0.1f, 0f}, 4), "the default rule: any");
        assertTrue(Combination.DEFAULT.beyond(new float[] {0.5f, 0.2f, 0.1f, 0f}, 4));
        assertTrue(Combination.DEFAULT.beyond(new float[] {0.5f, 0.2f}, 2), "two metrics: both");
        assertFalse(Combination.DEFAULT.beyond(new float[] {0.5f, 0f, 0.2f, 0.1f}, 2), "only the first `metrics` count");
    }

    @Test
    void itDescribesItselfAndRefusesNonsense() {
        assertEquals("top=3,rangeMetrics=3", Combination.DEFAULT.describe());
        assertEquals(0, Combination.DEFAULT.stateSize());
        assertThrows(IllegalArgumentException.class, () -> Combination.top(0, 3));
        assertThrows(IllegalArgumentException.class, () -> Combination.top(3, 0));
    }
}
