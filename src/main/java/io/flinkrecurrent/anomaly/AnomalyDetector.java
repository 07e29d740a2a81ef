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
 * value; the absolute forecast error goes into a ring of the last {@code errorWindow} errors; the
 * score is how far the mean of the last {@code shortWindow} errors lies above that ring's mean, in
 * standard deviations, mapped monotonically into [0, 1] ({@code 0.5 + 0.5 tanh(z / 6)}). No
 * look-ahead: a score depends only on the key's earlier values and this one.
 *
 * <p>State layout (floats): {@code [count, min, max, forecast, ring position, ring (errorWindow),
 * forecaster state]}.
 */
public final class AnomalyDetector implements RecurrentModel {
    /** Rows that fix a key's normalisation; the same number the forecaster was trained with. */
    public static final int LEARN_ROWS = 150;
    private static final int COUNT = 0;
    private static final int MIN = 1;
    private static final int MAX = 2;
    private static final int FORECAST = 3;
    private static final int POS = 4;
    private static final int RING = 5;

    private final RecurrentNetwork forecaster;
    private final int errorWindow;
    private final int shortWindow;
    private final double scale;
    private final int netOff;
    private final long fingerprint;

    /**
     * @param forecaster  input 1 (a normalised value), output 1 (the next one)
     * @param errorWindow errors kept for the running distribution
     * @param shortWindow recent errors averaged for the score
     * @param scale       z-scores are mapped by {@code 0.5 + 0.5 tanh(z / scale)}
     */
    public AnomalyDetector(RecurrentNetwork forecaster, int errorWindow, int shortWindow, double scale) {
        if (forecaster.inputSize() != 1 || forecaster.outputSize() != 1) {
            throw new IllegalArgumentException("the forecaster must map 1 value to 1 value, not "
                    + forecaster.inputSize() + " to " + forecaster.outputSize());
        }
        if (shortWindow < 1 || errorWindow <= shortWindow) {
            throw new IllegalArgumentException("need 1 <= shortWindow < errorWindow, got " + shortWindow + ", " + errorWindow);
        }
        this.forecaster = forecaster;
        this.errorWindow = errorWindow;
        this.shortWindow = shortWindow;
        this.scale = scale;
        this.netOff = RING + errorWindow;
        this.fingerprint = forecaster.fingerprint() * 31 + java.util.Objects.hash(errorWindow, shortWindow, scale, LEARN_ROWS);
    }

    /** The defaults used by the anomaly job and the NAB runs. */
    public static AnomalyDetector withDefaults(RecurrentNetwork forecaster) {
        return new AnomalyDetector(forecaster, 600, 6, 6.0);
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
        return "anomaly detector (errors " + errorWindow + ", recent " + shortWindow + ") over " + forecaster.describe();
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
        int pos = (int) state[POS];
        state[RING + pos] = err;
        pos = (pos + 1) % errorWindow;
        state[POS] = pos;
        final int filled = Math.min(count + 1, errorWindow);

        double sum = 0;
        double sq = 0;
        for (int i = 0; i < filled; i++) {
            double e = state[RING + i];
            sum += e;
            sq += e * e;
        }
        double mean = sum / filled;
        double sd = Math.sqrt(Math.max(sq / filled - mean * mean, 0));
        double recent = 0;
        for (int i = 1; i <= shortWindow; i++) {
            recent += state[RING + Math.floorMod(pos - i, errorWindow)];
        }
        recent /= shortWindow;
        double z = (recent - mean) / Math.max(sd, 1e-3);
        out[0] = count + 1 < LEARN_ROWS + shortWindow ? 0f : (float) (0.5 + 0.5 * Math.tanh(z / scale));
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
        state[COUNT] = Math.min(count + 1, LEARN_ROWS + errorWindow); // bounded: only "learning or not" matters
    }
}
