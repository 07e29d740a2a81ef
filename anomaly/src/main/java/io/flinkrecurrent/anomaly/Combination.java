package io.flinkrecurrent.anomaly;

import io.flinkrecurrent.annotation.PublicEvolving;

/**
 * How a {@link VectorDetector} makes one z for its key out of its metrics' z values: the key's z, its cause
 * and the metric that set it, which the key's one scoring then turns into the row's score. Called once per
 * row with every metric's z and cause; may keep a few floats of its own per key ({@link #stateSize()}, in the
 * key's state, zero for a new key). Must not allocate. Its {@link #describe()} is part of the detector's
 * fingerprint: a combination with other parameters does not reuse a state written by this one.
 */
@PublicEvolving
public interface Combination extends java.io.Serializable {
    /** The largest z, its cause and its metric (the first of equal ones). */
    static Combination max() {
        return MaxCombination.INSTANCE;
    }

    /**
     * The mean of the {@code top} largest z values (all of them when the key has fewer metrics), with the
     * largest's cause and metric; the range rule when at least {@code rangeMetrics} metrics (all of them when
     * fewer) lie beyond their all-time range in the same row. {@code top(1, 1)} scores as {@link #max()};
     * with one metric, any {@code top(k, r)} does. {@link #DEFAULT} is chosen on ../shared/anomaly-mv-dev
     * over several forecasters (docs/nab.md, "Several metrics per key").
     */
    static Combination top(int top, int rangeMetrics) {
        return new TopCombination(top, rangeMetrics);
    }

    /** {@code top(3, 3)}: the combination chosen on the multivariate development corpus. */
    Combination DEFAULT = new TopCombination(3, 3);

    /** Floats of per-key state it keeps (0: none). */
    default int stateSize() {
        return 0;
    }

    /**
     * Combines the metrics' z values into the key's: writes {@code out[0]}, the key's z, {@code out[1]}, its
     * cause's ordinal, {@code out[2]}, the index of the metric that set it (0 to {@code metrics - 1}).
     *
     * @param z      each metric's z ({@code metrics} of them; 0 while a metric has nothing to measure)
     * @param cause  each metric's cause ordinal ({@link Cause}), for its z
     * @param state  the key's state; this combination's {@link #stateSize()} floats start at {@code offset}
     */
    void combine(float[] z, float[] cause, int metrics, float[] state, int offset, float[] out);

    /**
     * Whether this row counts as beyond the key's range (the range rule, score 1), from each metric's excess
     * beyond its own all-time range (positive: beyond). By default: any metric beyond its range.
     */
    default boolean beyond(float[] excess, int metrics) {
        for (int m = 0; m < metrics; m++) {
            if (excess[m] > 0f) {
                return true;
            }
        }
        return false;
    }

    /** Its rule and parameters, in a fixed format (part of the detector's fingerprint). */
    String describe();
}
