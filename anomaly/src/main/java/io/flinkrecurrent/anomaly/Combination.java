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

    /** Its rule and parameters, in a fixed format (part of the detector's fingerprint). */
    String describe();
}
