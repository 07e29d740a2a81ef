package io.flinkrecurrent.nab;

import io.flinkrecurrent.anomaly.AnomalyDetector;
import io.flinkrecurrent.anomaly.Cause;
import io.flinkrecurrent.cell.Fingerprint;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.Scratch;

/**
 * The baseline for keys with several metrics: the univariate detector run on each metric alone (its own
 * state, a slice of the key's), the row's score the largest of the metrics' scores. Input the key's vector;
 * output {@code [score, forecast error, cause, metric index]} of the metric that set the score (-1 when none
 * scored above 0.5).
 */
@io.flinkrecurrent.annotation.Internal
public final class PerMetricMaximum implements RecurrentModel {
    private final AnomalyDetector detector;
    private final int width;
    private final int one;
    private final int base;
    private final long fingerprint;

    public PerMetricMaximum(AnomalyDetector detector, int width) {
        if (width < 1) {
            throw new IllegalArgumentException("width must be at least 1, got " + width);
        }
        this.detector = detector;
        this.width = width;
        this.one = detector.stateSize();
        this.base = detector.newScratch().workCount();
        this.fingerprint = new Fingerprint().add("per-metric-maximum").add(detector.fingerprint()).add(width).value();
    }

    @Override public int inputSize() { return width; }

    @Override public int outputSize() { return 4; }

    @Override public int stateSize() { return width * one; }

    @Override
    public Scratch newScratch() {
        // after the detector's own: one metric's state, its input, its output
        return detector.newScratch().withWork(one, 1, detector.outputSize());
    }

    @Override public long fingerprint() { return fingerprint; }

    @Override
    public String describe() {
        return "the maximum over " + width + " metrics of " + detector.describe();
    }

    @Override
    public void step(float[] out, float[] state, float[] x, Scratch scratch) {
        final float[] s = scratch.work(base);
        final float[] in = scratch.work(base + 1);
        final float[] o = scratch.work(base + 2);
        float best = 0f;
        float err = 0f;
        int cause = Cause.NONE.ordinal();
        int metric = -1;
        for (int j = 0; j < width; j++) {
            System.arraycopy(state, j * one, s, 0, one);
            in[0] = x[j];
            detector.step(o, s, in, scratch);
            System.arraycopy(s, 0, state, j * one, one);
            if (o[0] > best) {
                best = o[0];
                err = o[1];
                cause = (int) o[2];
                metric = o[0] > 0.5f ? j : -1;
            }
        }
        out[0] = best;
        out[1] = err;
        out[2] = cause;
        out[3] = metric;
    }
}
