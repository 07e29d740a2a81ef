package io.flinkrecurrent.anomaly;

import io.flinkrecurrent.annotation.PublicEvolving;
import io.flinkrecurrent.cell.Fingerprint;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.cell.Scratch;

/**
 * A streaming anomaly detector as a {@link RecurrentModel}, so that the keyed recurrent operator keeps
 * all of a key's detector state in Flink managed state: input one value, output
 * {@code [score in [0, 1], forecast error, cause]} (the {@link Cause}'s ordinal).
 *
 * <p>Per key: the value is normalised by the min and max of the key's first {@link #LEARN_ROWS}
 * values, and a GRU forecaster (trained by {@code anomaly/forecaster/train.py}) reads it, predicting the
 * next one. Four surprises are measured against the key's last {@code window} rows (this row
 * excluded), each in standard deviations of its own recent history ({@link DetectorParams} switches each
 * on or off; the defaults use all four):
 * <ul>
 *   <li>the forecast error, averaged over the last {@code smooth} rows;</li>
 *   <li>the value's distance from the recent mean;</li>
 *   <li>the novelty of the GRU's hidden state: its distance to the nearest of the hidden states of the
 *       last {@code memory} rows (the 5 most recent left out). The hidden state sums up the
 *       recent history, so a state far from every recent one is a pattern not seen lately;</li>
 *   <li>the level: the mean of the last {@code level} values against the means of the earlier rows,
 *       weighted by {@code levelWeight} (a mean varies less than a value, so its z runs smaller). A
 *       shift that lasts shows here before any single value stands out.</li>
 * </ul>
 * The largest, z, scores {@code 0.5 + 0.5 tanh(z / 6)} when it exceeds every z of the previous
 * {@code hold} rows, and the neutral 0.5 otherwise: an anomaly is reported as it begins, not for as
 * long as it lasts (NAB counts the first detection in a window and charges every later one outside
 * it). A value beyond the key's whole history (below its minimum or above its maximum by more than
 * {@code tolerance} of their range) scores 1, unless the previous {@code quiet} rows held such a value
 * too: an excursion is reported as it leaves the range, not at each new extreme. Either, or a z of at
 * least {@code alarm}, raises an alarm, and the {@code quiet} rows after it score at most 0.5: one
 * alarm per event, not one per row of it (NAB charges each). No look-ahead: a score depends only on
 * the key's earlier values and this one. This describes the windowed detector ({@link DetectorParams#WINDOWED});
 * {@link DetectorParams#COMPACT}, the default, keeps its statistics with exponential weights, every 8th hidden
 * state, the key's own forecaster, the level's novelty and the novelty that lasts, in 7.3 KiB a key
 * (docs/nab.md). The same parameters serve every key.
 *
 * <p>Its parts: a {@link MetricTrack} follows the key's values up to the row's z (the normalisation, the
 * forecaster, the {@link Surprises} in their windowed or compact form with their {@link RunningStats} and
 * {@link StateMemory}, the all-time range), and a {@link Scoring} turns the z into the score and the cause.
 * The state is laid out by a {@link StateLayout}: {@code [count, min, max, forecast, position, all-time min,
 * all-time max, quiet rows left (range), quiet rows left (alarm), the surprises' histories, z (hold),
 * hidden states, forecaster state]}.
 */
@PublicEvolving
public final class AnomalyDetector implements RecurrentModel {
    /** Rows that fix a key's normalisation; the same number the forecaster was trained with. */
    public static final int LEARN_ROWS = DetectorParams.LEARN_ROWS;

    private final RecurrentNetwork forecaster;
    private final DetectorParams params;
    private final MetricTrack track;
    private final Scoring scoring;
    /** The track's row {@code [z, cause, error, range excess]} in the scratch. */
    private final int resBuffer;
    private final long fingerprint;

    /**
     * @param forecaster input 1 (a normalised value), output 1 (the next one); its state is its hidden
     *                   state (a one-layer GRU or RNN)
     */
    public AnomalyDetector(RecurrentNetwork forecaster, DetectorParams params) {
        this.forecaster = forecaster;
        this.params = params;
        this.track = new MetricTrack(forecaster, params, 0, true);
        this.scoring = new Scoring(params, StateLayout.QUIET, StateLayout.SILENT, track.layout().zOff);
        this.resBuffer = track.workEnd();
        // from the values only (never a hashCode, whose algorithm the JDK does not fix)
        this.fingerprint = new Fingerprint().add("anomaly-detector").add(forecaster.fingerprint())
                .add(params.describe()).add(LEARN_ROWS).add(DetectorParams.GAP).value();
    }

    /** {@link DetectorParams#alarmScore()}. */
    public float alarmScore() { return params.alarmScore(); }

    /** The windowed detector ({@link DetectorParams#WINDOWED}). */
    public static AnomalyDetector windowed(RecurrentNetwork forecaster) {
        return new AnomalyDetector(forecaster, DetectorParams.WINDOWED);
    }

    /** The compact detector ({@link DetectorParams#COMPACT}), the anomaly job's default. */
    public static AnomalyDetector compact(RecurrentNetwork forecaster) {
        return new AnomalyDetector(forecaster, DetectorParams.COMPACT);
    }

    public DetectorParams params() { return params; }

    @Override public int inputSize() { return 1; }

    @Override public int outputSize() { return 3; }

    @Override public int stateSize() { return track.layout().end(); }

    @Override
    public Scratch newScratch() {
        return track.newScratch(MetricTrack.WIDTH);
    }

    @Override public long fingerprint() { return fingerprint; }

    @Override
    public String describe() {
        return "anomaly detector " + params.readable() + " over " + forecaster.describe();
    }

    @Override
    public void step(float[] out, float[] state, float[] x, Scratch scratch) {
        final int count = (int) state[StateLayout.COUNT];
        final int pos = (int) state[StateLayout.POS];
        final float[] res = scratch.work(resBuffer);
        final double z = track.step(res, 0, state, x[0], scratch);
        scoring.score(out, state, z, (int) res[MetricTrack.CAUSE], res[MetricTrack.EXCESS] > 0f, count, pos);
        out[1] = res[MetricTrack.ERR];
    }
}
