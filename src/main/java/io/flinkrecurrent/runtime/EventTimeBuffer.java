package io.flinkrecurrent.runtime;

import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.flink.RecurrentOptions;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.base.array.LongPrimitiveArraySerializer;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.state.KeyGroupRange;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.internal.InternalListState;
import org.apache.flink.streaming.api.operators.InternalTimerService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Event-time ordering: each key's events wait in a list state whose namespace is their timestamp
 * (appending is constant time on every backend), indexed by {@link PendingTimes}, until the
 * watermark passes the timestamp plus the allowed lateness; then a timer releases them, in arrival
 * order, to the operator ({@link Release}). Bounded per key and per subtask; the subtask's count is
 * kept per key group ({@link KeyGroupCounts}), exact through checkpoints and rescales, and shown as the
 * gauge {@code bufferedEvents}, beside {@code watermarkLagMs}. Events that wait with no watermark
 * coming are warned about once.
 *
 * <p>State and timer names (in every savepoint, never renamed): {@value #PENDING},
 * {@value #PENDING_TIMES}, the timer service {@value #RELEASE_TIMERS}, the operator union state
 * {@value #COUNTS}.
 */
@Internal
public final class EventTimeBuffer<K, T> {
    /** The operator's log: a user finds every message of the operator under one name. */
    private static final Logger LOG = LoggerFactory.getLogger(RecurrentOperator.class);
    public static final String PENDING = "recurrent-pending";
    public static final String PENDING_TIMES = "recurrent-pending-times";
    public static final String RELEASE_TIMERS = "recurrent-release";
    public static final String COUNTS = "recurrent-buffered-by-key-group";

    /** Where the released events go: stepped or bundled by the operator (the key is the current key). */
    @FunctionalInterface
    public interface Release<K, T> {
        void apply(T event, K key, long ts) throws Exception;
    }

    private final RecurrentOptions options;
    private final int maxParallelism;
    private final KeyGroupCounts counts;
    private ListState<long[]> countsState;
    private InternalListState<K, Long, T> pending;
    private ValueState<long[]> pendingTimes;
    private InternalTimerService<VoidNamespace> timers;
    private Release<K, T> release;
    private volatile long buffered;
    private volatile long watermark = Long.MIN_VALUE;
    private volatile long newestEventTime = Long.MIN_VALUE;
    private long lastWatermarkAt;
    private boolean warnedNoWatermark;

    public EventTimeBuffer(RecurrentOptions options, int maxParallelism, KeyGroupRange range) {
        this.options = options;
        this.maxParallelism = maxParallelism;
        this.counts = new KeyGroupCounts(range);
    }

    /** The list state's descriptor (its namespace is the timestamp). */
    public static <T> ListStateDescriptor<T> pendingDescriptor(TypeInformation<T> eventType) {
        return new ListStateDescriptor<>(PENDING, eventType);
    }

    public static ValueStateDescriptor<long[]> pendingTimesDescriptor() {
        return new ValueStateDescriptor<>(PENDING_TIMES, LongPrimitiveArraySerializer.INSTANCE);
    }

    public static ListStateDescriptor<long[]> countsDescriptor() {
        return new ListStateDescriptor<>(COUNTS, LongPrimitiveArraySerializer.INSTANCE);
    }

    /** The counts of a restored subtask (the union state's pairs of its own range). */
    public void initializeState(ListState<long[]> countsState, boolean restored) throws Exception {
        this.countsState = countsState;
        if (restored) {
            counts.restore(countsState.get());
        }
        buffered = counts.total();
    }

    public void snapshotState() throws Exception {
        countsState.update(counts.snapshot());
    }

    public void open(InternalListState<K, Long, T> pending, ValueState<long[]> pendingTimes,
                     InternalTimerService<VoidNamespace> timers, Release<K, T> release, MetricGroup metrics, long now) {
        this.pending = pending;
        this.pendingTimes = pendingTimes;
        this.timers = timers;
        this.release = release;
        this.lastWatermarkAt = now;
        metrics.gauge("bufferedEvents", (Gauge<Long>) () -> buffered);
        metrics.gauge("watermarkLagMs", (Gauge<Long>) () -> {
            long w = watermark;
            long t = newestEventTime;
            return w == Long.MIN_VALUE || t == Long.MIN_VALUE ? 0L : Math.max(0L, t - w);
        });
    }

    /** The current key's index of waiting events ({@link PendingTimes}), or null. */
    public long[] index() throws Exception {
        return pendingTimes.value();
    }

    /** Events waiting in this subtask. */
    public long buffered() {
        return buffered;
    }

    /** The current key's event waits for the watermark ({@code index} is the key's, from {@link #index()}). */
    public void hold(T event, K key, long ts, long[] index, long now) throws Exception {
        pending.setCurrentNamespace(ts);
        pending.add(event);
        pendingTimes.update(PendingTimes.withTime(index, ts));
        count(key, 1);
        if (ts > newestEventTime) {
            newestEventTime = ts;
        }
        timers.registerEventTimeTimer(VoidNamespace.INSTANCE, ts + options.allowedLatenessMs());
        warnIfNoWatermark(now);
    }

    /** The release timer of the current key fired at {@code timerTime}: its events of that time go. */
    public void onTimer(K key, long timerTime) throws Exception {
        release(key, timerTime - options.allowedLatenessMs());
    }

    /** The key's waiting events of timestamp {@code ts}, in arrival order, to the operator. */
    private void release(K key, long ts) throws Exception {
        pending.setCurrentNamespace(ts);
        Iterable<T> waiting = pending.get();
        if (waiting == null) {
            return;
        }
        pending.clear();
        long n = 0;
        for (T e : waiting) {
            n++;
            release.apply(e, key, ts);
        }
        long[] p = pendingTimes.value();
        if (p != null) {
            long[] rest = PendingTimes.withoutTime(p, ts, n);
            if (rest == null) {
                pendingTimes.clear();
            } else {
                pendingTimes.update(rest);
            }
        }
        count(key, -n);
    }

    /** Every waiting event of the current key, in timestamp order, now (a full buffer under {@code RELEASE}). */
    public void releaseAll(K key, long[] index) throws Exception {
        if (index == null) {
            return;
        }
        for (int i = 1; i < index.length; i++) {
            timers.deleteEventTimeTimer(VoidNamespace.INSTANCE, index[i] + options.allowedLatenessMs());
            release(key, index[i]);
        }
        pendingTimes.clear();
    }

    /**
     * The current key's waiting events that the watermark {@code mark} releases, released now, in
     * timestamp order (their timers then find nothing): for a timer of another kind that fires on the
     * same watermark and must see them applied first.
     */
    public void releaseDue(K key, long mark) throws Exception {
        long[] index = pendingTimes.value();
        while (index != null && index[1] + options.allowedLatenessMs() <= mark) {
            timers.deleteEventTimeTimer(VoidNamespace.INSTANCE, index[1] + options.allowedLatenessMs());
            release(key, index[1]);
            index = pendingTimes.value();
        }
    }

    /** A watermark reached the operator (before its timers fire). */
    public void onWatermark(long mark, long now) {
        if (mark > watermark) {
            watermark = mark;
            lastWatermarkAt = now;
        }
    }

    private void count(Object key, long delta) {
        counts.add(KeyGroupRangeAssignment.assignToKeyGroup(key, maxParallelism), delta);
        buffered = counts.total();
    }

    private void warnIfNoWatermark(long now) {
        if (warnedNoWatermark || now - lastWatermarkAt <= options.noWatermarkWarningMs()) {
            return;
        }
        warnedNoWatermark = true;
        LOG.warn("{} events are waiting to be applied in event-time order, and no watermark has advanced for {} s: "
                + "does the source assign watermarks (WatermarkStrategy)? Events beyond {} per key or {} per subtask "
                + "are handled as {} (see the metrics bufferedEvents and rejected.buffer_full)",
                buffered, (now - lastWatermarkAt) / 1000, options.maxBufferedPerKey(), options.maxBufferedPerSubtask(),
                options.bufferFullPolicy());
    }
}
