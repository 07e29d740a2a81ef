package io.flinkrecurrent.anomaly;

import io.flinkrecurrent.annotation.PublicEvolving;

import java.util.Locale;

/**
 * What set a row's score, the detector's third output (as its ordinal): the range rule, or the surprise
 * whose z was the largest when it raised the score above the neutral 0.5; {@code NONE} for a score of at
 * most 0.5 (nothing stood out, the key is still learning, or an alarm was raised lately). Tells an
 * operator why a row alerted: a value beyond the key's history, a value the key's forecaster did not
 * expect, a value far from the recent mean, a pattern not seen lately, a level not seen lately, or a new
 * pattern that has lasted. New causes are added at the end, so an ordinal keeps its meaning.
 */
@PublicEvolving
public enum Cause {
    NONE, RANGE, ERROR, VALUE, NOVELTY, LEVEL, LEVEL_NOVELTY, LIKELIHOOD, LASTING_NOVELTY;

    private static final Cause[] ALL = values();
    /** Made once: the job prints one with every score. */
    private final String label = name().toLowerCase(Locale.ROOT).replace('_', '-');

    /** The cause in a detector's output {@code [score, forecast error, cause]}. */
    public static Cause of(float[] out) {
        return ALL[(int) out[2]];
    }

    /** Its name in lower case, words joined by '-': {@code level-novelty}. */
    public String label() {
        return label;
    }
}
