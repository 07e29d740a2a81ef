package io.flinkrecurrent.anomaly;

import static io.flinkrecurrent.anomaly.StateLayout.ring;

/**
 * The windowed detector's surprises ({@code stride} 0): each z against the mean and standard deviation of
 * a ring of the last {@code window} rows' values of that surprise (this row excluded), the novelty against
 * every hidden state of the last {@code memory} rows. The forecast error is averaged over the last
 * {@code smooth} rows; the level is the mean of the last {@code level} values, weighted by
 * {@code levelWeight}. The z is not rounded to a float.
 */
final class WindowedSurprises implements Surprises {
    private final DetectorParams params;
    private final StateMemory memory;
    private final int window;
    /** Whether the novelty is measured (hidden states remembered). */
    private final boolean novelty;
    private final int errOff;
    private final int valOff;
    private final int novOff;
    private final int levOff;

    WindowedSurprises(DetectorParams params, StateLayout layout, StateMemory memory) {
        if (layout.stride != 0) {
            throw new IllegalArgumentException("the windowed surprises need stride 0, not " + layout.stride);
        }
        this.params = params;
        this.memory = memory;
        this.window = layout.window;
        this.novelty = layout.memory > 0;
        this.errOff = layout.errOff;
        this.valOff = layout.valOff;
        this.novOff = layout.novOff;
        this.levOff = layout.levOff;
    }

    @Override
    public double measure(float[] causeOut, float[] state, float[] net, float xn, float err, int pos, int count) {
        final int seen = Math.min(count, window);
        double errNow = err;
        for (int age = 1, n = Math.min(params.smooth() - 1, seen); age <= n; age++) {
            errNow += state[errOff + ring(pos - age, window)];
        }
        errNow /= Math.min(params.smooth(), seen + 1);
        final double nov = novelty ? memory.novelty(state, net, pos, count) : 0;
        double z = 0;
        Cause cause = Cause.NONE;
        if (seen > 0 && params.error()) {
            z = zScore(errNow, state, errOff, pos, seen, false, 1e-3);
            cause = Cause.ERROR;
        }
        if (seen > 0 && params.value()) {
            final double zv = zScore(xn, state, valOff, pos, seen, true, 1e-3);
            cause = zv > z ? Cause.VALUE : cause;
            z = Math.max(z, zv);
        }
        final int novSeen = Math.min(count - DetectorParams.LEARN_ROWS, window);
        if (novelty && novSeen > 10) {
            final double zn = zScore(nov, state, novOff, pos, novSeen, false, 1e-4);
            cause = zn > z ? Cause.NOVELTY : cause;
            z = Math.max(z, zn);
        }
        final int level = params.level();
        double lev = 0;
        if (level > 0) {
            lev = Surprises.levelMean(state, valOff, window, level, xn, pos, seen);
            final int levSeen = Math.min(count - Math.max(DetectorParams.LEARN_ROWS, level), window);
            if (levSeen > 10) {
                final double zl = params.levelWeight() * zScore(lev, state, levOff, pos, levSeen, true, 1e-3);
                cause = zl > z ? Cause.LEVEL : cause;
                z = Math.max(z, zl);
            }
        }
        // this row joins the rings
        state[errOff + ring(pos, window)] = err;
        state[valOff + ring(pos, window)] = xn;
        state[novOff + ring(pos, window)] = (float) nov;
        if (level > 0) {
            state[levOff + ring(pos, window)] = (float) lev;
        }
        memory.rememberState(state, net, pos);
        causeOut[0] = cause.ordinal();
        return z;
    }

    /**
     * (x - mean) / sd of the ring's last n entries before pos, the sd at least {@code floor}; the
     * distance |x - mean| when {@code abs}.
     */
    private double zScore(double x, float[] s, int off, int pos, int n, boolean abs, double floor) {
        double sum = 0;
        for (int age = 1; age <= n; age++) {
            sum += s[off + ring(pos - age, window)];
        }
        final double mean = sum / n;
        double sq = 0;
        for (int age = 1; age <= n; age++) {
            final double d = s[off + ring(pos - age, window)] - mean;
            sq += d * d;
        }
        final double d = x - mean;
        return (abs ? Math.abs(d) : d) / Math.max(Math.sqrt(sq / n), floor);
    }
}
