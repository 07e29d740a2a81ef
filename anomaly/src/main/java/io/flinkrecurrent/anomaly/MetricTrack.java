package io.flinkrecurrent.anomaly;

import io.flinkrecurrent.cell.OnlineReadout;
import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.cell.Scratch;

import static io.flinkrecurrent.anomaly.StateLayout.COUNT;
import static io.flinkrecurrent.anomaly.StateLayout.FORECAST;
import static io.flinkrecurrent.anomaly.StateLayout.HIGH;
import static io.flinkrecurrent.anomaly.StateLayout.LOW;
import static io.flinkrecurrent.anomaly.StateLayout.MAX;
import static io.flinkrecurrent.anomaly.StateLayout.MIN;
import static io.flinkrecurrent.anomaly.StateLayout.POS;

/**
 * One metric of a key, followed as the univariate detector follows a key, up to its z: the value raised to
 * {@code power}, normalised by the min and max of its first {@link DetectorParams#LEARN_ROWS} values; the
 * forecaster stepped with it (the trained head's forecast, or the key's own {@link OnlineReadout}), its
 * error; the {@link Surprises}; the all-time range. Its state is one block of the key's state, laid out by
 * its {@link StateLayout}. What makes a score of the z is the {@link Scoring}'s, the caller's.
 *
 * <p>A step writes a row of {@value #WIDTH} floats: {@code [z (as a float), cause ordinal, forecast error,
 * range excess]}, the last the value's distance beyond the metric's all-time range ({@link Scoring#rangeExcess},
 * 0 inside it).
 */
final class MetricTrack implements java.io.Serializable {
    static final int Z = 0;
    static final int CAUSE = 1;
    static final int ERR = 2;
    static final int EXCESS = 3;
    static final int WIDTH = 4;

    private final RecurrentNetwork forecaster;
    /** With {@code online > 0}: the key's own NLMS (or RLS) forecaster over the GRU's hidden state, in place of the trained head. */
    private final OnlineReadout readout;
    private final StateLayout layout;
    private final Surprises surprises;
    private final int hidden;
    private final int netSize;
    /** The first of this track's work buffers in a scratch from {@link #newScratch}. */
    private final int workBase;
    /** {@link DetectorParams#power()}: the exponent each value is raised to, its sign kept (1: none). */
    private final float power;
    private final float tolerance;

    /**
     * @param forecaster input 1 (a normalised value), output 1 (the next one); its state is its hidden
     *                   state (a one-layer GRU or RNN)
     * @param base       where this metric's block starts in the key's state
     * @param scored     whether the block keeps its own z ring (the univariate detector's)
     */
    MetricTrack(RecurrentNetwork forecaster, DetectorParams params, int base, boolean scored) {
        if (forecaster.inputSize() != 1 || forecaster.outputSize() != 1) {
            throw new IllegalArgumentException("the forecaster must map 1 value to 1 value, not "
                    + forecaster.inputSize() + " to " + forecaster.outputSize());
        }
        this.forecaster = forecaster;
        this.hidden = forecaster.stateSize();
        final RecurrentNetwork body = new RecurrentNetwork(forecaster.layers(), null);
        this.readout = params.rls() > 0 ? OnlineReadout.rls(body, params.rls(), 1f)
                : params.online() > 0 ? OnlineReadout.nlms(body, params.online())
                : null;
        this.netSize = readout == null ? hidden : readout.stateSize();
        this.workBase = (readout == null ? forecaster.newScratch() : readout.newScratch()).workCount();
        this.layout = new StateLayout(params, hidden, netSize, base, scored);
        this.surprises = Surprises.of(params, layout);
        this.power = params.power();
        this.tolerance = params.tolerance();
    }

    /** The same metric's track over another block of the key's state: it shares the forecaster and the readout. */
    private MetricTrack(MetricTrack t, DetectorParams params, int base, boolean scored) {
        this.forecaster = t.forecaster;
        this.readout = t.readout;
        this.hidden = t.hidden;
        this.netSize = t.netSize;
        this.workBase = t.workBase;
        this.layout = new StateLayout(params, hidden, netSize, base, scored);
        this.surprises = Surprises.of(params, layout);
        this.power = t.power;
        this.tolerance = t.tolerance;
    }

