package io.flinkrecurrent.anomaly;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The running statistics: exponential weights and blocks, against the mean and deviation computed directly. */
class RunningStatsTest {
    /** The population mean and standard deviation of v[from, to). */
    static double[] meanSd(double[] v, int from, int to) {
        double sum = 0;
        for (int i = from; i < to; i++) {
            sum += v[i];
        }
        double mean = sum / (to - from);
        double sq = 0;
        for (int i = from; i < to; i++) {
            sq += (v[i] - mean) * (v[i] - mean);
        }
        return new double[] {mean, Math.sqrt(sq / (to - from))};
    }

    static double[] series(int n) {
        java.util.Random r = new java.util.Random(11);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = 3 + 2 * r.nextGaussian();
        }
        return v;
    }

    @Test
    void exponentialWeightsAreTheRunningMeanAndVarianceUntilTheWindowsWeight() {
        RunningStats s = new RunningStats(1000, 0);
        assertEquals(2, RunningStats.floats(1000, 0));
        float[] state = new float[7];
        int off = 5; // anywhere in the state
        double[] v = series(400); // 1 / (n + 1) stays above 2 / 1001 for the first 500 rows
        for (int n = 0; n < v.length; n++) {
            if (n >= 2) {
                double[] ms = meanSd(v, 0, n);
                double x = v[n] + 1.5;
                assertEquals((x - ms[0]) / ms[1], s.z(x, state, off, false, 1e-3), 1e-4, "row " + n);
                assertEquals(Math.abs(v[n] - 10 - ms[0]) / ms[1], s.z(v[n] - 10, state, off, true, 1e-3), 1e-4, "row " + n);
            }
            s.add(state, off, v[n], n);
        }
        assertEquals(0f, state[0], "nothing outside the statistic written");
        assertEquals(0f, state[4]);
    }

    @Test
    void exponentialWeightsForgetWithTheWindowsWeight() {
        RunningStats s = new RunningStats(99, 0); // weight 2 / 100 once the running mean's is smaller
        float[] state = new float[2];
        for (int n = 0; n < 2000; n++) {
            s.add(state, 0, 10, n);
        }
        assertEquals(10f, state[0], 1e-4f);
        assertEquals(0f, state[1], 1e-6f);
        s.add(state, 0, 20, 2000);
        assertEquals(10 + 0.02 * 10, state[0], 1e-4, "the mean moves by 2 / (window + 1) of the step");
        assertEquals(0.98 * 0.02 * 100, state[1], 1e-3, "(1 - a) (var + a d^2)");
        // a constant history: its sd is 0, and the floor is what divides
        float[] flat = new float[2];
        for (int n = 0; n < 10; n++) {
            s.add(flat, 0, 5, n);
        }
        assertEquals(1.0 / 1e-3, s.z(6, flat, 0, false, 1e-3), 1e-6);
        assertEquals(-1.0 / 1e-3, s.z(4, flat, 0, false, 1e-3), 1e-6);
    }

    @Test
    void blocksHoldTheLastWindowOfFullBlocksAndTheCurrentOne() {
        RunningStats s = new RunningStats(100, 10);
        assertEquals(5 + 2 * 10, RunningStats.floats(100, 10));
        float[] state = new float[3 + RunningStats.floats(100, 10)];
        int off = 3;
        assertEquals(0.0, s.z(7, state, off, false, 1e-3), "no history: 0");
        double[] v = new double[300];
        for (int i = 0; i < v.length; i++) {
            v[i] = i + 1; // integers: every sum exact in a float
        }
        for (int n = 0; n < v.length; n++) {
            if (n > 1) {
                // the history: the last 10 full blocks (rows before the current block) and the current block's rows
                int current = n % 10;
                int from = Math.max(0, n - current - 100);
                double[] ms = meanSd(v, from, n);
                assertEquals((500 - ms[0]) / ms[1], s.z(500, state, off, false, 1e-3), 1e-3 * Math.abs((500 - ms[0]) / ms[1]),
                        "row " + n);
            }
            s.add(state, off, v[n], n);
        }
        assertEquals(10f, state[off + 3], "full blocks, at most window / block");
        assertEquals(0f, state[off + 2], "300 rows: the current block is empty");
    }
}
