package io.flinkrecurrent.anomaly;

import java.util.ArrayList;
import java.util.List;

/**
 * Where each part of one metric's detector state lives in a key's {@code float[]} state: the offsets and
 * sizes, from the parameters, the forecaster's hidden size and the size of the forecaster's own state
 * ({@code netSize}: its hidden state, or with the key's own forecaster the readout's whole state). Every
 * offset includes {@code base}, where this metric's block starts in the key's state (0 for the univariate
 * detector; a {@link VectorDetector} lays one block per metric after its key block).
 *
 * <p>The header ({@value #HEADER} floats): {@code [count, min, max, forecast, position, all-time min,
 * all-time max, quiet rows left (range), quiet rows left (alarm)]}. Then, windowed ({@code stride} 0):
 * {@code [errors, values, novelties (window each), levels (window, with a level), z (hold), hidden states
 * (memory x hidden), forecaster state (netSize)]}. Compact: {@code [the statistics of the error, the value,
 * the novelty and the level (4 x stat), the last errors (smooth), the last values (max(level, smooth)), z
 * (hold), the last errors (likely) and their mean's statistics, the remembered levels and their novelty's
 * statistics, the last novelties (lasting) and their minimum's statistics, hidden states (memory x hidden),
 * forecaster state (netSize)]}, where {@code stat} is {@link RunningStats#floats()}. A block laid out
 * without its scoring ({@code scored} false) has no z ring, and its header's two quiet counters are unused:
 * the key's one scoring keeps them.
 */
final class StateLayout implements java.io.Serializable {
    static final int COUNT = 0;
    static final int MIN = 1;
    static final int MAX = 2;
    static final int FORECAST = 3;
    static final int POS = 4;
    static final int LOW = 5;
    static final int HIGH = 6;
    static final int QUIET = 7;
    static final int SILENT = 8;
    static final int HEADER = 9;

    /** This block's start in the key's state; every offset below includes it. */
    final int base;
    final int window;
    final int hold;
    /** Hidden states remembered for the novelty (0 without it). */
    final int memory;
    final int hidden;
    final int stride;
    /** Floats of one statistic (compact only; 0 windowed). */
    final int stat;
    /** The compact detector's statistics of the error, the value, the novelty and the level (stat floats each). */
    final int ewOff;
    final int errOff;
    final int valOff;
    /** Length of the values' ring. */
    final int vlen;
    final int novOff;
    final int levOff;
    /** The z ring ({@code hold} floats; none in a block without its scoring). */
    final int zOff;
    final int zLen;
    /** The likelihood ({@code likely > 0}): a ring of the last errors, then the statistics of their mean. */
    final int likOff;
    final int likStat;
    /** The level novelty ({@code levelNovelty > 0}): every stride-th level, levMem of them, then its statistics. */
    final int levMem;
    final int levMemOff;
    final int levStat;
    /** The lasting novelty ({@code lasting > 0}): a ring of the last novelties, then the statistics of their minimum. */
    final int lasting;
    final int lastOff;
    final int lastStat;
    final int memOff;
    final int netOff;
    final int netSize;
    /** Positions wrap at this, a multiple of every ring's length. */
    final int wrap;
    /** The row count stops growing here: only "how far in" matters. */
    final int countLimit;

    /**
     * @param hidden  the forecaster's hidden size
     * @param netSize the forecaster's state as kept (hidden, or the key's own forecaster's whole state)
     * @param base    where this block starts in the key's state
     * @param scored  whether the block holds its own z ring (the univariate detector's scoring)
     */
    StateLayout(DetectorParams params, int hidden, int netSize, int base, boolean scored) {
        this.base = base;
        this.window = params.window();
        this.hold = params.hold();
        this.memory = params.novelty() ? params.memory() : 0;
        this.hidden = hidden;
        this.stride = params.stride();
        this.netSize = netSize;
        this.zLen = scored ? hold : 0;
        final int rings = base + HEADER;
        if (stride == 0) {
            this.stat = 0;
            this.ewOff = -1;
            this.vlen = window;
            this.wrap = Math.max(window, memory);
            this.errOff = rings;
            this.valOff = errOff + window;
            this.novOff = valOff + window;
            this.levOff = novOff + window;
            this.zOff = levOff + (params.level() > 0 ? window : 0);
        } else {
            this.ewOff = rings;
            this.vlen = Math.max(1, Math.max(params.level(), params.smooth()));
            this.stat = RunningStats.floats(window, params.block());
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
        this.likOff = zOff + zLen;
        this.likStat = likOff + params.likely();
        this.levMem = params.levelNovelty() > 0 ? params.memory() : 0;
        this.levMemOff = likStat + (params.likely() > 0 ? stat : 0);
        this.levStat = levMemOff + levMem;
        this.lasting = memory > 0 ? params.lasting() : 0;
        this.lastOff = levStat + (levMem > 0 ? stat : 0);
        this.lastStat = lastOff + lasting;
        this.memOff = lastStat + (lasting > 0 ? stat : 0);
        this.netOff = memOff + memory * hidden;
        this.countLimit = stride == 0 ? DetectorParams.LEARN_ROWS + window + memory
                : DetectorParams.LEARN_ROWS + window + memory * stride + params.level();
    }

    /** The first float after this block. */
    int end() {
        return netOff + netSize;
    }

    /** Floats of this block. */
    int size() {
        return end() - base;
    }

    /** A part of the block: its name, its start (base included) and its length. */
    record Region(String name, int offset, int length) {}

    /** The block's parts in the order they lie, the empty ones left out: for tests and for reading a state. */
    List<Region> regions() {
        List<Region> r = new ArrayList<>();
        String[] names = {"count", "min", "max", "forecast", "position", "all-time min", "all-time max",
                "quiet (range)", "quiet (alarm)"};
        for (int i = 0; i < HEADER; i++) {
            r.add(new Region(names[i], base + i, 1));
        }
        if (stride == 0) {
            add(r, "errors", errOff, valOff);
            add(r, "values", valOff, novOff);
            add(r, "novelties", novOff, levOff);
            add(r, "levels", levOff, zOff);
        } else {
            add(r, "statistics", ewOff, errOff);
            add(r, "errors", errOff, valOff);
            add(r, "values", valOff, zOff);
        }
        add(r, "z", zOff, likOff);
        add(r, "likelihood errors", likOff, likStat);
        add(r, "likelihood statistics", likStat, levMemOff);
        add(r, "levels remembered", levMemOff, levStat);
        add(r, "level novelty statistics", levStat, lastOff);
        add(r, "novelties (lasting)", lastOff, lastStat);
        add(r, "lasting statistics", lastStat, memOff);
        add(r, "hidden states", memOff, netOff);
        add(r, "forecaster", netOff, end());
        return r;
    }

    private static void add(List<Region> r, String name, int from, int to) {
        if (to > from) {
            r.add(new Region(name, from, to - from));
        }
    }

    /** Slot of a position in a ring of length n (positions may be negative). */
    static int ring(int pos, int n) {
        return Math.floorMod(pos, n);
    }

    private static long lcm(long a, long b) {
        return a / java.math.BigInteger.valueOf(a).gcd(java.math.BigInteger.valueOf(b)).longValue() * b;
    }
}
