package io.flinkrecurrent.anomaly;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The surprises in both forms, fed values, errors and hidden states directly (no forecaster): each z
 * against its history computed directly, and each compact surprise alone on a series built to raise it.
 */
class SurprisesTest {
    static final int HIDDEN = 4;

    /** Each row's z and cause, the surprises stepped as the detector steps them. */
    record Run(double[] z, Cause[] cause) {}

    static Run run(DetectorParams p, float[] xn, float[] err, float[][] net) {
        StateLayout layout = new StateLayout(p, HIDDEN, HIDDEN, 2, true);
        Surprises s = Surprises.of(p, layout);
        float[] state = new float[layout.end()];
        float[] cause = new float[1];
        double[] z = new double[xn.length];
        Cause[] c = new Cause[xn.length];
        int pos = 0;
        int count = 0;
        for (int t = 0; t < xn.length; t++) {
            z[t] = s.measure(cause, state, net == null ? new float[HIDDEN] : net[t], xn[t], err[t], pos, count);
            c[t] = Cause.values()[(int) cause[0]];
            pos = (pos + 1) % layout.wrap;
            count = Math.min(count + 1, layout.countLimit);
        }
        return new Run(z, c);
    }

    static float[] noise(int n, double mean, double sd, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (mean + sd * r.nextGaussian());
        }
        return v;
    }

    /** (x - mean) / sd of v[from, to), the sd at least floor. */
    static double z(double x, float[] v, int from, int to, boolean abs, double floor) {
        double sum = 0;
        for (int i = from; i < to; i++) {
            sum += v[i];
        }
        double mean = sum / (to - from);
        double sq = 0;
        for (int i = from; i < to; i++) {
            sq += (v[i] - mean) * (v[i] - mean);
        }
        double d = x - mean;
        return (abs ? Math.abs(d) : d) / Math.max(Math.sqrt(sq / (to - from)), floor);
    }

    @Test
    void theFormFollowsTheStride() {
        StateLayout w = new StateLayout(DetectorParams.WINDOWED, HIDDEN, HIDDEN, 0, true);
        assertInstanceOf(WindowedSurprises.class, Surprises.of(DetectorParams.WINDOWED, w));
        StateLayout c = new StateLayout(DetectorParams.COMPACT, HIDDEN, HIDDEN, 0, true);
        assertInstanceOf(CompactSurprises.class, Surprises.of(DetectorParams.COMPACT, c));
    }

    @Test
    void theWindowedValueErrorAndLevelZAreAgainstTheLastWindowRows() {
        int n = 400;
        int window = 50;
        float[] xn = noise(n, 0.5, 0.1, 1);
        float[] err = noise(n, 0.05, 0.01, 2);
        DetectorParams base = DetectorParams.WINDOWED.toBuilder().window(window).hold(10).memory(10).smooth(3).level(10)
                .novelty(false).build();

        Run value = run(base.toBuilder().error(false).level(0).build(), xn, err, null);
        Run error = run(base.toBuilder().value(false).level(0).build(), xn, err, null);
        Run level = run(base.toBuilder().error(false).value(false).build(), xn, err, null);
        float[] lev = new float[n];
        for (int t = 0; t < n; t++) {
            double sum = 0;
            for (int k = Math.max(0, t - 9); k <= t; k++) {
                sum += xn[k];
            }
            lev[t] = (float) (sum / (t - Math.max(0, t - 9) + 1));
        }
        for (int t = 1; t < n; t++) {
            int from = Math.max(0, t - window);
            assertEquals(z(xn[t], xn, from, t, true, 1e-3), value.z[t], 1e-9, "value, row " + t);
            assertEquals(Cause.VALUE, value.cause[t], "row " + t);
            double smoothed = 0;
            int rows = Math.min(3, t + 1);
            for (int k = t - rows + 1; k <= t; k++) {
                smoothed += err[k];
            }
            assertEquals(z(smoothed / rows, err, from, t, false, 1e-3), error.z[t], 1e-9, "error, row " + t);
            assertEquals(Cause.ERROR, error.cause[t]);
            int levSeen = Math.min(t - DetectorParams.LEARN_ROWS, window);
            double expected = levSeen > 10 ? Math.max(0, 3f * z(lev[t], lev, t - levSeen, t, true, 1e-3)) : 0;
            assertEquals(expected, level.z[t], 1e-5 * Math.max(1, expected), "level, row " + t); // levels kept as floats
            assertEquals(levSeen > 10 ? Cause.LEVEL : Cause.NONE, level.cause[t], "row " + t);
        }
        assertEquals(0.0, value.z[0], "nothing to measure the first row against");
        assertEquals(Cause.NONE, value.cause[0]);
    }

    @Test
    void theCompactValueZIsAgainstItsRunningStatistics() {
        int n = 300; // fewer than (window + 1) / 2 rows: the running mean and variance, exactly
        float[] xn = noise(n, 0.5, 0.1, 3);
        Run value = run(DetectorParams.COMPACT.toBuilder().error(false).novelty(false).level(0).levelNovelty(0f).levelWeight(1f)
                .build(), xn, new float[n], null);
        for (int t = 2; t < n; t++) {
            double expected = z(xn[t], xn, 0, t, true, 1e-3);
            assertEquals(expected, value.z[t], 1e-4 * Math.max(1, expected), "row " + t);
            assertEquals((float) value.z[t], value.z[t], "rounded to a float");
        }
    }

    /** Hidden states, each one of 8 patterns (at random) with a little noise, then from row {@code from} drifting away from them all. */
    static float[][] patternsThenDrift(int n, int from) {
        Random r = new Random(4);
        float[][] patterns = new float[8][HIDDEN];
        for (float[] p : patterns) {
            for (int j = 0; j < HIDDEN; j++) {
                p[j] = (float) r.nextGaussian();
            }
        }
        float[][] h = new float[n][HIDDEN];
        int[] pick = new int[n];
        for (int t = 0; t < n; t++) {
            pick[t] = r.nextInt(patterns.length);
        }
        for (int t = 0; t < n; t++) {
            for (int j = 0; j < HIDDEN; j++) {
                h[t][j] = t < from ? patterns[pick[t]][j] + (float) (0.05 * r.nextGaussian()) : 5 + 0.3f * (t - from) * (j + 1);
            }
        }
        return h;
    }

    /** The new pattern starting at several rows, so that it fills the lasting novelty's ring from each of its slots. */
    @Test
    void aNewPatternIsNovelAsItBeginsAndItsLastingNoveltyOnceItHasLasted() {
        DetectorParams noveltyAlone = DetectorParams.COMPACT.toBuilder().error(false).value(false).level(0).levelNovelty(0f)
                .levelWeight(1f).build();
        for (int from : new int[] {1500, 1507, 1513, 1531}) {
            int n = from + 100;
            float[][] h = patternsThenDrift(n, from);
            Run r = run(noveltyAlone, noise(n, 0.5, 0.1, 5), new float[n], h);
            double before = 0;
            for (int t = 1000; t < from; t++) {
                before = Math.max(before, r.z[t]);
            }
            assertEquals(Cause.NOVELTY, r.cause[from], "from " + from);
            assertTrue(r.z[from] > 2 * before, "the new pattern: " + r.z[from] + ", the patterns before at most " + before);
            // the lasting novelty, the smallest novelty of the last 40 rows, jumps once all 40 are of the new pattern
            int lasted = from + 39;
            double lastingBefore = 0;
            for (int t = 1000; t < lasted; t++) {
                lastingBefore = Math.max(lastingBefore, r.cause[t] == Cause.LASTING_NOVELTY ? r.z[t] : 0);
            }
            assertEquals(Cause.LASTING_NOVELTY, r.cause[lasted], "from " + from + ": lasted 40 rows");
            assertTrue(r.z[lasted] > 10 * lastingBefore, "from " + from + ", lasted 40 rows: " + r.z[lasted]
                    + ", the lasting novelty before at most " + lastingBefore);
            Run passing = run(noveltyAlone.toBuilder().lasting(0).build(), noise(n, 0.5, 0.1, 5), new float[n], h);
            assertTrue(r.z[lasted] > 10 * passing.z[lasted], "from " + from + ": the lasting novelty " + r.z[lasted]
                    + " over the novelty's " + passing.z[lasted]);
        }
    }

    @Test
    void errorsThatLastRaiseTheLikelihood() {
        int n = 1100;
        float[] err = noise(n, 0.01, 0.002, 6);
        for (int t = 1000; t < n; t++) {
            err[t] += 0.006f; // three of their deviations, for a while
        }
        DetectorParams errorAndLikelihood = DetectorParams.COMPACT.toBuilder().value(false).novelty(false).level(0)
                .levelNovelty(0f).levelWeight(1f).likely(10).build();
        Run r = run(errorAndLikelihood, noise(n, 0.5, 0.1, 7), err, null);
        int likely = 0;
        for (int t = 1010; t < 1050; t++) {
            likely += r.cause[t] == Cause.LIKELIHOOD ? 1 : 0;
        }
        assertTrue(likely > 30, likely + " of 40 rows set by the likelihood");
        for (int t = 900; t < 1000; t++) {
            assertTrue(r.z[t] < 5, "row " + t + ": " + r.z[t]);
        }
    }

    @Test
    void aLevelNotSeenLatelyRaisesTheLevelsNovelty() {
        int n = 1600;
        float[] xn = noise(n, 0.3, 0.01, 8);
        for (int t = 1500; t < n; t++) {
            xn[t] += 0.3f;
        }
        DetectorParams levelNovelty = DetectorParams.COMPACT.toBuilder().error(false).value(false).novelty(false).build();
        Run r = run(levelNovelty, xn, new float[n], null);
        double before = 0;
        for (int t = 1000; t < 1500; t++) {
            before = Math.max(before, r.z[t]);
        }
        double after = 0;
        for (int t = 1500; t < 1560; t++) {
            after = Math.max(after, r.z[t]);
            assertTrue(r.cause[t] == Cause.LEVEL_NOVELTY || r.z[t] == 0, "row " + t + ": " + r.cause[t]);
        }
        assertTrue(after > 3 * before && after > 10, "the new level: " + after + ", the level before at most " + before);
    }
}
