package io.flinkrecurrent.anomaly;

import io.flinkrecurrent.annotation.PublicEvolving;

/**
 * The anomaly detector's parameters, the same for every key: {@link #WINDOWED}, {@link #COMPACT_1},
 * {@link #COMPACT} (the default), or any of them changed through {@link #toBuilder()}. Checked when made:
 * a combination the detector cannot run is refused with the values at fault. {@link #describe()} is part
 * of a detector's fingerprint, so a state written under other parameters is not reused.
 *
 * @param window    rows of history for the surprises' distributions
 * @param hold      a z must beat the previous {@code hold} rows' to count (1: every z counts)
 * @param memory    rows of hidden states searched for the nearest one
 * @param smooth    rows over which the forecast error is averaged
 * @param tolerance how far beyond the all-time range, as a fraction of it, a value must lie to
 *                  score 1; negative: no such rule
 * @param alarm     the z that raises an alarm (so does the range rule); infinite: only the range rule
 * @param quiet     rows that score at most 0.5 after an alarm, and rows inside the range before the
 *                  range rule fires again; 0: neither
 * @param level     rows averaged for the level's z; 0: no level z
 * @param levelWeight the level's z is multiplied by this before it joins the others
 * @param error     use the forecast error's z
 * @param value     use the value's z
 * @param novelty   use the hidden state's novelty
 * @param stride    0: the windowed detector; greater: the compact one, which remembers every
 *                  {@code stride}-th hidden state ({@code memory} of them) and keeps the surprises'
 *                  statistics as sums over blocks of {@code block} rows, or ({@code block} 0) with
 *                  exponential weights {@code 2 / (window + 1)}
 * @param block     rows a block of statistics sums (compact only; 0: exponential weights)
 * @param online    0: the forecast error is the trained head's; greater: it is the key's own
 *                  forecaster's, an NLMS readout over the GRU's hidden state with this step size,
 *                  learned from the key's rows and kept in its state ({@link io.flinkrecurrent.cell.OnlineReadout})
 * @param likely    0: none; greater (compact only): the error's likelihood, the mean of the last
 *                  {@code likely} errors in standard deviations of that mean's own history (as NAB's
 *                  HTM turns its raw score into an "anomaly likelihood"), joins the surprises
 * @param rls       0: the key's own forecaster learns by NLMS ({@code online}); in (0, 1]: by recursive
 *                  least squares with this forgetting factor
 * @param levelNovelty 0: none; greater (compact only): the level's novelty, its distance to the nearest
 *                  of the levels remembered with the hidden states (at least {@code level} rows old), in
 *                  standard deviations of its own history and weighted by this, joins the surprises: a
 *                  level not seen lately. With {@code levelWeight} 0 it replaces the level's z
 * @param power     1: the values as they come; in (0, 1): each value v is first replaced by
 *                  {@code sign(v) |v|^power}, which compresses large values more than small ones (0.5, the
 *                  square root, stabilises the spread of counts, which grows with their level)
 * @param lasting   0: none; greater (compact only; none without the novelty): the lasting novelty, the
 *                  smallest of the hidden state's novelties of the last {@code lasting} rows in standard
 *                  deviations of its own history, joins the surprises: a pattern that has stayed unfamiliar
 *                  that long, where a passing one (a transition seen at another phase) is unfamiliar for a
 *                  row or two
 */
