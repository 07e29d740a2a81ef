package io.flinkrecurrent.anomaly;

import io.flinkrecurrent.annotation.PublicEvolving;
import io.flinkrecurrent.cell.Fingerprint;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.cell.Scratch;

/**
 * The anomaly detector over a vector of metrics per event (a machine's CPU, memory, disk, network, ...),
 * one state per key, as a {@link RecurrentModel}: input {@code metrics} values, output
 * {@code [score in [0, 1], forecast error of the metric that set it, cause, metric]}, the cause a
 * {@link Cause}'s ordinal and the metric its 0-based index ({@code -1} when the cause is {@code NONE}).
 *
 * <p>Each metric is followed exactly as {@link AnomalyDetector} follows a key's one value (its own
 * normalisation, forecaster state, surprises and all-time range: a {@link MetricTrack}), up to that metric's
 * z. A {@link Combination} ({@link Combination#DEFAULT} by default: the mean of the 3 largest z, the range rule
 * when 3 metrics leave their range at once) makes the key's one z of the metrics' z
 * values, and the key's one {@link Scoring} makes the score of it: the hold over the key's z, the range rule
 * over the metrics (as the combination has it; the
 * farthest beyond, in units of its range, is named), and the quiet rows after an alarm, so that one event across several metrics raises one alarm.
 * With one metric and {@link Combination#max()} it scores as {@link AnomalyDetector} does, bit for bit, for
 * the compact parameters (the windowed form's z is rounded to a float before it is combined). A metric that
 * never changes raises nothing: its z stays near 0 (below 1 in the few rows after learning, while its
 * forecaster's hidden state settles, as for the univariate detector) and its range stays empty.
 *
 * <p>State: the key's block {@code [count, position, quiet rows left (range), quiet rows left (alarm),
 * z (hold), the combination's state]}, then one block per metric laid out as the univariate detector's
 * ({@link StateLayout}) without its z ring (its two quiet counters unused).
 */
@PublicEvolving
public final class VectorDetector implements RecurrentModel {
    /** The output's columns. */
    public static final int SCORE = 0;
    public static final int ERROR = 1;
    public static final int CAUSE = 2;
    public static final int METRIC = 3;

    private static final int KEY_COUNT = 0;
    private static final int KEY_POS = 1;
    private static final int KEY_QUIET = 2;
    private static final int KEY_SILENT = 3;
    private static final int KEY_Z = 4;

    private final RecurrentNetwork forecaster;
    private final DetectorParams params;
    private final int metrics;
    private final Combination combination;
    private final int hold;
    private final int combinationOff;
    private final MetricTrack[] tracks;
    private final Scoring scoring;
    private final int stateSize;
    /** Scratch buffers after the tracks': a track's row, then the metrics' z, causes, errors, range excesses, the combination's output. */
    private final int rowBuf;
    private final long fingerprint;

    /** With {@link Combination#DEFAULT}, the combination chosen on the multivariate development corpus (docs/nab.md). */
    public VectorDetector(RecurrentNetwork forecaster, DetectorParams params, int metrics) {
        this(forecaster, params, metrics, Combination.DEFAULT);
    }

    /**
     * @param forecaster  input 1 (a normalised value), output 1 (the next one), as {@link AnomalyDetector}'s;
     *                    every metric steps its own state of it
     * @param metrics     values per event, at least 1
     * @param combination how the metrics' z values make the key's
     */
    public VectorDetector(RecurrentNetwork forecaster, DetectorParams params, int metrics, Combination combination) {
        if (metrics < 1) {
            throw new IllegalArgumentException("a vector detector needs at least 1 metric, not " + metrics);
        }
        this.forecaster = forecaster;
        this.params = params;
        this.metrics = metrics;
        this.combination = combination;
        this.hold = params.hold();
        this.combinationOff = KEY_Z + hold;
        int base = combinationOff + combination.stateSize();
        this.tracks = new MetricTrack[metrics];
        tracks[0] = new MetricTrack(forecaster, params, base, false);
        for (int m = 1; m < metrics; m++) {
            base = tracks[m - 1].layout().end();
            tracks[m] = tracks[0].at(params, base, false);
        }
        this.stateSize = tracks[metrics - 1].layout().end();
        this.scoring = new Scoring(params, KEY_QUIET, KEY_SILENT, KEY_Z);
        this.rowBuf = tracks[0].workEnd();
        // from the values only (never a hashCode, whose algorithm the JDK does not fix)
        this.fingerprint = new Fingerprint().add("vector-detector").add(forecaster.fingerprint()).add(params.describe())
                .add(metrics).add(combination.describe()).add(DetectorParams.LEARN_ROWS).add(DetectorParams.GAP).value();
    }

    public DetectorParams params() { return params; }

    public Combination combination() { return combination; }

    /** The metrics per event. */
    public int metrics() { return metrics; }

    /** {@link DetectorParams#alarmScore()}. */
    public float alarmScore() { return params.alarmScore(); }

    @Override public int inputSize() { return metrics; }

    @Override public int outputSize() { return 4; }

    @Override public int stateSize() { return stateSize; }

    @Override
    public Scratch newScratch() {
        return tracks[0].newScratch(MetricTrack.WIDTH, metrics, metrics, metrics, metrics, 3);
    }

    @Override public long fingerprint() { return fingerprint; }

    @Override
    public String describe() {
        return "vector detector of " + metrics + " metrics, combined by " + combination.describe() + ", "
                + params.readable() + " over " + forecaster.describe();
    }

    @Override
    public void step(float[] out, float[] state, float[] x, Scratch scratch) {
        final int count = (int) state[KEY_COUNT];
        final int pos = (int) state[KEY_POS];
        final float[] row = scratch.work(rowBuf);
        final float[] z = scratch.work(rowBuf + 1);
        final float[] cause = scratch.work(rowBuf + 2);
        final float[] err = scratch.work(rowBuf + 3);
        final float[] excess = scratch.work(rowBuf + 4);
        final float[] combined = scratch.work(rowBuf + 5);
        int beyond = -1; // the metric farthest beyond its all-time range, if any
        for (int m = 0; m < metrics; m++) {
            tracks[m].step(row, 0, state, x[m], scratch);
            z[m] = row[MetricTrack.Z];
            cause[m] = row[MetricTrack.CAUSE];
            err[m] = row[MetricTrack.ERR];
            excess[m] = row[MetricTrack.EXCESS];
            if (excess[m] > 0f && (beyond < 0 || excess[m] > excess[beyond])) {
                beyond = m;
            }
        }
        combination.combine(z, cause, metrics, state, combinationOff, combined);
        final int zMetric = (int) combined[2];
        scoring.score(out, state, combined[0], (int) combined[1], beyond >= 0 && combination.beyond(excess, metrics), count, pos);
        final int c = (int) out[CAUSE];
        final int metric = c == Cause.RANGE.ordinal() ? beyond : zMetric;
        out[ERROR] = err[metric];
        out[METRIC] = c == Cause.NONE.ordinal() ? -1 : metric;
        state[KEY_POS] = (pos + 1) % hold;
        state[KEY_COUNT] = Math.min(count + 1, DetectorParams.LEARN_ROWS + hold); // only "learnt" and "a hold's rows" matter
    }
}
