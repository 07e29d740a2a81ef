package io.flinkrecurrent.anomaly;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The key's z and range rule from its metrics' surprises. */
class MetricCombinationTest {
    /** Metrics' rows of [z, cause, error, excess], as a vector detector's tracks write them. */
    private static float[] combine(MetricCombination c, float[][] metrics) {
        float[] rows = new float[metrics.length * 4];
        for (int j = 0; j < metrics.length; j++) {
            rows[j * 4] = metrics[j][0];
            rows[j * 4 + 3] = metrics[j][1];
        }
        float[] out = new float[3];
        c.combine(rows, metrics.length, 4, 0, 3, new float[c.top()], out);
        return out;
    }

    @Test
    void theKeysZIsTheMeanOfTheLargestAndItsMetricTheLargest() {
        float[][] m = {{1f, 0f}, {9f, 0f}, {-2f, 0f}, {4f, 0f}, {5f, 0f}};
        assertArrayEquals(new float[] {6f, 1f, 0f}, combine(MetricCombination.TOP_3, m)); // (9 + 5 + 4) / 3
        assertArrayEquals(new float[] {9f, 1f, 0f}, combine(MetricCombination.LARGEST, m));
        assertArrayEquals(new float[] {3.4f, 1f, 0f}, combine(new MetricCombination(10, 1), m), 1e-6f); // all five
    }

    @Test
    void theRangeRuleNeedsThatManyMetricsBeyondTheirRangeAtOnce() {
        float[][] two = {{0f, 0.5f}, {0f, 0f}, {0f, 0.1f}, {0f, 0f}};
        assertEquals(0f, combine(MetricCombination.TOP_3, two)[2], "two of four beyond, three needed");
        assertEquals(1f, combine(MetricCombination.LARGEST, two)[2]);
        float[][] three = {{0f, 0.5f}, {0f, 0.2f}, {0f, 0.1f}, {0f, 0f}};
        assertEquals(1f, combine(MetricCombination.TOP_3, three)[2]);
    }

    @Test
    void withOneMetricItIsThatMetric() {
        for (float z : new float[] {-1f, 0f, 3.5f, 40f}) {
            for (float excess : new float[] {0f, 0.3f}) {
                assertArrayEquals(new float[] {z, 0f, excess > 0f ? 1f : 0f},
                        combine(MetricCombination.TOP_3, new float[][] {{z, excess}}), "z " + z + ", excess " + excess);
            }
        }
        assertArrayEquals(new float[] {2f, 1f, 1f}, combine(MetricCombination.TOP_3, new float[][] {{1f, 0.2f}, {3f, 0.1f}}),
                "two metrics: their mean, the range rule from both");
    }

    @Test
    void nonsenseIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new MetricCombination(0, 3));
        assertThrows(IllegalArgumentException.class, () -> new MetricCombination(3, 0));
        assertEquals("top=3,rangeMetrics=3", MetricCombination.TOP_3.describe());
    }
}