@PublicEvolving
public record DetectorParams(int window, int hold, int memory, int smooth, float tolerance, float alarm, int quiet,
                             int level, float levelWeight, boolean error, boolean value, boolean novelty, int stride,
                             int block, float online, int likely, float rls, float levelNovelty, float power,
                             int lasting)
        implements java.io.Serializable {
    /** Rows that fix a key's normalisation; the same number the forecaster was trained with. Not a parameter. */
    public static final int LEARN_ROWS = 150;
    /** The most recent hidden states, left out of the nearest-neighbour search (they are always near). Not a parameter. */
    static final int GAP = 5;

    /**
     * The windowed detector, 28,133 floats (110 KiB) a key: the surprises against rings of the last 1,000
     * rows, the novelty against all of their hidden states, the trained head's error. Its parameters were
     * chosen on the NAB corpus alone (docs/nab.md); {@code --detector windowed}.
     */
    public static final DetectorParams WINDOWED = new DetectorParams(1000, 100, 1000, 5, 0.01f, 15f, 20, 50, 3f,
            true, true, true, 0, 0, 0f, 0, 0f, 0f, 1f, 0);

    /**
     * The first compact detector, 1,818 floats (7.1 KiB) a key: the key's own NLMS forecaster over the
     * GRU's hidden state and its error of the row itself, exponentially weighted statistics, every 8th of
     * the last 512 hidden states for the novelty, the level over 25 rows judged by its novelty (a level not
     * seen lately) instead of its z, and an alarm from z 12. Chosen on NAB and the development corpus
     * together (docs/nab.md). Its fingerprint is that of the default before {@link #COMPACT}, so a job
     * restored from a savepoint taken then keeps its keys' states with it ({@code --detector compact-1}).
     */
    public static final DetectorParams COMPACT_1 = WINDOWED.toBuilder().stride(8).memory(64).online(0.5f).smooth(1)
            .alarm(12f).level(25).levelWeight(0f).levelNovelty(1.25f).build();

    /**
     * The compact detector, the anomaly job's and the NAB runs' default, 1,860 floats (7.3 KiB) a key:
     * {@link #COMPACT_1} with each value raised to the power 0.8 first, the lasting novelty over 40 rows,
     * and the level's novelty weighted 1.15. Chosen on NAB and the development corpus together, with
     * five trained forecasters (docs/nab.md).
     */
    public static final DetectorParams COMPACT = COMPACT_1.toBuilder().power(0.8f).lasting(40).levelNovelty(1.15f).build();

    public DetectorParams {
        if (window < 2 || hold < 1 || hold > window || stride == 0 && window % hold != 0 || smooth < 1 || smooth > window) {
            throw new IllegalArgumentException("need window >= 2, 1 <= hold <= window dividing it and "
                    + "1 <= smooth <= window; got window " + window + ", hold " + hold + ", smooth " + smooth);
        }
        if (likely < 0 || likely > 0 && stride == 0) {
            throw new IllegalArgumentException("likely (rows the error's likelihood averages) needs the compact "
                    + "detector (stride > 0); got likely " + likely + ", stride " + stride);
        }
        if (!(rls >= 0f && rls <= 1f) || rls > 0f && online == 0f) {
            throw new IllegalArgumentException("rls is the key's own forecaster's forgetting factor, in (0, 1], "
                    + "and needs online > 0; got rls " + rls + ", online " + online);
        }
        if (!(online >= 0f && online < 2f)) {
            throw new IllegalArgumentException("online is the NLMS step size, in [0, 2): 0 is the trained head; got " + online);
        }
        if (stride < 0 || stride > 0 && memory < 2 || block < 0 || block > 0 && (stride == 0 || window % block != 0)) {
            throw new IllegalArgumentException("need stride >= 0 (with a stride memory >= 2), and block >= 0 "
                    + "(with a stride, dividing the window); got stride " + stride + ", memory " + memory + ", block " + block);
        }
        if (novelty && stride == 0 && (memory <= GAP || window % memory != 0 && memory % window != 0)) {
            throw new IllegalArgumentException("need memory > " + GAP + " and a multiple or divisor of window "
                    + window + ", got " + memory);
        }
        if (!(alarm > 0f) || quiet < 0 || level < 0 || level > window || !(levelWeight >= 0f)
                || !(levelNovelty >= 0f) || levelWeight == 0f && levelNovelty == 0f) {
            throw new IllegalArgumentException("need alarm > 0, quiet >= 0, 0 <= level <= window " + window
                    + ", levelWeight >= 0 and levelNovelty >= 0, not both 0; got alarm " + alarm + ", quiet " + quiet
                    + ", level " + level + ", levelWeight " + levelWeight + ", levelNovelty " + levelNovelty);
        }
        if (lasting < 0 || lasting > 0 && (stride == 0 || lasting > window)) {
            throw new IllegalArgumentException("lasting needs the compact detector (stride > 0) and at most window "
                    + "rows; got lasting " + lasting + ", stride " + stride + ", window " + window);
        }
        if (!(power > 0f && power <= 1f)) {
            throw new IllegalArgumentException("power is the exponent values are raised to, in (0, 1]; got " + power);
        }
        if (levelNovelty > 0f && (stride == 0 || level == 0 || memory < 2)) {
            throw new IllegalArgumentException("levelNovelty needs the compact detector (stride > 0), a level and "
                    + "memory >= 2; got stride " + stride + ", level " + level + ", memory " + memory);
        }
    }

    /** A builder starting from {@link #COMPACT}, the default. */
    public static Builder builder() {
        return COMPACT.toBuilder();
    }

    /** A builder starting from these parameters. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Every parameter's value, in a fixed format (part of the detector's fingerprint). */
    public String describe() {
        return "window=" + window + ",hold=" + hold + ",memory=" + memory + ",smooth=" + smooth
                + ",tolerance=" + Float.floatToIntBits(tolerance) + ",alarm=" + Float.floatToIntBits(alarm)
                + ",quiet=" + quiet + ",level=" + level + ",levelWeight=" + Float.floatToIntBits(levelWeight)
                + ",error=" + error + ",value=" + value + ",novelty=" + novelty + (stride > 0 ? ",stride=" + stride + ",block=" + block : "") + (online > 0 ? ",online=" + Float.floatToIntBits(online) : "")
                + (likely > 0 ? ",likely=" + likely : "") + (rls > 0 ? ",rls=" + Float.floatToIntBits(rls) : "")
                + (levelNovelty > 0 ? ",levelNovelty=" + Float.floatToIntBits(levelNovelty) : "")
                + (power != 1f ? ",power=" + Float.floatToIntBits(power) : "")
                + (lasting > 0 ? ",lasting=" + lasting : "");
    }

    /**
     * Every parameter's value as a reader sees it, {@code Params[window=1000, hold=100, ...]}: the form a
     * detector's {@link AnomalyDetector#describe()} has always printed (not part of any fingerprint).
     */
    String readable() {
        return "Params[window=" + window + ", hold=" + hold + ", memory=" + memory + ", smooth=" + smooth
                + ", tolerance=" + tolerance + ", alarm=" + alarm + ", quiet=" + quiet + ", level=" + level
                + ", levelWeight=" + levelWeight + ", error=" + error + ", value=" + value + ", novelty=" + novelty
                + ", stride=" + stride + ", block=" + block + ", online=" + online + ", likely=" + likely
                + ", rls=" + rls + ", levelNovelty=" + levelNovelty + ", power=" + power + ", lasting=" + lasting + "]";
    }

    /** The score from which a row is an alarm: that of a z of {@code alarm} (1 when alarm is infinite). */
    public float alarmScore() {
        return Scoring.scoreOf(alarm);
    }

    /** Parameters changed one at a time from a starting set; {@link #build()} checks them. */
    @PublicEvolving
    public static final class Builder {
        private int window;
        private int hold;
        private int memory;
        private int smooth;
        private float tolerance;
        private float alarm;
        private int quiet;
        private int level;
        private float levelWeight;
        private boolean error;
        private boolean value;
        private boolean novelty;
        private int stride;
        private int block;
        private float online;
        private int likely;
        private float rls;
        private float levelNovelty;
        private float power;
        private int lasting;

        private Builder(DetectorParams p) {
            window = p.window;
            hold = p.hold;
            memory = p.memory;
            smooth = p.smooth;
            tolerance = p.tolerance;
            alarm = p.alarm;
            quiet = p.quiet;
            level = p.level;
            levelWeight = p.levelWeight;
            error = p.error;
            value = p.value;
            novelty = p.novelty;
            stride = p.stride;
            block = p.block;
            online = p.online;
            likely = p.likely;
            rls = p.rls;
            levelNovelty = p.levelNovelty;
            power = p.power;
            lasting = p.lasting;
        }

        public Builder window(int rows) { window = rows; return this; }
        public Builder hold(int rows) { hold = rows; return this; }
        public Builder memory(int states) { memory = states; return this; }
        public Builder smooth(int rows) { smooth = rows; return this; }
        public Builder tolerance(float fraction) { tolerance = fraction; return this; }
        public Builder alarm(float z) { alarm = z; return this; }
        public Builder quiet(int rows) { quiet = rows; return this; }
        public Builder level(int rows) { level = rows; return this; }
        public Builder levelWeight(float weight) { levelWeight = weight; return this; }
        public Builder error(boolean use) { error = use; return this; }
        public Builder value(boolean use) { value = use; return this; }
        public Builder novelty(boolean use) { novelty = use; return this; }
        public Builder stride(int rows) { stride = rows; return this; }
        public Builder block(int rows) { block = rows; return this; }
        public Builder online(float stepSize) { online = stepSize; return this; }
        public Builder likely(int rows) { likely = rows; return this; }
        public Builder rls(float forgetting) { rls = forgetting; return this; }
        public Builder levelNovelty(float weight) { levelNovelty = weight; return this; }
        public Builder power(float exponent) { power = exponent; return this; }
        public Builder lasting(int rows) { lasting = rows; return this; }

        /** The parameters, checked ({@link IllegalArgumentException} naming the values at fault). */
        public DetectorParams build() {
            return new DetectorParams(window, hold, memory, smooth, tolerance, alarm, quiet, level, levelWeight, error,
                    value, novelty, stride, block, online, likely, rls, levelNovelty, power, lasting);
        }
    }
}
