package io.flinkrecurrent.runtime;

import io.flinkrecurrent.annotation.Internal;

import java.util.Arrays;

/**
 * A key's index of the events waiting in its event-time buffer, kept in one {@code long[]}: the
 * count of waiting events, then the distinct timestamps they wait under, in order:
 * {@code [n, t1, t2, ...]}. Null is an empty buffer.
 */
@Internal
public final class PendingTimes {
    private PendingTimes() {}

    /** The count of waiting events. */
    public static long count(long[] p) {
        return p == null ? 0 : p[0];
    }

    /** {@code [n, t1, ...]} with one more event at {@code ts} (its time inserted in order if new). */
    public static long[] withTime(long[] p, long ts) {
        if (p == null) {
            return new long[] {1, ts};
        }
        int i = Arrays.binarySearch(p, 1, p.length, ts);
        if (i >= 0) {
            p[0]++;
            return p;
        }
        int at = -i - 1;
        long[] q = new long[p.length + 1];
        System.arraycopy(p, 0, q, 0, at);
        q[at] = ts;
        System.arraycopy(p, at, q, at + 1, p.length - at);
        q[0]++;
        return q;
    }

    /** {@code [n, t1, ...]} without time {@code ts} and its {@code n} events; null when nothing is left. */
    public static long[] withoutTime(long[] p, long ts, long n) {
        int i = Arrays.binarySearch(p, 1, p.length, ts);
        long left = p[0] - n;
        if (left <= 0 || p.length <= 2 && i >= 0) {
            return null;
        }
        if (i < 0) {
            p[0] = left;
            return p;
        }
        long[] q = new long[p.length - 1];
        System.arraycopy(p, 0, q, 0, i);
        System.arraycopy(p, i + 1, q, i, p.length - i - 1);
        q[0] = left;
        return q;
    }
}
