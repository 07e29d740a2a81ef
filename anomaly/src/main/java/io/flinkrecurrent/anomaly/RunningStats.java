package io.flinkrecurrent.anomaly;

/**
 * The compact detector's running statistics of a surprise's history, each kept in a few floats of the key's
 * state at an offset the caller gives: with {@code block} 0, an exponentially weighted
 * {@code [mean, variance]} (weight {@code 2 / (window + 1)}, the running mean's {@code 1 / (n + 1)} until
 * that is smaller); with {@code block} rows, {@code [sum, sum of squares, rows of the current block, full
 * blocks, next slot, sums (window / block), squares (window / block)]}, the history being the last
 * {@code window / block} full blocks and the current one. {@link #z} measures a value against the history,
 * {@link #add} adds one to it.
 */
final class RunningStats implements java.io.Serializable {
    private final int window;
    /** Rows a block sums (0: exponential weights), blocks kept. */
    private final int block;
    private final int blocks;

    RunningStats(int window, int block) {
        this.window = window;
        this.block = block;
        this.blocks = block > 0 ? window / block : 0;
    }

    /** Floats of one statistic. */
    static int floats(int window, int block) {
        return block > 0 ? 5 + 2 * (window / block) : 2;
    }

    /** (x - mean) / sd of the statistic at {@code off}, the sd at least {@code floor}; |x - mean| / sd when {@code abs}. */
    double z(double x, float[] s, int off, boolean abs, double floor) {
        if (block == 0) {
            return ewZ(x, s, off, abs, floor);
        }
        double sum = s[off];
        double sq = s[off + 1];
        final int full = (int) s[off + 3];
        final double n = full * (double) block + s[off + 2];
        if (n == 0) {
            return 0;
        }
        for (int i = 0; i < full; i++) {
            sum += s[off + 5 + i];
            sq += s[off + 5 + blocks + i];
        }
        final double mean = sum / n;
        final double d = x - mean;
        return (abs ? Math.abs(d) : d) / Math.max(Math.sqrt(Math.max(0, sq / n - mean * mean)), floor);
    }

    /**
     * Adds x to the statistic at {@code off}, its {@code n}-th value (from 0): to its block, and the block
     * to the ring of the last {@code window / block} when full; or to the exponentially weighted pair.
     */
    void add(float[] s, int off, double x, int n) {
        if (block == 0) {
            ewAdd(s, off, x, n);
            return;
        }
        s[off] += (float) x;
        s[off + 1] += (float) (x * x);
        if (++s[off + 2] == block) {
            final int slot = (int) s[off + 4];
            s[off + 5 + slot] = s[off];
            s[off + 5 + blocks + slot] = s[off + 1];
            s[off + 4] = (slot + 1) % blocks;
            s[off + 3] = Math.min(s[off + 3] + 1, blocks);
            s[off] = 0;
            s[off + 1] = 0;
            s[off + 2] = 0;
        }
    }

    /** (x - mean) / sd of an exponentially weighted [mean, variance] at {@code off}, the sd at least {@code floor}. */
    private static double ewZ(double x, float[] s, int off, boolean abs, double floor) {
        final double d = x - s[off];
        return (abs ? Math.abs(d) : d) / Math.max(Math.sqrt(s[off + 1]), floor);
    }

    /** Adds x to the weighted [mean, variance] at {@code off}: the running mean's weight 1 / (n + 1) until it is below 2 / (window + 1). */
    private void ewAdd(float[] s, int off, double x, int n) {
        final double a = Math.max(2.0 / (window + 1), 1.0 / (n + 1));
        final double d = x - s[off];
        s[off] = (float) (s[off] + a * d);
        s[off + 1] = (float) ((1 - a) * (s[off + 1] + a * d * d));
    }
}
