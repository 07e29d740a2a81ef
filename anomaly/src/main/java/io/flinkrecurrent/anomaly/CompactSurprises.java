package io.flinkrecurrent.anomaly;

import static io.flinkrecurrent.anomaly.StateLayout.ring;

/**
 * The compact detector's surprises ({@code stride > 0}): each z against its {@link RunningStats} (exponential
 * weights, or blocks), the novelty against every {@code stride}-th hidden state of the last
 * {@code memory * stride} rows ({@link StateMemory}). Besides the windowed detector's four it can measure the
 * error's likelihood ({@code likely}), the level's novelty ({@code levelNovelty}: a level not seen lately)
 * and the lasting novelty ({@code lasting}: the smallest novelty of the last rows). Only short rings are
 * kept: the last {@code smooth} errors, {@code max(level, smooth)} values, {@code likely} errors,
 * {@code lasting} novelties. The z is rounded to a float, as the detector has always kept it.
 */
final class CompactSurprises implements Surprises {
    private final DetectorParams params;
    private final StateMemory memory;
    private final RunningStats stats;
    private final int window;
    /** Whether the novelty is measured (hidden states remembered). */
    private final boolean novelty;
    private final int ewOff;
    private final int stat;
    private final int errOff;
    private final int valOff;
    private final int vlen;
    private final int likOff;
    private final int likStat;
    private final boolean levelNovelty;
    private final int levStat;
    private final int lasting;
    private final int lastOff;
    private final int lastStat;

    CompactSurprises(DetectorParams params, StateLayout layout, StateMemory memory) {
        if (layout.stride <= 0) {
            throw new IllegalArgumentException("the compact surprises need a stride, not " + layout.stride);
        }
        this.params = params;
        this.memory = memory;
        this.stats = new RunningStats(params.window(), params.block());
        this.window = layout.window;
        this.novelty = layout.memory > 0;
        this.ewOff = layout.ewOff;
        this.stat = layout.stat;
        this.errOff = layout.errOff;
        this.valOff = layout.valOff;
        this.vlen = layout.vlen;
        this.likOff = layout.likOff;
        this.likStat = layout.likStat;
        this.levelNovelty = layout.levMem > 0;
        this.levStat = layout.levStat;
        this.lasting = layout.lasting;
        this.lastOff = layout.lastOff;
        this.lastStat = layout.lastStat;
    }

