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
    void aNaNZGivesANaNKeyZForTheGuardNotACrash() {
        for (float[] z : new float[][] {{Float.NaN, 1f, 2f}, {1f, Float.NaN, 2f}, {Float.NaN, Float.NaN, Float.NaN}}) {
            float[] out = combine(Combination.DEFAULT, z, E, V, N);
            assertTrue(Float.isNaN(out[0]) || out[0] > 0f, java.util.Arrays.toString(z) + " -> " + java.util.Arrays.toString(out));
            assertTrue(out[2] >= 0 && out[2] < 3, "a metric of the key");
        }
        assertTrue(Float.isNaN(combine(Combination.DEFAULT, new float[] {Float.NaN, 1f, 2f}, E, V, N)[0]),
                "the largest is the first (nothing compares above NaN): the key's z is NaN, which the step guard refuses");
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

    /** The vector detector with the default combination and one metric is the univariate detector, bit for bit. */
    @Test
    void aVectorDetectorOfOneMetricWithItScoresAsTheUnivariateDetector() throws Exception {
        float[] v = VectorDetectorTest.nab("realKnownCause/machine_temperature_system_failure.csv.gz");
        var forecaster = Forecasters.bundled();
        float[][] uni = VectorDetectorTest.run(AnomalyDetector.compact(forecaster), VectorDetectorTest.columns(v));
        float[][] vec = VectorDetectorTest.run(new VectorDetector(forecaster, DetectorParams.COMPACT, 1, Combination.DEFAULT),
                VectorDetectorTest.columns(v));
        int alarms = 0;
        for (int i = 0; i < v.length; i++) {
            assertEquals(Float.floatToRawIntBits(uni[i][0]), Float.floatToRawIntBits(vec[i][VectorDetector.SCORE]), "score, row " + i);
            assertEquals(uni[i][2], vec[i][VectorDetector.CAUSE], "cause, row " + i);
            alarms += uni[i][0] >= DetectorParams.COMPACT.alarmScore() ? 1 : 0;
        }
        assertTrue(alarms > 0, "the file raises alarms to compare");
    }

    /**
     * On three metrics, one leaving its range is no alarm; three leaving it at once are (max: any one is). A
     * key's z is the mean of its three largest: one metric's spike counts a third.
     */
    @Test
    void oneMetricLeavingItsRangeIsNoAlarmThreeAreOne() {
        var forecaster = Forecasters.bundled();
        int n = 3000;
        float[][] m = {VectorDetectorTest.wave(n, 100, 0, 1), VectorDetectorTest.wave(n, 144, 1, 2), VectorDetectorTest.wave(n, 60, 2, 3)};
        m[0][2000] = 100; // one metric leaves its range
        for (float[] metric : m) {
            metric[2500] = 120; // all three at once, beyond the first one's 100
        }
        float[][] top = VectorDetectorTest.run(new VectorDetector(forecaster, DetectorParams.COMPACT, 3, Combination.DEFAULT),
                VectorDetectorTest.columns(m));
        float[][] max = VectorDetectorTest.run(new VectorDetector(forecaster, DetectorParams.COMPACT, 3, Combination.max()),
                VectorDetectorTest.columns(m));
        assertEquals(1f, max[2000][VectorDetector.SCORE], "max: any metric's range rule");
        assertTrue(top[2000][VectorDetector.SCORE] < 1f, "top(3, 3): one metric beyond its range is not the key's: " + top[2000][0]);
        assertEquals(1f, top[2500][VectorDetector.SCORE]);
        assertEquals(Cause.RANGE.ordinal(), top[2500][VectorDetector.CAUSE]);
    }

    @Test
    void itDescribesItselfAndRefusesNonsense() {
        assertEquals("top=3,rangeMetrics=3", Combination.DEFAULT.describe());
        assertEquals(0, Combination.DEFAULT.stateSize());
        assertThrows(IllegalArgumentException.class, () -> Combination.top(0, 3));
        assertThrows(IllegalArgumentException.class, () -> Combination.top(3, 0));
    }
}
