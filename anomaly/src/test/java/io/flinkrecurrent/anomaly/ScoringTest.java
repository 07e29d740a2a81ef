package io.flinkrecurrent.anomaly;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The scoring, fed z values and range flags directly: the hold, the range rule, the quiet rows, learning. */
class ScoringTest {
    /** Hold 3 rows, quiet 4 rows, alarm at z 12, range tolerance 1%. */
    static final DetectorParams P = DetectorParams.COMPACT.toBuilder().hold(3).quiet(4).build();
    static final int QUIET = 1;
    static final int SILENT = 3;
    static final int Z = 5;

    Scoring scoring;
    float[] state;
    float[] out;
    int row;

    @BeforeEach
    void fresh() {
        scoring = new Scoring(P, QUIET, SILENT, Z);
        state = new float[Z + P.hold() + 2];
        out = new float[3];
        row = DetectorParams.LEARN_ROWS + 1; // learnt
    }

    /** Scores one row; returns its score, its cause in {@code cause()}. */
    float score(double z, Cause cause, boolean beyond) {
        scoring.score(out, state, z, cause.ordinal(), beyond, row, row % P.hold());
        row++;
        return out[0];
    }

    Cause cause() {
        return Cause.values()[(int) out[2]];
    }

    @Test
    void aZScoresOnlyWhenItBeatsTheHoldsRows() {
        assertEquals(Scoring.scoreOf(1), score(1, Cause.ERROR, false));
        assertEquals(Cause.ERROR, cause());
        assertEquals(Scoring.scoreOf(2), score(2, Cause.VALUE, false));
        assertEquals(0.5f, score(1.5, Cause.VALUE, false), "below the last 3 rows' 2");
        assertEquals(Cause.NONE, cause(), "0.5 names no cause");
        assertEquals(0.5f, score(1.9, Cause.VALUE, false));
        assertEquals(0.5f, score(1.8, Cause.VALUE, false), "the 2 is 3 rows old: still in the hold");
        assertEquals(Scoring.scoreOf(1.95), score(1.95, Cause.NOVELTY, false), "the 2 is 4 rows old: out of the hold");
        assertEquals(Cause.NOVELTY, cause());
        assertEquals(0.5f, Scoring.scoreOf(0));
        assertEquals(1f, DetectorParams.COMPACT.toBuilder().alarm(Float.POSITIVE_INFINITY).build().alarmScore());
        assertTrue(Scoring.scoreOf(12) == P.alarmScore());
    }

    @Test
    void theRangeRuleScoresOneAsAnExcursionLeavesTheRange() {
        assertEquals(1f, score(0.5, Cause.ERROR, true));
        assertEquals(Cause.RANGE, cause());
        // an alarm: the next 4 rows score at most 0.5 whatever they hold
        for (int i = 0; i < 4; i++) {
            assertEquals(0.5f, score(20 + i, Cause.VALUE, i == 2), "quiet row " + i);
            assertEquals(Cause.NONE, cause());
        }
        // the excursion's rows beyond the range kept the range rule quiet 4 rows after the last of them (row 2)
        assertTrue(score(0.1, Cause.ERROR, true) < 1f, "1 row after the quiet rows, but 2 after the last excursion");
        for (int i = 0; i < 4; i++) {
            score(0, Cause.NONE, false); // inside the range
        }
        assertEquals(1f, score(0, Cause.NONE, true), "a new excursion after 4 rows inside");
        assertEquals(Cause.RANGE, cause());
    }

    @Test
    void anAlarmKeepsTheNextQuietRowsAtMostHalf() {
        assertEquals(Scoring.scoreOf(13), score(13, Cause.ERROR, false));
        for (int i = 0; i < 4; i++) {
            assertEquals(0.5f, score(30 + i, Cause.ERROR, false), "quiet row " + i);
        }
        assertEquals(Scoring.scoreOf(40), score(40, Cause.ERROR, false), "after them");
        // a score below the alarm's raises no quiet rows
        fresh();
        assertEquals(Scoring.scoreOf(5), score(5, Cause.ERROR, false));
        assertEquals(Scoring.scoreOf(6), score(6, Cause.ERROR, false));
    }

    @Test
    void whileTheKeyLearnsEveryScoreIsZero() {
        row = 0;
        for (int i = 0; i <= DetectorParams.LEARN_ROWS; i++) {
            assertEquals(0f, score(100, Cause.ERROR, false), "row " + i);
            assertEquals(Cause.NONE, cause());
        }
        assertEquals(0.5f, score(50, Cause.ERROR, false), "learnt: 50 is below the hold's 100");
    }

    @Test
    void theRangeExcessIsHowFarBeyondTheAllTimeRange() {
        int learnt = DetectorParams.LEARN_ROWS + 1;
        assertEquals(0f, Scoring.rangeExcess(5, 0, 10, 0.01f, learnt), "inside");
        assertEquals(0f, Scoring.rangeExcess(10.05f, 0, 10, 0.01f, learnt), "beyond by less than 1% of the range");
        assertEquals(0.5f, Scoring.rangeExcess(15, 0, 10, 0.01f, learnt));
        assertEquals(0.5f, Scoring.rangeExcess(-5, 0, 10, 0.01f, learnt));
        assertEquals(0f, Scoring.rangeExcess(15, 0, 10, 0.01f, DetectorParams.LEARN_ROWS), "still learning");
        assertEquals(0f, Scoring.rangeExcess(15, 0, 10, -1f, learnt), "no range rule");
        assertEquals(0f, Scoring.rangeExcess(15, 3, 3, 0.01f, learnt), "a constant metric: no range to leave");
        assertTrue(Scoring.rangeExcess(1e30f + 1e24f, 0, 1e30f, 0f, learnt) > 0f, "beyond is positive however small");
    }
}
