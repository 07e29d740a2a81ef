package io.flinkrecurrent.anomaly;

import static io.flinkrecurrent.anomaly.StateLayout.ring;

/**
 * From a key's z to its score and cause: the hold (a z scores {@code 0.5 + 0.5 tanh(z / 6)} only when it
 * beats every z of the previous {@code hold} rows, the neutral 0.5 otherwise), the range rule (a value
 * beyond the key's whole history by more than {@code tolerance} of its range scores 1, unless the previous
 * {@code quiet} rows held such a value too), the quiet rows after an alarm (a z of at least {@code alarm},
 * or the range rule, raises one; the next {@code quiet} rows score at most 0.5), and 0 while the key
 * learns its normalisation. Its state: the two quiet counters and the ring of the last {@code hold} z, at
 * the offsets it is given (the univariate detector's header and z ring; a {@link VectorDetector}'s key block).
 */
final class Scoring implements java.io.Serializable {
    private final int hold;
    private final int quiet;
    private final float alarmScore;
    /** The range rule's quiet rows left, the alarm's quiet rows left, the z ring (hold floats). */
    private final int quietSlot;
    private final int silentSlot;
    private final int zOff;

    Scoring(DetectorParams params, int quietSlot, int silentSlot, int zOff) {
        this.hold = params.hold();
        this.quiet = params.quiet();
        this.alarmScore = params.alarmScore();
        this.quietSlot = quietSlot;
        this.silentSlot = silentSlot;
        this.zOff = zOff;
    }

    /** The score of a z that beats the hold. */
    static float scoreOf(double z) {
        return (float) (0.5 + 0.5 * Math.tanh(z / 6));
    }

    /**
     * How far v lies beyond the all-time range {@code [low, high]} of a metric that has seen {@code count}
     * rows before it, in units of that range, when it lies beyond it by more than {@code tolerance} of it
     * (and the metric has learnt, and its range is not empty); 0 otherwise. Positive means the range rule
     * applies.
     */
    static float rangeExcess(float v, float low, float high, float tolerance, int count) {
        final float all = high - low;
        final boolean beyond = tolerance >= 0f && count > DetectorParams.LEARN_ROWS && all > 0f
                && (v > high + tolerance * all || v < low - tolerance * all);
        return beyond ? Math.max(Float.MIN_VALUE, Math.max(v - high, low - v) / all) : 0f;
    }

    /**
     * Scores a row: writes {@code out[0]}, the score, and {@code out[2]}, its cause's ordinal ({@code cause},
     * {@link Cause#RANGE} when the range rule set the score, {@link Cause#NONE} for a score of at most 0.5);
     * then this row's z joins the hold's ring and the quiet counters move on.
     *
     * @param z      the key's z for this row
     * @param cause  the ordinal of what set z
     * @param beyond whether a value lies beyond its all-time range ({@link #rangeExcess} positive)
     * @param count  the key's rows before this one
     * @param pos    this row's position (the z ring's index)
     */
    void score(float[] out, float[] state, double z, int cause, boolean beyond, int count, int pos) {
        double before = Double.NEGATIVE_INFINITY;
        for (int age = 1, n = Math.min(count, hold); age <= n; age++) {
            before = Math.max(before, state[zOff + ring(pos - age, hold)]);
        }
        float score = count <= DetectorParams.LEARN_ROWS ? 0f : z > before ? scoreOf(z) : 0.5f;
        final int quietLeft = (int) state[quietSlot];
        if (beyond && quietLeft == 0) {
            score = 1f; // beyond anything this key has shown, after `quiet` rows inside it
            cause = Cause.RANGE.ordinal();
        }
        state[quietSlot] = beyond ? quiet : Math.max(0, quietLeft - 1);
        final int silent = (int) state[silentSlot];
        if (silent > 0) {
            score = Math.min(score, 0.5f); // an alarm was raised lately
            state[silentSlot] = silent - 1;
        } else if (score >= alarmScore) {
            state[silentSlot] = quiet;
        }
        out[0] = score;
        out[2] = score > 0.5f ? cause : Cause.NONE.ordinal();
        state[zOff + ring(pos, hold)] = (float) z;
    }
}
