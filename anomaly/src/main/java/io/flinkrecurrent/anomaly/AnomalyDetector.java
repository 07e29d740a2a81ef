package io.flinkrecurrent.anomaly;

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
 * excluded), each in standard deviations of its own recent history ({@link Params} switches each on
 * or off; the defaults use all four):
 * <ul>
 *   <li>the forecast error, averaged over the last {@code smooth} rows;</li>
 *   <li>the value's distance from the recent mean;</li>
 *   <li>the novelty of the GRU's hidden state: its distance to the nearest of the hidden states of the
 *       last {@code memory} rows (the {@value #GAP} most recent left out). The hidden state sums up the
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
 * the key's earlier values and this one. This describes the windowed detector ({@link Params#WINDOWED});
 * {@link Params#COMPACT}, the default, keeps its statistics with exponential weights, every 8th hidden
 * state, the key's own forecaster, the level's novelty and the novelty that lasts, in 7.3 KiB a key
 * (docs/nab.md). The same parameters serve every key.
 *
 * <p>State layout (floats): {@code [count, min, max, forecast, position, all-time min, all-time max,
 * quiet rows left (range), quiet rows left (alarm), errors (window), values (window), novelties
 * (window), levels (window), z (hold), hidden states (memory x hidden), forecaster state]}.
 */
public final class AnomalyDetector implements RecurrentModel {
    /** Rows that fix a key's normalisation; the same number the forecaster was trained with. */
    public static final int LEARN_ROWS = 150;
    /** The most recent hidden states, left out of the nearest-neighbour search (they are always near). */
    static final int GAP = 5;
    private static final int COUNT = 0;
    private static final int MIN = 1;
    private static final int MAX = 2;
    private static final int FORECAST = 3;
    private static final int POS = 4;
    private static final int LOW = 5;
    private static final int HIGH = 6;
    private static final int QUIET = 7;
    private static final int SILENT = 8;
    private static final int RINGS = 9;

    /**
     * The detector's parameters, the same for every key.
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
    public record Params(int window, int hold, int memory, int smooth, float tolerance, float alarm, int quiet,
                         int level, float levelWeight, boolean error, boolean value, boolean novelty, int stride,
                         int block, float online, int likely, float rls, float levelNovelty, float power,
                         int lasting)
            implements java.io.Serializable {
        /** The windowed detector ({@code stride} 0). */
        public Params(int window, int hold, int memory, int smooth, float tolerance, float alarm, int quiet,
                      int level, float levelWeight, boolean error, boolean value, boolean novelty) {
            this(window, hold, memory, smooth, tolerance, alarm, quiet, level, levelWeight, error, value, novelty, 0, 0, 0f, 0, 0f, 0f, 1f, 0);
        }

        /**
         * The windowed detector, 28,133 floats (110 KiB) a key: the surprises against rings of the last 1,000
         * rows, the novelty against all of their hidden states, the trained head's error. Its parameters were
         * chosen on the NAB corpus alone (docs/nab.md); {@code --detector windowed}.
         */
        public static final Params WINDOWED = new Params(1000, 100, 1000, 5, 0.01f, 15f, 20, 50, 3f, true, true, true);

        /**
         * The first compact detector, 1,818 floats (7.1 KiB) a key: the key's own NLMS forecaster over the
         * GRU's hidden state and its error of the row itself, exponentially weighted statistics, every 8th of
         * the last 512 hidden states for the novelty, the level over 25 rows judged by its novelty (a level not
         * seen lately) instead of its z, and an alarm from z 12. Chosen on NAB and the development corpus
         * together (docs/nab.md). Its fingerprint is that of the default before {@link #COMPACT}, so a job
         * restored from a savepoint taken then keeps its keys' states with it ({@code --detector compact-1}).
         */
        public static final Params COMPACT_1 = WINDOWED.with(
                "stride=8,memory=64,online=0.5,smooth=1,alarm=12,level=25,levelWeight=0,levelNovelty=1.25");

        /**
         * The compact detector, the anomaly job's and the NAB runs' default, 1,860 floats (7.3 KiB) a key:
         * {@link #COMPACT_1} with each value raised to the power 0.8 first, the lasting novelty over 40 rows,
         * and the level's novelty weighted 1.15. Chosen on NAB and the development corpus together, with
         * five trained forecasters (docs/nab.md).
         */
        public static final Params COMPACT = COMPACT_1.with("power=0.8,lasting=40,levelNovelty=1.15");

        public Params {
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

        /**
         * These parameters with some changed, from {@code name=value,...} (window, hold, memory, smooth,
         * tolerance, alarm, quiet, level, levelWeight, error, value, novelty, stride, block, online, likely,
         * rls, levelNovelty, power, lasting): for measuring variants.
         */
        public Params with(String changes) {
            int w = window, h = hold, m = memory, s = smooth, q = quiet, l = level, st = stride, b = block, lk = likely, ls = lasting;
            float t = tolerance, a = alarm, lw = levelWeight, on = online, fg = rls, ln = levelNovelty, pw = power;
            boolean e = error, v = value, n = novelty;
            for (String kv : changes.split(",")) {
                String[] f = kv.split("=", 2);
                if (f.length != 2) {
                    throw new IllegalArgumentException("expected name=value, got '" + kv + "'");
                }
                String val = f[1].trim();
                switch (f[0].trim()) {
                    case "window" -> w = Integer.parseInt(val);
                    case "hold" -> h = Integer.parseInt(val);
                    case "memory" -> m = Integer.parseInt(val);
                    case "smooth" -> s = Integer.parseInt(val);
                    case "quiet" -> q = Integer.parseInt(val);
                    case "level" -> l = Integer.parseInt(val);
                    case "tolerance" -> t = Float.parseFloat(val);
                    case "alarm" -> a = Float.parseFloat(val);
                    case "levelWeight" -> lw = Float.parseFloat(val);
                    case "error" -> e = Boolean.parseBoolean(val);
                    case "value" -> v = Boolean.parseBoolean(val);
                    case "novelty" -> n = Boolean.parseBoolean(val);
                    case "stride" -> st = Integer.parseInt(val);
                    case "block" -> b = Integer.parseInt(val);
                    case "online" -> on = Float.parseFloat(val);
                    case "likely" -> lk = Integer.parseInt(val);
                    case "rls" -> fg = Float.parseFloat(val);
                    case "levelNovelty" -> ln = Float.parseFloat(val);
                    case "power" -> pw = Float.parseFloat(val);
                    case "lasting" -> ls = Integer.parseInt(val);
                    default -> throw new IllegalArgumentException("no detector parameter '" + f[0].trim() + "'");
                }
            }
            return new Params(w, h, m, s, t, a, q, l, lw, e, v, n, st, b, on, lk, fg, ln, pw, ls);
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

        public Params withTolerance(float t) {
            return new Params(window, hold, memory, smooth, t, alarm, quiet, level, levelWeight, error, value, novelty, stride, block, online, likely, rls, levelNovelty, power, lasting);
        }

        public Params withHold(int h) {
            return new Params(window, h, memory, smooth, tolerance, alarm, quiet, level, levelWeight, error, value, novelty, stride, block, online, likely, rls, levelNovelty, power, lasting);
        }

        public Params withSmooth(int n) {
            return new Params(window, hold, memory, n, tolerance, alarm, quiet, level, levelWeight, error, value, novelty, stride, block, online, likely, rls, levelNovelty, power, lasting);
        }

        /** The z that raises an alarm, after which {@code quiet} rows score at most 0.5 (infinite: only the range rule's). */
        public Params withAlarm(float z) {
            return new Params(window, hold, memory, smooth, tolerance, z, quiet, level, levelWeight, error, value, novelty, stride, block, online, likely, rls, levelNovelty, power, lasting);
        }

        /** Rows kept quiet after an alarm, and rows inside the range before the range rule fires again (0: neither). */
        public Params withQuiet(int q) {
            return new Params(window, hold, memory, smooth, tolerance, alarm, q, level, levelWeight, error, value, novelty, stride, block, online, likely, rls, levelNovelty, power, lasting);
        }

        /** Rows averaged for the level's z; 0: no level z. */
        public Params withLevel(int rows) {
            return new Params(window, hold, memory, smooth, tolerance, alarm, quiet, rows, levelWeight, error, value, novelty, stride, block, online, likely, rls, levelNovelty, power, lasting);
        }

        public Params withLevelWeight(float w) {
            return new Params(window, hold, memory, smooth, tolerance, alarm, quiet, level, w, error, value, novelty, stride, block, online, likely, rls, levelNovelty, power, lasting);
        }

        /** The score from which a row is an alarm: that of a z of {@code alarm} (1 when alarm is infinite). */
        public float alarmScore() {
            return scoreOf(alarm);
        }

        /** Which surprises are used (the level's is set by {@link #withLevel}). */
        public Params using(boolean e, boolean v, boolean n) {
            return new Params(window, hold, memory, smooth, tolerance, alarm, quiet, level, levelWeight, e, v, n, stride, block, online, likely, rls, levelNovelty, power, lasting);
        }
    }

    private final RecurrentNetwork forecaster;
    private final Params params;
    private final int window;
    private final int hold;
    private final int memory;
    private final int hidden;
    private final int errOff;
    private final int valOff;
    private final int novOff;
    private final int levOff;
    private final int zOff;
    private final int memOff;
    /** The compact detector's likelihood ({@code likely > 0}): a ring of the last errors, then the statistics of their mean. */
    private final int likOff;
    private final int likStat;
    /** The compact detector's level novelty ({@code levelNovelty > 0}): every stride-th level, levMem of them, then its statistics. */
    private final int levMem;
    private final int levMemOff;
    private final int levStat;
    /** The compact detector's lasting novelty ({@code lasting > 0}): a ring of the last novelties, then the statistics of their minimum. */
    private final int lasting;
    private final int lastOff;
    private final int lastStat;
    private final int netOff;
    private final long fingerprint;
    private final float alarmScore;
    /** {@link Params#power()}: the exponent each value is raised to, its sign kept (1: none). */
    private final float power;
    // the compact detector (stride > 0): running statistics instead of windows, every stride-th hidden state
    private final int stride;
    /** With {@code online > 0}: the key's own NLMS forecaster over the GRU's hidden state, in place of the trained head. */
    private final io.flinkrecurrent.cell.OnlineReadout readout;
    private final int netSize;
    private final int workBase;
    private final int ewOff;
    /** Rows a block of statistics sums (0: exponential weights), blocks kept, floats of one statistic. */
    private final int block;
    private final int blocks;
    private final int stat;
    private final int vlen;
    private final int wrap;

    /**
     * @param forecaster input 1 (a normalised value), output 1 (the next one); its state is its hidden
     *                   state (a one-layer GRU or RNN)
     */
    public AnomalyDetector(RecurrentNetwork forecaster, Params params) {
        if (forecaster.inputSize() != 1 || forecaster.outputSize() != 1) {
            throw new IllegalArgumentException("the forecaster must map 1 value to 1 value, not "
                    + forecaster.inputSize() + " to " + forecaster.outputSize());
        }
        this.forecaster = forecaster;
        this.params = params;
        this.window = params.window();
        this.hold = params.hold();
        this.memory = params.novelty() ? params.memory() : 0;
        this.hidden = forecaster.stateSize();
        this.stride = params.stride();
        if (stride == 0) {
            this.block = 0;
            this.blocks = 0;
            this.stat = 0;
            this.ewOff = -1;
            this.vlen = window;
            this.wrap = Math.max(window, memory);
            this.errOff = RINGS;
            this.valOff = errOff + window;
            this.novOff = valOff + window;
            this.levOff = novOff + window;
            this.zOff = levOff + (params.level() > 0 ? window : 0);
        } else {
            // the statistics of the error, the value, the novelty and the level (STATS floats each); then short rings
            this.ewOff = RINGS;
            this.vlen = Math.max(1, Math.max(params.level(), params.smooth()));
            this.block = params.block();
            this.blocks = block > 0 ? window / block : 0;
            this.stat = block > 0 ? 5 + 2 * blocks : 2;
            this.errOff = ewOff + 4 * stat;
            this.valOff = errOff + params.smooth();
            this.novOff = -1;
            this.levOff = -1;
            this.zOff = valOff + vlen;
            long w = lcm(lcm(lcm(lcm(params.smooth(), vlen), Math.max(1, params.likely())), Math.max(1, params.lasting())),
                    lcm(lcm(hold, Math.max(1L, (long) memory * stride)),
                            Math.max(1L, (long) (params.levelNovelty() > 0 ? params.memory() : 0) * stride)));
            if (w > 1 << 22) {
                throw new IllegalArgumentException("the compact detector's rings are too many rows apart (" + w + ")");
            }
            this.wrap = (int) w;
        }
        this.likOff = zOff + hold;
        this.likStat = likOff + params.likely();
        this.levMem = params.levelNovelty() > 0 ? params.memory() : 0;
        this.levMemOff = likStat + (params.likely() > 0 ? stat : 0);
        this.levStat = levMemOff + levMem;
        this.lasting = memory > 0 ? params.lasting() : 0;
        this.lastOff = levStat + (levMem > 0 ? stat : 0);
        this.lastStat = lastOff + lasting;
        this.memOff = lastStat + (lasting > 0 ? stat : 0);
        this.netOff = memOff + memory * hidden;
        final RecurrentNetwork body = new RecurrentNetwork(forecaster.layers(), null);
        this.readout = params.rls() > 0 ? io.flinkrecurrent.cell.OnlineReadout.rls(body, params.rls(), 1f)
                : params.online() > 0 ? io.flinkrecurrent.cell.OnlineReadout.nlms(body, params.online())
                : null;
        this.netSize = readout == null ? hidden : readout.stateSize();
        this.workBase = (readout == null ? forecaster.newScratch() : readout.newScratch()).workCount();
        this.alarmScore = params.alarmScore();
        this.power = params.power();
        // from the values only (never a hashCode, whose algorithm the JDK does not fix)
        this.fingerprint = new io.flinkrecurrent.cell.Fingerprint().add("anomaly-detector").add(forecaster.fingerprint())
                .add(params.describe()).add(LEARN_ROWS).add(GAP).value();
    }

    /** The score of a z that beats the hold. */
    static float scoreOf(double z) {
        return (float) (0.5 + 0.5 * Math.tanh(z / 6));
    }

    /** {@link Params#alarmScore()}. */
    public float alarmScore() { return alarmScore; }

    /** The windowed detector ({@link Params#WINDOWED}). */
    public static AnomalyDetector windowed(RecurrentNetwork forecaster) {
        return new AnomalyDetector(forecaster, Params.WINDOWED);
    }

    /** The compact detector ({@link Params#COMPACT}), the anomaly job's default. */
    public static AnomalyDetector compact(RecurrentNetwork forecaster) {
        return new AnomalyDetector(forecaster, Params.COMPACT);
    }

    public Params params() { return params; }

    @Override public int inputSize() { return 1; }

    @Override public int outputSize() { return 3; }

    @Override public int stateSize() { return netOff + netSize; }

    @Override
    public Scratch newScratch() {
        // work 0: the forecaster's state, stepped there; work 1: its input; work 2: its output
        // after the forecaster's (or the readout's) own: its state, its input, the forecast, the surprises
        // [z, novelty, level, cause of z], the readout's state, its output
        return (readout == null ? forecaster.newScratch() : readout.newScratch()).withWork(hidden, 1, 1, 4, netSize, 2);
    }

    @Override public long fingerprint() { return fingerprint; }

    @Override
    public String describe() {
        return "anomaly detector " + params + " over " + forecaster.describe();
    }

    @Override
    public void step(float[] out, float[] state, float[] x, Scratch scratch) {
        final float v = power == 1f ? x[0] : (float) Math.copySign(Math.pow(Math.abs(x[0]), power), x[0]);
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
        final int pos = (int) state[POS];

        // step the forecaster: its new hidden state sums up the key's history up to this row
        final float[] net = scratch.work(workBase);
        final float[] in = scratch.work(workBase + 1);
        final float[] forecast = scratch.work(workBase + 2);
        in[0] = xn;
        final float err;
        final float[] rs = scratch.work(workBase + 4);
        if (readout == null) {
            err = count == 0 ? 0f : Math.abs(xn - state[FORECAST]);
            System.arraycopy(state, netOff, net, 0, hidden);
            forecaster.step(forecast, net, in, scratch);
        } else {
            // the key's own forecaster: its error on this row (its forecast made at the last), then it learns
            final float[] ro = scratch.work(workBase + 5);
            System.arraycopy(state, netOff, rs, 0, netSize);
            readout.step(ro, rs, in, scratch);
            err = count == 0 ? 0f : Math.abs(ro[0]);
            forecast[0] = ro[1];
            System.arraycopy(rs, 0, net, 0, hidden);
        }

        if (stride > 0) {
            final float[] zs = scratch.work(workBase + 3);
            surprisesCompact(zs, state, net, xn, err, pos, count);
            finish(out, state, net, forecast, v, err, zs[0], (int) zs[3], pos, count);
            if (readout != null) {
                System.arraycopy(rs, 0, state, netOff, netSize);
            }
            return;
        }
        // the surprises, against the previous rows (at most `window`); this row joins them after
        final int seen = Math.min(count, window);
        double errNow = err;
        for (int age = 1, n = Math.min(params.smooth() - 1, seen); age <= n; age++) {
            errNow += state[errOff + ring(pos - age, window)];
        }
        errNow /= Math.min(params.smooth(), seen + 1);
        final double novelty = memory == 0 ? 0 : nearest(state, net, pos, count);
        double z = 0;
        Cause cause = Cause.NONE;
        if (seen > 0 && params.error()) {
            z = zScore(errNow, state, errOff, pos, seen, false, 1e-3);
            cause = Cause.ERROR;
        }
        if (seen > 0 && params.value()) {
            final double zv = zScore(xn, state, valOff, pos, seen, true, 1e-3);
            cause = zv > z ? Cause.VALUE : cause;
            z = Math.max(z, zv);
        }
        final int novSeen = Math.min(count - LEARN_ROWS, window);
        if (memory > 0 && novSeen > 10) {
            final double zn = zScore(novelty, state, novOff, pos, novSeen, false, 1e-4);
            cause = zn > z ? Cause.NOVELTY : cause;
            z = Math.max(z, zn);
        }
        final int level = params.level();
        double lev = 0;
        if (level > 0) {
            lev = levelMean(state, xn, pos, seen, window);
            final int levSeen = Math.min(count - Math.max(LEARN_ROWS, level), window);
            if (levSeen > 10) {
                final double zl = params.levelWeight() * zScore(lev, state, levOff, pos, levSeen, true, 1e-3);
                cause = zl > z ? Cause.LEVEL : cause;
                z = Math.max(z, zl);
            }
        }
        state[errOff + ring(pos, window)] = err;
        state[valOff + ring(pos, window)] = xn;
        state[novOff + ring(pos, window)] = (float) novelty;
        if (level > 0) {
            state[levOff + ring(pos, window)] = (float) lev;
        }
        if (memory > 0) {
            System.arraycopy(net, 0, state, memOff + ring(pos, memory) * hidden, hidden);
        }
        finish(out, state, net, forecast, v, err, z, cause.ordinal(), pos, count);
        if (readout != null) {
            System.arraycopy(rs, 0, state, netOff, netSize);
        }
    }

    /** The score from the largest z (the hold, the range rule, the quiet rows), and the rest of the state. */
    private void finish(float[] out, float[] state, float[] net, float[] forecast, float v, float err, double z, int cause,
                        int pos, int count) {
        double before = Double.NEGATIVE_INFINITY;
        for (int age = 1, n = Math.min(count, hold); age <= n; age++) {
            before = Math.max(before, state[zOff + ring(pos - age, hold)]);
        }
        float score = count <= LEARN_ROWS ? 0f : z > before ? scoreOf(z) : 0.5f;
        final float all = state[HIGH] - state[LOW];
        final float tol = params.tolerance();
        final boolean beyond = tol >= 0f && count > LEARN_ROWS && all > 0f
                && (v > state[HIGH] + tol * all || v < state[LOW] - tol * all);
        final int quietLeft = (int) state[QUIET];
        if (beyond && quietLeft == 0) {
            score = 1f; // beyond anything this key has shown, after `quiet` rows inside it
            cause = Cause.RANGE.ordinal();
        }
        state[QUIET] = beyond ? params.quiet() : Math.max(0, quietLeft - 1);
        final int silent = (int) state[SILENT];
        if (silent > 0) {
            score = Math.min(score, 0.5f); // an alarm was raised lately
            state[SILENT] = silent - 1;
        } else if (score >= alarmScore) {
            state[SILENT] = params.quiet();
        }
        out[0] = score;
        out[1] = err;
        out[2] = score > 0.5f ? cause : Cause.NONE.ordinal();

        state[LOW] = count == 0 ? v : Math.min(state[LOW], v);
        state[HIGH] = count == 0 ? v : Math.max(state[HIGH], v);
        state[zOff + ring(pos, hold)] = (float) z;
        System.arraycopy(net, 0, state, netOff, hidden);
        state[FORECAST] = forecast[0];
        state[POS] = (pos + 1) % wrap; // a multiple of every ring's length
        // bounded: only "how far in" matters
        state[COUNT] = Math.min(count + 1, stride == 0 ? LEARN_ROWS + window + memory
                : LEARN_ROWS + window + memory * stride + params.level());
    }

    private static long lcm(long a, long b) {
        return a / java.math.BigInteger.valueOf(a).gcd(java.math.BigInteger.valueOf(b)).longValue() * b;
    }

    /**
     * The compact detector's surprises ({@code stride > 0}): each z against an exponentially weighted
     * mean and variance (weight {@code 2 / (window + 1)}, the running mean's until that many rows), and
     * the novelty against every {@code stride}-th hidden state of the last {@code memory * stride} rows.
     * Its state is {@code 9 + 8 + smooth + max(level, smooth) + hold + (memory + 1) * hidden} floats.
     * Writes {@code [z, novelty, level, the cause of z]} into {@code zs}.
     */
    private void surprisesCompact(float[] zs, float[] state, float[] net, float xn, float err, int pos, int count) {
        final int smooth = params.smooth();
        final int seen = Math.min(count, window);
        double errNow = err;
        for (int age = 1, n = Math.min(smooth - 1, seen); age <= n; age++) {
            errNow += state[errOff + ring(pos - age, smooth)];
        }
        errNow /= Math.min(smooth, seen + 1);
        double novelty = 0;
        if (memory > 0) {
            final int written = (int) Math.min(((long) count + stride - 1) / stride, memory);
            final int latest = Math.floorDiv(pos - 1, stride); // the last write, at row latest * stride
            int first = 0;
            while (first < written && pos - latest * stride + first * stride < GAP) {
                first++; // too recent (its age in rows): always near
            }
            final double best = nearestSquared(net, state, latest, first, written);
            novelty = best == Double.MAX_VALUE ? 0 : Math.sqrt(best);
        }
        double z = 0;
        Cause cause = Cause.NONE;
        if (seen > 0 && params.error()) {
            z = statZ(errNow, state, ewOff, false, 1e-3);
            cause = Cause.ERROR;
        }
        if (seen > 0 && params.value()) {
            final double zv = statZ(xn, state, ewOff + stat, true, 1e-3);
            cause = zv > z ? Cause.VALUE : cause;
            z = Math.max(z, zv);
        }
        final int likely = params.likely();
        if (likely > 0) {
            // the error's likelihood: the mean of the last `likely` errors against that mean's own history
            double mean = err;
            for (int age = 1, n = Math.min(likely - 1, seen); age <= n; age++) {
                mean += state[likOff + ring(pos - age, likely)];
            }
            mean /= Math.min(likely, seen + 1);
            if (seen > likely) {
                final double zk = statZ(mean, state, likStat, false, 1e-3);
                cause = zk > z ? Cause.LIKELIHOOD : cause;
                z = Math.max(z, zk);
            }
            if (seen >= likely) {
                statAdd(state, likStat, mean, seen - likely);
            }
            state[likOff + ring(pos, likely)] = err;
        }
        if (memory > 0 && Math.min(count - LEARN_ROWS, window) > 10) {
            final double zn = statZ(novelty, state, ewOff + 2 * stat, false, 1e-4);
            cause = zn > z ? Cause.NOVELTY : cause;
            z = Math.max(z, zn);
            if (lasting > 0) {
                final double zl = lastingNovelty(state, novelty, pos, count - LEARN_ROWS - 10);
                cause = zl > z ? Cause.LASTING_NOVELTY : cause;
                z = Math.max(z, zl);
            }
        }
        final int level = params.level();
        double lev = 0;
        if (level > 0) {
            lev = levelMean(state, xn, pos, seen, vlen);
            if (Math.min(count - Math.max(LEARN_ROWS, level), window) > 10) {
                if (params.levelWeight() > 0f) {
                    final double zl = params.levelWeight() * statZ(lev, state, ewOff + 3 * stat, true, 1e-3);
                    cause = zl > z ? Cause.LEVEL : cause;
                    z = Math.max(z, zl);
                }
            }
        }
        // this row joins the statistics
        statAdd(state, ewOff, err, count); // the single rows' errors, as the windowed detector's ring holds
        statAdd(state, ewOff + stat, xn, count);
        if (count >= LEARN_ROWS) {
            statAdd(state, ewOff + 2 * stat, novelty, count - LEARN_ROWS);
        }
        if (level > 0 && count >= Math.max(LEARN_ROWS, level)) {
            statAdd(state, ewOff + 3 * stat, lev, count - Math.max(LEARN_ROWS, level));
        }
        state[errOff + ring(pos, smooth)] = err;
        state[valOff + ring(pos, vlen)] = xn;
        if (levMem > 0) {
            final double zm = levelNovelty(state, lev, pos, count);
            cause = zm > z ? Cause.LEVEL_NOVELTY : cause;
            z = Math.max(z, zm);
        }
        if (memory > 0 && pos % stride == 0) {
            System.arraycopy(net, 0, state, memOff + Math.floorMod(pos / stride, memory) * hidden, hidden);
        }
        zs[0] = (float) z;
        zs[1] = (float) novelty;
        zs[2] = (float) lev;
        zs[3] = cause.ordinal();
    }

    /**
     * The level's novelty, weighted, in standard deviations of its history: the distance from this row's
     * level to the nearest of the remembered ones at least {@code level} rows old (the younger ones share its
     * rows). This row's level joins them every {@code stride} rows. 0 until its history has 10 rows.
     */
    private double levelNovelty(float[] state, double lev, int pos, int count) {
        final int level = params.level();
        final long written = Math.min(((long) count + stride - 1) / stride, levMem);
        final int latest = Math.floorDiv(pos - 1, stride);
        double best = Double.MAX_VALUE;
        for (int k = 0; k < written; k++) {
            if (pos - latest * stride + k * stride >= level) {
                best = Math.min(best, Math.abs(lev - state[levMemOff + Math.floorMod(latest - k, levMem)]));
            }
        }
        double z = 0;
        if (best != Double.MAX_VALUE && count > LEARN_ROWS + level) {
            final int n = count - LEARN_ROWS - level;
            if (n > 10) {
                z = params.levelNovelty() * statZ(best, state, levStat, false, 1e-3);
            }
            statAdd(state, levStat, best, n);
        }
        if (pos % stride == 0) {
            state[levMemOff + Math.floorMod(pos / stride, levMem)] = (float) lev;
        }
        return z;
    }

    /**
     * The lasting novelty: the smallest novelty of the last {@code lasting} rows (this one's included) in
     * standard deviations of its own history; 0 until that history has 10 rows. {@code written}: the
     * novelties written so far, this one included.
     */
    private double lastingNovelty(float[] state, double novelty, int pos, int written) {
        state[lastOff + ring(pos, lasting)] = (float) novelty;
        if (written < lasting) {
            return 0;
        }
        double least = Double.MAX_VALUE;
        for (int k = 0; k < lasting; k++) {
            least = Math.min(least, state[lastOff + k]);
        }
        final double z = written > lasting + 10 ? statZ(least, state, lastStat, false, 1e-4) : 0;
        statAdd(state, lastStat, least, written - lasting);
        return z;
    }

    /** (x - mean) / sd of the statistic at {@code off} (blocks, or exponential weights), the sd at least {@code floor}. */
    private double statZ(double x, float[] s, int off, boolean abs, double floor) {
        if (block == 0) {
            return ewZ(x, s, off, abs, floor);
        }
        // [sum, sum of squares, rows of the current block, full blocks, next slot, sums (blocks), squares (blocks)]
        double sum = s[off];
        double sq = s[off + 1];
        final int full = (int) s[off + 3];
        final double n = full * (double) block + s[off + 2];
        if (n == 0) {
            return 0;
        }
        for (int i = 0; i < full; i++) {
            sum += s[off + 5 + i];
            sq += s[off + 5 + blocks + i];
        }
        final double mean = sum / n;
        final double d = x - mean;
        return (abs ? Math.abs(d) : d) / Math.max(Math.sqrt(Math.max(0, sq / n - mean * mean)), floor);
    }

    /** Adds x to the statistic at {@code off}: its block, and the ring of the last {@code window / block} blocks when full. */
    private void statAdd(float[] s, int off, double x, int n) {
        if (block == 0) {
            ewAdd(s, off, x, n);
            return;
        }
        s[off] += (float) x;
        s[off + 1] += (float) (x * x);
        if (++s[off + 2] == block) {
            final int slot = (int) s[off + 4];
            s[off + 5 + slot] = s[off];
            s[off + 5 + blocks + slot] = s[off + 1];
            s[off + 4] = (slot + 1) % blocks;
            s[off + 3] = Math.min(s[off + 3] + 1, blocks);
            s[off] = 0;
            s[off + 1] = 0;
            s[off + 2] = 0;
        }
    }

    /** (x - mean) / sd of an exponentially weighted [mean, variance] at {@code off}, the sd at least {@code floor}. */
    private static double ewZ(double x, float[] s, int off, boolean abs, double floor) {
        final double d = x - s[off];
        return (abs ? Math.abs(d) : d) / Math.max(Math.sqrt(s[off + 1]), floor);
    }

    /** Adds x to the weighted [mean, variance] at {@code off}: the running mean's weight 1 / (n + 1) until it is below 2 / (window + 1). */
    private void ewAdd(float[] s, int off, double x, int n) {
        final double a = Math.max(2.0 / (window + 1), 1.0 / (n + 1));
        final double d = x - s[off];
        s[off] = (float) (s[off] + a * d);
        s[off + 1] = (float) ((1 - a) * (s[off + 1] + a * d * d));
    }

    /** The mean of the last {@code level} values, this one ({@code xn}) included, from the values' ring of length {@code len}. */
    private double levelMean(float[] state, float xn, int pos, int seen, int len) {
        final int level = params.level();
        double lev = 0;
        for (int age = 1, n = Math.min(level - 1, seen); age <= n; age++) {
            lev += state[valOff + ring(pos - age, len)];
        }
        return (lev + xn) / Math.min(level, seen + 1);
    }

    /**
     * The smallest squared distance from h to the remembered hidden states {@code latest - k} (slots of the
     * memory ring), {@code from <= k < to}; {@code Double.MAX_VALUE} if none. Four states at a time: four
     * independent sums in flight (each summed in the order {@link #squaredDistance} sums it, so the same
     * value), where one sum at a time waits on each addition.
     *
     * <pre>// h (hidden), memory (memory x hidden) at memOff -> min_k |h - m_k|^2</pre>
     */
    private double nearestSquared(float[] h, float[] state, int latest, int from, int to) {
        double best = Double.MAX_VALUE;
        int k = from;
        for (; k + 3 < to; k += 4) {
            final int o0 = memOff + Math.floorMod(latest - k, memory) * hidden;
            final int o1 = memOff + Math.floorMod(latest - k - 1, memory) * hidden;
            final int o2 = memOff + Math.floorMod(latest - k - 2, memory) * hidden;
            final int o3 = memOff + Math.floorMod(latest - k - 3, memory) * hidden;
            double d0 = 0;
            double d1 = 0;
            double d2 = 0;
            double d3 = 0;
            for (int j = 0; j < hidden; j++) {
                final float x = h[j];
                final double t0 = x - state[o0 + j];
                final double t1 = x - state[o1 + j];
                final double t2 = x - state[o2 + j];
                final double t3 = x - state[o3 + j];
                d0 += t0 * t0;
                d1 += t1 * t1;
                d2 += t2 * t2;
                d3 += t3 * t3;
            }
            best = Math.min(best, Math.min(Math.min(d0, d1), Math.min(d2, d3)));
        }
        for (; k < to; k++) {
            best = Math.min(best, squaredDistance(h, state, memOff + Math.floorMod(latest - k, memory) * hidden));
        }
        return best;
    }

    /** |h - state[off, off + hidden)|^2. */
    private double squaredDistance(float[] h, float[] state, int off) {
        double d = 0;
        for (int k = 0; k < hidden; k++) {
            final double t = h[k] - state[off + k];
            d += t * t;
        }
        return d;
    }

    /** Slot of a position in a ring of length n (positions may be negative). */
    private static int ring(int pos, int n) {
        return Math.floorMod(pos, n);
    }

    /** Euclidean distance from h to the nearest remembered hidden state of ages GAP..memory (0 if none). */
    private double nearest(float[] state, float[] h, int pos, int count) {
        double best = Double.MAX_VALUE;
        for (int age = GAP, n = Math.min(count, memory); age <= n; age++) {
            best = Math.min(best, squaredDistance(h, state, memOff + ring(pos - age, memory) * hidden));
        }
        return best == Double.MAX_VALUE ? 0 : Math.sqrt(best);
    }

    /**
     * (x - mean) / sd of the ring's last n entries before pos, the sd at least {@code floor}; the
     * distance |x - mean| when {@code abs}.
     */
    private double zScore(double x, float[] s, int off, int pos, int n, boolean abs, double floor) {
        double sum = 0;
        for (int age = 1; age <= n; age++) {
            sum += s[off + ring(pos - age, window)];
        }
        final double mean = sum / n;
        double sq = 0;
        for (int age = 1; age <= n; age++) {
            final double d = s[off + ring(pos - age, window)] - mean;
            sq += d * d;
        }
        final double d = x - mean;
        return (abs ? Math.abs(d) : d) / Math.max(Math.sqrt(sq / n), floor);
    }
}
