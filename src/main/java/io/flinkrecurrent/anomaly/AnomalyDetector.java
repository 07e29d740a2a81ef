package io.flinkrecurrent.anomaly;

import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.cell.Scratch;

/**
 * A streaming anomaly detector as a {@link RecurrentModel}, so that the keyed recurrent operator keeps
 * all of a key's detector state in Flink managed state: input one value, output
 * {@code [score in [0, 1], forecast error]}.
 *
 * <p>Per key: the value is normalised by the min and max of the key's first {@link #LEARN_ROWS}
 * values; a GRU forecaster (trained by {@code jobs/anomaly/train.py}) predicts each next normalised
 * value. Two surprises are measured against the key's last {@code window} rows (this row excluded):
 * the forecast error in standard deviations of the recent errors, and the value's distance from the
 * recent mean in standard deviations of the recent values. The larger, z, scores
 * {@code 0.5 + 0.5 tanh(z / 6)} when it exceeds every z of the previous {@code hold} rows, and the
 * neutral 0.5 otherwise: an anomaly is reported as it begins, not for as long as it lasts (NAB counts
 * the first detection in a window and charges every later one outside it). No look-ahead: a score
 * depends only on the key's earlier values and this one. The parameters were chosen on the NAB
 * corpus as a whole (see README), the same for every key.
 *
 * <p>State layout (floats): {@code [count, min, max, forecast, position, errors (window),
 * values (window), z (hold), forecaster state]}.
 */
public final class AnomalyDetector implements RecurrentModel {
    /** Rows that fix a key's normalisation; the same number the forecaster was trained with. */
    public static final int LEARN_ROWS = 150;
    private static final int COUNT = 0;
    private static final int MIN = 1;
    private static final int MAX = 2;
    private static final int FORECAST = 3;
    private static final int POS = 4;
    private static final int RINGS = 5;

    private final RecurrentNetwork forecaster;
    private final int window;
    private final int hold;
    private final int errOff;
    private final int valOff;
    private final int zOff;
    private final int netOff;
    private final long fingerprint;

    /**
     * @param forecaster input 1 (a normalised value), output 1 (the next one)
     * @param window     rows of history for the two distributions
     * @param hold       a z must beat the previous {@code hold} rows' to count
     */
    public AnomalyDetector(RecurrentNetwork forecaster, int window, int hold) {
        if (forecaster.inputSize() != 1 || forecaster.outputSize() != 1) {
            throw new IllegalArgumentException("the forecaster must map 1 value to 1 value, not "
                    + forecaster.inputSize() + " to " + forecaster.outputSize());
        }
        if (window < 2 || hold < 1 || hold > window) {
            throw new IllegalArgumentException("need window >= 2 and 1 <= hold <= window, got " + window + ", " + hold);
        }
        this.forecaster = forecaster;
        this.window = window;
        this.hold = hold;
        this.errOff = RINGS;
        this.valOff = errOff + window;
        this.zOff = valOff + window;
        this.netOff = zOff + hold;
        this.fingerprint = forecaster.fingerprint() * 31 + java.util.Objects.hash(window, hold, LEARN_ROWS);
    }

    /** The parameters used by the anomaly job and the NAB runs. */
    public static AnomalyDetector withDefaults(RecurrentNetwork forecaster) {
        return new AnomalyDetector(forecaster, 1000, 100);
    }

    @Override public int inputSize() { return 1; }

    @Override public int outputSize() { return 2; }

    @Override public int stateSize() { return netOff + forecaster.stateSize(); }

    @Override
    public Scratch newScratch() {
        // work 0: the forecaster's state, stepped there; work 1: its input; work 2: its output
        return forecaster.newScratch().withWork(forecaster.stateSize(), 1, 1);
    }

    @Override public long fingerprint() { return fingerprint; }

    @Override
    public String describe() {
        return "anomaly detector (window " + window + ", hold " + hold + ") over " + forecaster.describe();
    }

    @Override
    public void step(float[] out, float[] state, float[] x, Scratch scratch) {
        final float v = x[0];
        final int count = (int) state[COUNT];
        if (count < LEARN_ROWS) {
            state[MIN] = count == 0 ? v : Math.min(state[MIN], v);
            state[MAX] = count == 0 ? v : Math.max(state[MAX], v);
        }
        float range = state[MAX] - state[MIN];
        if (!(range > 0f)) {
            range = Math.max(Math.abs(state[MAX]), 1f);
        }
        final float xn = Math.max(-4f, Math.min(5f, (v - state[MIN]) / range));
        final float err = count == 0 ? 0f : Math.abs(xn - state[FORECAST]);

        // z against the previous rows (at most `window`), then this row joins them
        final int seen = Math.min(count, window);
        final double zErr = seen == 0 ? 0 : (err - mean(state, errOff, seen)) / Math.max(sd(state, errOff, seen), 1e-3);
        final double zVal = seen == 0 ? 0 : Math.abs(xn - mean(state, valOff, seen)) / Math.max(sd(state, valOff, seen), 1e-3);
        final double z = Math.max(zErr, zVal);
        double before = Double.NEGATIVE_INFINITY;
        for (int i = 0, n = Math.min(count, hold); i < n; i++) {
            before = Math.max(before, state[zOff + i]);
        }
        final int pos = (int) state[POS];
        state[errOff + pos % window] = err;
        state[valOff + pos % window] = xn;
        state[zOff + pos % hold] = (float) z;
        state[POS] = (pos + 1) % (window * hold); // a multiple of both ring lengths

        out[0] = count <= LEARN_ROWS ? 0f : z > before ? (float) (0.5 + 0.5 * Math.tanh(z / 6)) : 0.5f;
        out[1] = err;

        // forecast the next value with the key's forecaster state, kept in this state's tail
        final float[] net = scratch.work(0);
        final float[] in = scratch.work(1);
        final float[] forecast = scratch.work(2);
        final int n = forecaster.stateSize();
        System.arraycopy(state, netOff, net, 0, n);
        in[0] = xn;
        forecaster.step(forecast, net, in, scratch);
        System.arraycopy(net, 0, state, netOff, n);
        state[FORECAST] = forecast[0];
        state[COUNT] = Math.min(count + 1, LEARN_ROWS + window + hold); // bounded: only "learning or not" matters
    }

    private static double mean(float[] s, int off, int n) {
        double sum = 0;
        for (int i = off; i < off + n; i++) {
            sum += s[i];
        }
        return sum / n;
    }

    private static double sd(float[] s, int off, int n) {
        double m = mean(s, off, n);
        double sq = 0;
        for (int i = off; i < off + n; i++) {
            double d = s[i] - m;
            sq += d * d;
        }
        return Math.sqrt(sq / n);
    }
}
