package io.flinkrecurrent.anomaly;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The state memory and its nearest-state search, against a search over every row's state kept in a plain
 * list (indexed by the true row number, never wrapped): over several wraps of the rings' positions.
 */
class StateMemoryTest {
    static final int HIDDEN = 5;

    /** The rows' hidden states: a few recurring patterns plus noise, so that the nearest is not always the last. */
    static float[][] states(int rows, long seed) {
        Random r = new Random(seed);
        float[][] patterns = new float[7][HIDDEN];
        for (float[] p : patterns) {
            for (int j = 0; j < HIDDEN; j++) {
                p[j] = (float) r.nextGaussian();
            }
        }
        float[][] h = new float[rows][HIDDEN];
        for (int t = 0; t < rows; t++) {
            float[] p = patterns[r.nextInt(patterns.length)];
            for (int j = 0; j < HIDDEN; j++) {
                h[t][j] = p[j] + (float) (0.1 * r.nextGaussian());
            }
        }
        return h;
    }

    /**
     * The distance from h[t] to the nearest state among the last {@code memory} kept rows before t (a row
     * is kept when it is a multiple of {@code step}), leaving out those fewer than GAP rows old.
     */
    static double naiveNovelty(float[][] h, int t, int step, int memory) {
        double best = Double.MAX_VALUE;
        int kept = 0;
        for (int r = t - 1; r >= 0 && kept < memory; r--) {
            if (r % step != 0) {
                continue;
            }
            kept++;
            if (t - r < DetectorParams.GAP) {
                continue;
            }
            double d = 0;
            for (int j = 0; j < HIDDEN; j++) {
                double x = h[t][j] - h[r][j];
                d += x * x;
            }
            best = Math.min(best, d);
        }
        return best == Double.MAX_VALUE ? 0 : Math.sqrt(best);
    }

    /** Steps the memory as a detector does (position wrapping, count saturating) and compares every row. */
    static void compareWithNaive(DetectorParams p, int rows) {
        StateLayout layout = new StateLayout(p, HIDDEN, HIDDEN, 17, true);
        StateMemory memory = new StateMemory(layout, p.level());
        float[] state = new float[layout.end()];
        float[][] h = states(rows, 5);
        int step = Math.max(1, p.stride());
        int pos = 0;
        int count = 0;
        for (int t = 0; t < rows; t++) {
            assertEquals(naiveNovelty(h, t, step, layout.memory), memory.novelty(state, h[t], pos, count), 1e-9,
                    "row " + t + " (position " + pos + ", count " + count + ")");
            memory.rememberState(state, h[t], pos);
            pos = (pos + 1) % layout.wrap;
            count = Math.min(count + 1, layout.countLimit);
        }
    }

    @Test
    void theCompactSearchFindsTheNearestKeptStateOverSeveralWraps() {
        // 13 states every 3rd row (not a multiple of 4: the search's last group is short)
        DetectorParams p = DetectorParams.COMPACT.toBuilder().stride(3).memory(13).lasting(0).level(0).levelNovelty(0f)
                .levelWeight(1f).hold(3).window(50).smooth(1).build();
        StateLayout l = new StateLayout(p, HIDDEN, HIDDEN, 0, true);
        int rows = 600;
        assertTrue(rows > 5 * l.wrap && rows > l.countLimit, "several wraps, and past the count's limit");
        compareWithNaive(p, rows);
    }

    @Test
    void theWindowedSearchFindsTheNearestOfEveryRowsState() {
        DetectorParams p = DetectorParams.WINDOWED.toBuilder().window(60).hold(20).memory(30).level(10).build();
        compareWithNaive(p, 400);
    }

    @Test
    void withoutTheNoveltyNothingIsRememberedAndTheNoveltyIsZero() {
        DetectorParams p = DetectorParams.COMPACT.toBuilder().novelty(false).build();
        StateLayout layout = new StateLayout(p, HIDDEN, HIDDEN, 0, true);
        StateMemory memory = new StateMemory(layout, p.level());
        float[] state = new float[layout.end()];
        float[][] h = states(100, 3);
        for (int t = 0; t < 100; t++) {
            assertEquals(0.0, memory.novelty(state, h[t], t, t));
            memory.rememberState(state, h[t], t);
        }
    }

    @Test
    void theNearestLevelIsAmongTheKeptLevelsAtLeastLevelRowsOld() {
        DetectorParams p = DetectorParams.COMPACT.toBuilder().stride(4).memory(10).level(9).window(100).hold(4).build();
        StateLayout layout = new StateLayout(p, HIDDEN, HIDDEN, 3, true);
        StateMemory memory = new StateMemory(layout, p.level());
        float[] state = new float[layout.end()];
        Random r = new Random(9);
        int rows = 4 * layout.wrap + 3;
        float[] lev = new float[rows];
        int pos = 0;
        int count = 0;
        for (int t = 0; t < rows; t++) {
            lev[t] = (float) r.nextGaussian();
            double best = Double.MAX_VALUE;
            int kept = 0;
            for (int k = t - 1; k >= 0 && kept < 10; k--) {
                if (k % 4 == 0) {
                    kept++;
                    if (t - k >= 9) {
                        best = Math.min(best, Math.abs((double) lev[t] - lev[k]));
                    }
                }
            }
            assertEquals(best, memory.nearestLevel(state, lev[t], pos, count), 1e-12, "row " + t);
            memory.rememberLevel(state, lev[t], pos);
            pos = (pos + 1) % layout.wrap;
            count = Math.min(count + 1, layout.countLimit);
        }
    }
}
