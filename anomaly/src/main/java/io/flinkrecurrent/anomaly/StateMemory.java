package io.flinkrecurrent.anomaly;

/**
 * What a key remembers of its past for the novelties, and the search for the nearest of it: a ring of the
 * forecaster's hidden states ({@code memory} of them, one every {@code stride} rows: every row for the
 * windowed detector), and, with the level's novelty, a ring of the levels kept beside them ({@code levMem}
 * of them). A hidden state far from every remembered one is a pattern not seen lately; a level far from
 * every remembered one (at least {@code level} rows old) is a level not seen lately. The
 * {@value DetectorParams#GAP} most recent rows' hidden states are left out of the search: they are always
 * near.
 */
final class StateMemory implements java.io.Serializable {
    private final int memOff;
    /** Hidden states remembered (0: no novelty). */
    private final int memory;
    private final int hidden;
    /** Rows between two remembered states (1 for the windowed detector). */
    private final int step;
    private final int levMemOff;
    /** Levels remembered (0: no level novelty). */
    private final int levMem;
    private final int level;

    StateMemory(StateLayout layout, int level) {
        this.memOff = layout.memOff;
        this.memory = layout.memory;
        this.hidden = layout.hidden;
        this.step = Math.max(1, layout.stride);
        this.levMemOff = layout.levMemOff;
        this.levMem = layout.levMem;
        this.level = level;
    }

    /**
     * The Euclidean distance from h to the nearest remembered hidden state at least
     * {@value DetectorParams#GAP} rows old; 0 if there is none (or no memory). {@code pos}: this row's
     * position, {@code count}: the rows before it.
     */
    double novelty(float[] state, float[] h, int pos, int count) {
        if (memory == 0) {
            return 0;
        }
        final int written = (int) Math.min(((long) count + step - 1) / step, memory);
        final int latest = Math.floorDiv(pos - 1, step); // the last write, at row latest * step
        int first = 0;
        while (first < written && pos - latest * step + first * step < DetectorParams.GAP) {
            first++; // too recent (its age in rows): always near
        }
        final double best = nearestSquared(h, state, latest, first, written);
        return best == Double.MAX_VALUE ? 0 : Math.sqrt(best);
    }

    /** Remembers h as this row's hidden state, if this is a row whose state is kept (every {@code step}-th). */
    void rememberState(float[] state, float[] h, int pos) {
        if (memory > 0 && pos % step == 0) {
            System.arraycopy(h, 0, state, memOff + Math.floorMod(pos / step, memory) * hidden, hidden);
        }
    }

    /**
     * The distance from {@code lev} to the nearest remembered level at least {@code level} rows old (the
     * younger ones share its rows); {@code Double.MAX_VALUE} if there is none.
     */
    double nearestLevel(float[] state, double lev, int pos, int count) {
        final long written = Math.min(((long) count + step - 1) / step, levMem);
        final int latest = Math.floorDiv(pos - 1, step);
        double best = Double.MAX_VALUE;
        for (int k = 0; k < written; k++) {
            if (pos - latest * step + k * step >= level) {
                best = Math.min(best, Math.abs(lev - state[levMemOff + Math.floorMod(latest - k, levMem)]));
            }
        }
        return best;
    }

    /** Remembers this row's level beside its hidden state (every {@code step}-th row). */
    void rememberLevel(float[] state, double lev, int pos) {
        if (pos % step == 0) {
            state[levMemOff + Math.floorMod(pos / step, levMem)] = (float) lev;
        }
    }

    /**
     * The smallest squared distance from h to the remembered hidden states {@code latest - k} (slots of the
     * memory ring), {@code from <= k < to}; {@code Double.MAX_VALUE} if none. Four states at a time: four
     * independent sums in flight (each summed in the order {@link #squaredDistance} sums it, so the same
     * value), where one sum at a time waits on each addition.
     *
     * <pre>// h (hidden), memory (memory x hidden) at memOff -> min_k |h - m_k|^2</pre>
     */
    private double nearestSquared(float[] h, float[] state, int latest, int from, int to) {
        double best = Double.MAX_VALUE;
        int k = from;
        for (; k + 3 < to; k += 4) {
            final int o0 = memOff + Math.floorMod(latest - k, memory) * hidden;
            final int o1 = memOff + Math.floorMod(latest - k - 1, memory) * hidden;
            final int o2 = memOff + Math.floorMod(latest - k - 2, memory) * hidden;
            final int o3 = memOff + Math.floorMod(latest - k - 3, memory) * hidden;
            double d0 = 0;
            double d1 = 0;
            double d2 = 0;
            double d3 = 0;
            for (int j = 0; j < hidden; j++) {
                final float x = h[j];
                final double t0 = x - state[o0 + j];
                final double t1 = x - state[o1 + j];
                final double t2 = x - state[o2 + j];
                final double t3 = x - state[o3 + j];
                d0 += t0 * t0;
                d1 += t1 * t1;
                d2 += t2 * t2;
                d3 += t3 * t3;
            }
            best = Math.min(best, Math.min(Math.min(d0, d1), Math.min(d2, d3)));
        }
        for (; k < to; k++) {
            best = Math.min(best, squaredDistance(h, state, memOff + Math.floorMod(latest - k, memory) * hidden));
        }
        return best;
    }

    /** |h - state[off, off + hidden)|^2. */
    private double squaredDistance(float[] h, float[] state, int off) {
        double d = 0;
        for (int k = 0; k < hidden; k++) {
            final double t = h[k] - state[off + k];
            d += t * t;
        }
        return d;
    }
}