    @Override
    public double measure(float[] causeOut, float[] state, float[] net, float xn, float err, int pos, int count) {
        final int smooth = params.smooth();
        final int seen = Math.min(count, window);
        double errNow = err;
        for (int age = 1, n = Math.min(smooth - 1, seen); age <= n; age++) {
            errNow += state[errOff + ring(pos - age, smooth)];
        }
        errNow /= Math.min(smooth, seen + 1);
        final double nov = memory.novelty(state, net, pos, count);
        double z = 0;
        Cause cause = Cause.NONE;
        if (seen > 0 && params.error()) {
            z = stats.z(errNow, state, ewOff, false, 1e-3);
            cause = Cause.ERROR;
        }
        if (seen > 0 && params.value()) {
            final double zv = stats.z(xn, state, ewOff + stat, true, 1e-3);
            cause = zv > z ? Cause.VALUE : cause;
            z = Math.max(z, zv);
        }
        final int likely = params.likely();
        if (likely > 0) {
            // the error's likelihood: the mean of the last `likely` errors against that mean's own history
            double mean = err;
            for (int age = 1, n = Math.min(likely - 1, seen); age <= n; age++) {
                mean += state[likOff + ring(pos - age, likely)];
            }
            mean /= Math.min(likely, seen + 1);
            if (seen > likely) {
                final double zk = stats.z(mean, state, likStat, false, 1e-3);
                cause = zk > z ? Cause.LIKELIHOOD : cause;
                z = Math.max(z, zk);
            }
            if (seen >= likely) {
                stats.add(state, likStat, mean, seen - likely);
            }
            state[likOff + ring(pos, likely)] = err;
        }
        if (novelty && Math.min(count - DetectorParams.LEARN_ROWS, window) > 10) {
            final double zn = stats.z(nov, state, ewOff + 2 * stat, false, 1e-4);
            cause = zn > z ? Cause.NOVELTY : cause;
            z = Math.max(z, zn);
            if (lasting > 0) {
                final double zl = lastingNovelty(state, nov, pos, count - DetectorParams.LEARN_ROWS - 10);
                cause = zl > z ? Cause.LASTING_NOVELTY : cause;
                z = Math.max(z, zl);
            }
        }
        final int level = params.level();
        double lev = 0;
        if (level > 0) {
            lev = Surprises.levelMean(state, valOff, vlen, level, xn, pos, seen);
            if (Math.min(count - Math.max(DetectorParams.LEARN_ROWS, level), window) > 10) {
                if (params.levelWeight() > 0f) {
                    final double zl = params.levelWeight() * stats.z(lev, state, ewOff + 3 * stat, true, 1e-3);
                    cause = zl > z ? Cause.LEVEL : cause;
                    z = Math.max(z, zl);
                }
            }
        }
        // this row joins the statistics
        stats.add(state, ewOff, err, count); // the single rows' errors, as the windowed detector's ring holds
        stats.add(state, ewOff + stat, xn, count);
        if (count >= DetectorParams.LEARN_ROWS) {
            stats.add(state, ewOff + 2 * stat, nov, count - DetectorParams.LEARN_ROWS);
        }
        if (level > 0 && count >= Math.max(DetectorParams.LEARN_ROWS, level)) {
            stats.add(state, ewOff + 3 * stat, lev, count - Math.max(DetectorParams.LEARN_ROWS, level));
        }
        state[errOff + ring(pos, smooth)] = err;
        state[valOff + ring(pos, vlen)] = xn;
        if (levelNovelty) {
            final double zm = levelNovelty(state, lev, pos, count);
            cause = zm > z ? Cause.LEVEL_NOVELTY : cause;
            z = Math.max(z, zm);
        }
        memory.rememberState(state, net, pos);
        causeOut[0] = cause.ordinal();
        return (float) z;
    }

    /**
     * The level's novelty, weighted, in standard deviations of its history: the distance from this row's
     * level to the nearest of the remembered ones at least {@code level} rows old. This row's level joins
     * them every {@code stride} rows. 0 until its history has 10 rows.
     */
    private double levelNovelty(float[] state, double lev, int pos, int count) {
        final int level = params.level();
        final double best = memory.nearestLevel(state, lev, pos, count);
        double z = 0;
        if (best != Double.MAX_VALUE && count > DetectorParams.LEARN_ROWS + level) {
            final int n = count - DetectorParams.LEARN_ROWS - level;
            if (n > 10) {
                z = params.levelNovelty() * stats.z(best, state, levStat, false, 1e-3);
            }
            stats.add(state, levStat, best, n);
        }
        memory.rememberLevel(state, lev, pos);
        return z;
    }

    /**
     * The lasting novelty: the smallest novelty of the last {@code lasting} rows (this one's included) in
     * standard deviations of its own history; 0 until that history has 10 rows. {@code written}: the
     * novelties written so far, this one included.
     */
    private double lastingNovelty(float[] state, double nov, int pos, int written) {
        state[lastOff + ring(pos, lasting)] = (float) nov;
        if (written < lasting) {
            return 0;
        }
        double least = Double.MAX_VALUE;
        for (int k = 0; k < lasting; k++) {
            least = Math.min(least, state[lastOff + k]);
        }
        final double z = written > lasting + 10 ? stats.z(least, state, lastStat, false, 1e-4) : 0;
        stats.add(state, lastStat, least, written - lasting);
        return z;
    }
}