    /** A track like this one over the block at {@code base}. */
    MetricTrack at(DetectorParams params, int base, boolean scored) {
        return new MetricTrack(this, params, base, scored);
    }

    StateLayout layout() {
        return layout;
    }

    /**
     * A scratch for {@link #step}: the forecaster's (or the readout's) own buffers, then this track's (the
     * forecaster's state, its input, the forecast, the cause, the readout's state, its output), then
     * {@code more}, from index {@link #workEnd()} on. Tracks of one forecaster and parameters share one.
     */
    Scratch newScratch(int... more) {
        Scratch s = (readout == null ? forecaster.newScratch() : readout.newScratch()).withWork(hidden, 1, 1, 1, netSize, 2);
        return more.length == 0 ? s : s.withWork(more);
    }

    /** The index of the first buffer {@code more} of {@link #newScratch}. */
    int workEnd() {
        return workBase + 6;
    }

    /**
     * Steps the metric with its value x: writes {@code [z, cause, error, range excess]} at {@code res[at]} and
     * moves the metric's state on. Returns the z as the surprises measured it (a double: the windowed form's
     * is not rounded to a float).
     */
    double step(float[] res, int at, float[] state, float x, Scratch scratch) {
        final int b = layout.base;
        final float v = power == 1f ? x : (float) Math.copySign(Math.pow(Math.abs(x), power), x);
        final int count = (int) state[b + COUNT];
        if (count < DetectorParams.LEARN_ROWS) {
            state[b + MIN] = count == 0 ? v : Math.min(state[b + MIN], v);
            state[b + MAX] = count == 0 ? v : Math.max(state[b + MAX], v);
        }
        float range = state[b + MAX] - state[b + MIN];
        if (!(range > 0f)) {
            range = Math.max(Math.abs(state[b + MAX]), 1f);
        }
        final float xn = Math.max(-4f, Math.min(5f, (v - state[b + MIN]) / range));
        final int pos = (int) state[b + POS];

        // step the forecaster: its new hidden state sums up the key's history up to this row
        final float[] net = scratch.work(workBase);
        final float[] in = scratch.work(workBase + 1);
        final float[] forecast = scratch.work(workBase + 2);
        final float[] cause = scratch.work(workBase + 3);
        final float[] rs = scratch.work(workBase + 4);
        in[0] = xn;
        final float err;
        if (readout == null) {
            err = count == 0 ? 0f : Math.abs(xn - state[b + FORECAST]);
            System.arraycopy(state, layout.netOff, net, 0, hidden);
            forecaster.step(forecast, net, in, scratch);
        } else {
            // the key's own forecaster: its error on this row (its forecast made at the last), then it learns
            final float[] ro = scratch.work(workBase + 5);
            System.arraycopy(state, layout.netOff, rs, 0, netSize);
            readout.step(ro, rs, in, scratch);
            err = count == 0 ? 0f : Math.abs(ro[0]);
            forecast[0] = ro[1];
            System.arraycopy(rs, 0, net, 0, hidden);
        }

        final double z = surprises.measure(cause, state, net, xn, err, pos, count);
        final float excess = Scoring.rangeExcess(v, state[b + LOW], state[b + HIGH], tolerance, count);
        res[at + Z] = (float) z;
        res[at + CAUSE] = cause[0];
        res[at + ERR] = err;
        res[at + EXCESS] = excess;

        state[b + LOW] = count == 0 ? v : Math.min(state[b + LOW], v);
        state[b + HIGH] = count == 0 ? v : Math.max(state[b + HIGH], v);
        if (readout == null) {
            System.arraycopy(net, 0, state, layout.netOff, hidden);
        } else {
            System.arraycopy(rs, 0, state, layout.netOff, netSize);
        }
        state[b + FORECAST] = forecast[0];
        state[b + POS] = (pos + 1) % layout.wrap; // a multiple of every ring's length
        state[b + COUNT] = Math.min(count + 1, layout.countLimit); // bounded: only "how far in" matters
        return z;
    }
}
