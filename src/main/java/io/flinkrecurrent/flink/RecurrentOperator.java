package io.flinkrecurrent.flink;

import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.cell.BatchedModel;
import io.flinkrecurrent.cell.Kernels;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.Scratch;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeutils.base.LongSerializer;
import org.apache.flink.api.common.typeutils.base.array.LongPrimitiveArraySerializer;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.runtime.state.internal.InternalListState;
import org.apache.flink.streaming.api.TimeDomain;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.InternalTimer;
import org.apache.flink.streaming.api.operators.InternalTimerService;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.Triggerable;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.ProcessingTimeService;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The recurrent operator, the one core behind every form of the API: keeps each key's state in Flink
 * managed state and applies the model's step to every event of that key. Validation, rejection,
 * resets, idle timers, event-time ordering, output timestamps and metrics are here once; the two
 * modes differ only in when the step runs:
 * <ul>
 *   <li><b>per event</b> ({@code microBatch() == 1}): at once, one {@link RecurrentModel#step};</li>
 *   <li><b>micro-batched</b>: events are collected per subtask, up to {@code microBatch()} or for at
 *       most {@code microBatchDelayMs()}, and the distinct keys of the bundle are stepped together
 *       ({@link BatchedModel#stepBatch} when the model has it): the bundle's k-th round holds the k-th
 *       event of every key, so each key's events keep their order, and sorting a bundle into rounds is
 *       linear in its size however its keys are spread. The bundle is flushed before every checkpoint
 *       barrier, on every watermark and at the end of the input, so exactly-once holds.</li>
 * </ul>
 *
 * <p>Timestamps, the same in both modes: the step's event time is the record's timestamp, else the
 * binding's own ({@link RecurrentBuilder#eventTime}); an output carries it as its record timestamp
 * (none when there is none), and with event-time ordering the release time, event time plus the
 * allowed lateness, so that no output is behind a watermark the operator has forwarded. A rejected
 * event keeps the timestamp of the record it came in.
 *
 * <p>Event-time ordering buffers each key's events per timestamp in a list state whose namespace is
 * the timestamp (appending is constant time on every backend); the buffer is bounded per key and per
 * subtask ({@link RecurrentOptions#maxBufferedPerKey()}), its size a gauge, and events that wait with
 * no watermark coming are warned about once. A step that makes the state or the output non-finite is
 * rejected ({@link RecurrentOptions#nonFinitePolicy()}).
 *
 * <p>Built by {@link RecurrentBuilder} and {@link Recurrent.Builder}; see {@link RecurrentOptions}.
 */
@Internal
public class RecurrentOperator<K, T, R, X> extends AbstractStreamOperator<R>
        implements OneInputStreamOperator<T, R>, BoundedOneInput, Triggerable<K, VoidNamespace> {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RecurrentOperator.class);
    private static final long serialVersionUID = 1L;
    /** Per event, every 64th step is timed for the step-time gauge (System.nanoTime costs about 20 ns a call). */
    private static final int TIMING_MASK = 63;

    /** The job's own model; null for an operator that starts from its updates. */
    private final RecurrentModel initialModel;
    private final int inputSize;
    private final String initialVersion;
    private final boolean swappable;
    private final RecurrentOptions options;
    private final EventBinding<T, K, R, X> fn;
    private final int capacity;

    /** The live model: the job's own, or the latest accepted update's ({@link #chain}). */
    private transient RecurrentModel model;
    private transient String version;

    // model updates (swappable only): the chain in broadcast state, the shadow's per-key state
    private transient ModelChain chain;
    private transient org.apache.flink.api.common.state.BroadcastState<Long, SwapRecord> swapState;
    private transient ValueState<KeyState> shadowState;
    private transient java.util.function.Supplier<KeyState> shadowReader;
    private transient RecurrentModel shadowModel;
    private transient Scratch shadowScratch;
    private transient float[] shadowOut;
    private transient StreamRecord<ShadowOutput> shadowRecord;
    private transient StreamRecord<RejectedUpdate> refusedRecord;
    /** The key's last inputs since its last reset ({@link InputRing}), with {@link RecurrentOptions#keepInputs()}. */
    private transient ValueState<float[]> recentInputs;
    private transient float[][] rings;
    private transient boolean[] promoted;
    /** Before the first model (an operator without one): each key's events waiting for it, and their count. */
    private transient ListState<T> awaiting;
    private transient ValueState<Integer> awaitingCount;
    private transient volatile long awaitingTotal;
    private static final String AWAITING = "recurrent-awaiting";

    private transient ValueState<KeyState> keyState;
    private transient InternalTimerService<VoidNamespace> idleTimers;
    private transient OperatorMetrics metrics;
    private transient Scratch scratch;
    private transient Object batchScratch;
    private transient Ctx<K> ctx;
    private transient StreamRecord<R> outRecord;
    private transient StreamRecord<X> rejectRecord;
    private transient long fingerprint;
    private transient int stateSize;
    private transient long timedSteps;

    // ordering by event time
    /** A key's events of one timestamp (the namespace), in arrival order, until the watermark releases them. */
    private transient InternalListState<K, Long, T> pending;
    /** A key's buffered event count, then its distinct buffered timestamps in order: {@code [n, t1, t2, ...]}. */
    private transient ValueState<long[]> pendingTimes;
    private transient InternalTimerService<VoidNamespace> releaseTimers;
    /** The buffer an arriving event's input is checked in before it waits. */
    private transient float[] probe;
    /** Buffered events per key group of this subtask (index from the range's start); their sum is {@link #buffered}. */
    private transient long[] bufferedByGroup;
    private transient int firstGroup;
    private transient int maxParallelism;
    private transient ListState<long[]> bufferedCounts;
    private transient volatile long buffered;
    private transient volatile long watermark;
    private transient volatile long newestEventTime;
    private transient long lastWatermarkAt;
    private transient boolean warnedNoWatermark;

    // the bundle: events, their keys, event times, arrival times (processing time) and inputs
    private transient Object[] events;
    private transient Object[] keys;
    private transient long[] times;
    private transient long[] arrivals;
    private transient float[][] inputs;
    private transient int size;
    private transient boolean flushTimerSet;
    // sorting a bundle into rounds: each event's round, the events by round, per-key counters reused
    private transient int[] roundOf;
    private transient int[] byRound;
    private transient int[] roundStart;
    private transient Map<Object, int[]> occurrences;
    private transient int[][] counters;
    // one round of distinct keys
    private transient int[] round;
    private transient KeyState[] roundStates;
    private transient float[][] states;
    private transient float[][] roundInputs;
    private transient float[][] outs;
    private transient float[][] before;
    private transient boolean[] fromZero;

    public RecurrentOperator(RecurrentModel model, RecurrentOptions options, EventBinding<T, K, R, X> fn) {
        this(model, null, false, options, fn);
    }

    /**
     * @param version the name the model's outputs carry (default: its fingerprint in hex)
     * @param swappable whether the model can change while the job runs ({@link RecurrentSwapOperator})
     */
    RecurrentOperator(RecurrentModel model, String version, boolean swappable, RecurrentOptions options,
                      EventBinding<T, K, R, X> fn) {
        this(model, model.inputSize(), version, swappable, options, fn);
    }

    /** @param model the job's model, or null (swappable only) to start from the updates, with {@code inputSize} inputs */
    RecurrentOperator(RecurrentModel model, int inputSize, String version, boolean swappable, RecurrentOptions options,
                      EventBinding<T, K, R, X> fn) {
        if (model == null && !swappable) {
            throw new IllegalArgumentException("an operator without a model needs model updates");
        }
        this.initialModel = model;
        this.inputSize = inputSize;
        this.initialVersion = version != null || model == null ? version : Long.toHexString(model.fingerprint());
        this.swappable = swappable;
        this.options = options;
        this.fn = fn;
        this.capacity = Math.max(1, options.microBatch());
    }

    private boolean batching() {
        return capacity > 1;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        model = initialModel;
        version = initialVersion;
        if (swappable) {
            chain = new ModelChain(initialModel, initialVersion, options.keepInputs(), inputSize);
            swapState = context.getOperatorStateStore().getBroadcastState(SWAP_STATE);
            if (context.isRestored()) {
                List<SwapRecord> records = new ArrayList<>();
                for (Map.Entry<Long, SwapRecord> e : swapState.entries()) {
                    records.add(e.getValue());
                }
                chain.restore(records);
            }
            model = chain.model();
            version = chain.version();
        }
        if (!options.ordered()) {
            return;
        }
        maxParallelism = getRuntimeContext().getTaskInfo().getMaxNumberOfParallelSubtasks();
        var range = KeyGroupRangeAssignment.computeKeyGroupRangeForOperatorIndex(maxParallelism,
                getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks(),
                getRuntimeContext().getTaskInfo().getIndexOfThisSubtask());
        firstGroup = range.getStartKeyGroup();
        bufferedByGroup = new long[range.getNumberOfKeyGroups()];
        // every subtask's counts by key group, to all; each keeps its own range's (exact after a rescale)
        bufferedCounts = context.getOperatorStateStore().getUnionListState(
                new ListStateDescriptor<>("recurrent-buffered-by-key-group", LongPrimitiveArraySerializer.INSTANCE));
        long total = 0;
        if (context.isRestored()) {
            for (long[] groupCount : bufferedCounts.get()) {
                int g = (int) groupCount[0];
                if (range.contains(g)) {
                    bufferedByGroup[g - firstGroup] += groupCount[1];
                    total += groupCount[1];
                }
            }
        }
        buffered = total;
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        if (bufferedCounts != null) {
            List<long[]> counts = new ArrayList<>();
            for (int i = 0; i < bufferedByGroup.length; i++) {
                if (bufferedByGroup[i] != 0) {
                    counts.add(new long[] {firstGroup + i, bufferedByGroup[i]});
                }
            }
            bufferedCounts.update(counts);
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public void open() throws Exception {
        super.open();
        keyState = getRuntimeContext().getState(KeyStates.descriptor(options.ttl()));
        metrics = new OperatorMetrics(getMetricGroup());
        if (options.keepInputs() > 0) {
            recentInputs = getRuntimeContext().getState(new ValueStateDescriptor<>("recurrent-recent-inputs",
                    org.apache.flink.api.common.typeutils.base.array.FloatPrimitiveArraySerializer.INSTANCE));
        }
        if (swappable) {
            shadowState = getRuntimeContext().getState(KeyStates.descriptor("recurrent-shadow-state", options.ttl()));
            shadowReader = () -> {
                try {
                    return shadowState.value();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            };
            shadowRecord = new StreamRecord<>(null);
            refusedRecord = new StreamRecord<>(null);
            metrics.swaps(() -> chain.generation());
        }
        idleTimers = getInternalTimerService("recurrent-idle", VoidNamespaceSerializer.INSTANCE, this);
        watermark = Long.MIN_VALUE;
        newestEventTime = Long.MIN_VALUE;
        if (options.ordered()) {
            pending = (InternalListState<K, Long, T>) getOrCreateKeyedState(LongSerializer.INSTANCE,
                    new ListStateDescriptor<>("recurrent-pending", fn.eventType()));
            pendingTimes = getRuntimeContext().getState(
                    new ValueStateDescriptor<>("recurrent-pending-times", LongPrimitiveArraySerializer.INSTANCE));
            releaseTimers = getInternalTimerService("recurrent-release", VoidNamespaceSerializer.INSTANCE,
                    new Triggerable<K, VoidNamespace>() {
                        @Override
                        public void onEventTime(InternalTimer<K, VoidNamespace> timer) throws Exception {
                            release(timer.getKey(), timer.getTimestamp() - options.allowedLatenessMs());
                        }

                        @Override
                        public void onProcessingTime(InternalTimer<K, VoidNamespace> timer) {}
                    });
            probe = new float[inputSize];
            lastWatermarkAt = getProcessingTimeService().getCurrentProcessingTime();
            metrics.group().gauge("bufferedEvents", (Gauge<Long>) () -> buffered);
            metrics.group().gauge("watermarkLagMs", (Gauge<Long>) () -> {
                long w = watermark;
                long t = newestEventTime;
                return w == Long.MIN_VALUE || t == Long.MIN_VALUE ? 0L : Math.max(0L, t - w);
            });
        }
        ctx = new Ctx<>();
        outRecord = new StreamRecord<>(null);
        rejectRecord = new StreamRecord<>(null);
        events = new Object[capacity];
        keys = new Object[capacity];
        times = new long[capacity];
        arrivals = new long[capacity];
        inputs = new float[capacity][inputSize];
        rings = new float[capacity][];
        promoted = new boolean[capacity];
        if (model != null) {
            install();
        }
        if (initialModel == null) {
            awaiting = getRuntimeContext().getListState(new ListStateDescriptor<>(AWAITING, fn.eventType()));
            awaitingCount = getRuntimeContext().getState(new ValueStateDescriptor<>("recurrent-awaiting-count",
                    org.apache.flink.api.common.typeutils.base.IntSerializer.INSTANCE));
            metrics.group().gauge("awaitingModel", (Gauge<Long>) () -> awaitingTotal);
        }
        round = new int[capacity];
        roundStates = new KeyState[capacity];
        states = new float[capacity][];
        roundInputs = new float[capacity][];
        fromZero = new boolean[capacity];
        if (batching()) {
            roundOf = new int[capacity];
            byRound = new int[capacity];
            roundStart = new int[capacity + 1];
            occurrences = new HashMap<>(capacity * 2);
            counters = new int[capacity][1];
        }
        LOG.info("recurrent operator, {}: {} (fingerprint {}), {} floats of state per key, {}, kernels: {}",
                batching() ? "micro-batched (" + capacity + " events or " + options.microBatchDelayMs() + " ms"
                        + (batchScratch != null ? ", batched product)" : ", stepped one by one)") : "per event",
                model == null ? "no model yet (waiting for its updates)" : model.describe(), Long.toHexString(fingerprint),
                stateSize, options,
                Kernels.VECTOR ? "Vector API" : "plain loops");
    }

    /** The live model's (and the shadow's) buffers, for the model in {@link #model}: at open and after each swap. */
    private void install() {
        fingerprint = swappable ? chain.tag() : model.fingerprint();
        stateSize = model.stateSize();
        scratch = model.newScratch();
        outs = new float[capacity][model.outputSize()];
        before = new float[capacity][stateSize];
        batchScratch = batching() && model instanceof BatchedModel<?> b ? b.newBatchScratch(capacity) : null;
        ModelChain.Gen s = swappable ? chain.shadow() : null;
        shadowModel = s == null ? null : s.model();
        if (shadowModel != null) {
            shadowScratch = shadowModel.newScratch();
            shadowOut = new float[shadowModel.outputSize()];
        }
    }

    /** Where the operator keeps its chain of models: the same in every subtask, so it is broadcast state. */
    static final org.apache.flink.api.common.state.MapStateDescriptor<Long, SwapRecord> SWAP_STATE =
            new org.apache.flink.api.common.state.MapStateDescriptor<>("recurrent-models",
                    org.apache.flink.api.common.typeinfo.Types.LONG,
                    org.apache.flink.api.common.typeinfo.TypeInformation.of(SwapRecord.class));

    /**
     * A model update from the broadcast input: every event before it in this subtask is stepped with
     * the old model (the bundle is flushed), every event after it with the new one; the keys follow
     * lazily, at their next event. A refused update goes to {@link Recurrent#UPDATE_REJECTED} and the
     * subtask keeps its model.
     */
    void applyUpdate(ModelUpdate u) throws Exception {
        if (batching()) {
            flush();
        }
        boolean first = model == null;
        String refused = chain.apply(u);
        if (ModelChain.DUPLICATE.equals(refused)) {
            LOG.info("model update {} is in force already; nothing to do", u);
            metrics.updateReceived();
            return;
        }
        int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        if (refused != null) {
            LOG.warn("model update {} refused by subtask {}: {}", u, subtask, refused);
            metrics.updateRefused();
            refusedRecord.replace(new RejectedUpdate(u, refused, subtask));
            output.collect(Recurrent.UPDATE_REJECTED, refusedRecord);
            metrics.updateReceived();
            return;
        }
        swapState.clear();
        for (SwapRecord r : chain.records()) {
            swapState.put(r.generation, r);
        }
        model = chain.model();
        version = chain.version();
        if (model != null) {
            install();
        }
        LOG.info("model update {} applied by subtask {}: live {} (generation {}), {}{}", u, subtask, version,
                chain.generation(), model == null ? "no model yet" : model.describe(),
                chain.shadow() != null ? ", shadow " + chain.shadow().version() : "");
        if (first && model != null) {
            releaseAwaiting();
        }
        metrics.updateAccepted();
        metrics.updateReceived();
    }
    /** Events waiting for the watermark in this subtask (the gauge {@code bufferedEvents}). */
    long bufferedEvents() {
        return buffered;
    }

    // ---------------------------------------------------------------- arrival

    @Override
    public void processElement(StreamRecord<T> record) throws Exception {
        metrics.events.inc();
        T e = record.getValue();
        Object key = getCurrentKey();
        if (key == null || Recurrent.NULL_KEY.equals(key)) {
            reject(e, null, RejectedEvent.Reason.NULL_KEY, "the event has no key", record);
            return;
        }
        long ts = record.hasTimestamp() && record.getTimestamp() != Long.MIN_VALUE ? record.getTimestamp()
                : fn.timestamp() != null ? fn.timestamp().timestamp(e) : KeyedEvent.NO_TIMESTAMP;
        if (options.ordered()) {
            hold(e, key, ts, record);
            return;
        }
        if (fill(inputs[size], e, key, record)) {
            submit(e, key, ts);
        }
    }

    /** An event whose input is in {@code inputs[size]}: stepped now (per event) or into the bundle. */
    private void submit(T e, Object key, long ts) throws Exception {
        if (model == null) {
            awaitModel(e, key);
            return;
        }
        long now = getProcessingTimeService().getCurrentProcessingTime();
        if (!batching()) {
            stepNow(e, key, ts, now, inputs[0]);
        } else {
            enqueue(e, key, ts, now);
        }
    }

    /** The event's input into {@code x}, checked; false (and the event rejected) when it cannot be used. */
    private boolean fill(float[] x, T e, Object key, StreamRecord<T> record) throws Exception {
        try {
            fn.input().fill(x, e);
        } catch (InputRejected r) {
            reject(e, key, r.reason(), r.getMessage(), record);
            return false;
        }
        if (!Kernels.allFinite(x)) {
            for (int i = 0; i < x.length; i++) {
                if (!Float.isFinite(x[i])) {
                    reject(e, key, RejectedEvent.Reason.NON_FINITE, "input[" + i + "] is " + x[i], record);
                    break;
                }
            }
            return false;
        }
        return true;
    }

    /** To the side output, with the timestamp of the record it came in (none when released from the buffer). */
    private void reject(T e, Object key, RejectedEvent.Reason reason, String message, StreamRecord<T> record) {
        metrics.rejected(reason);
        rejectRecord.replace(fn.rejecter().reject(e, key, reason, message));
        if (record != null && record.hasTimestamp()) {
            rejectRecord.setTimestamp(record.getTimestamp());
        } else {
            rejectRecord.eraseTimestamp();
        }
        output.collect(fn.rejectedTag(), rejectRecord);
    }

    // ---------------------------------------------------------------- ordering by event time

    /** The event waits in the key's buffer for the watermark; or is rejected, or released, as the limits say. */
    private void hold(T e, Object key, long ts, StreamRecord<T> record) throws Exception {
        if (!fill(probe, e, key, record)) {
            return;
        }
        KeyState ks = keyState.value();
        RejectedEvent.Reason bad = KeyStates.unorderable(ts, ks);
        if (bad != null) {
            reject(e, key, bad, KeyStates.unorderableMessage(bad, ts, ks, options), record);
            return;
        }
        long[] p = pendingTimes.value();
        long keyCount = p == null ? 0 : p[0];
        if (keyCount >= options.maxBufferedPerKey() || buffered >= options.maxBufferedPerSubtask()) {
            String why = keyCount >= options.maxBufferedPerKey()
                    ? "the key has " + keyCount + " events waiting for the watermark, its limit"
                    : "the subtask has " + buffered + " events waiting for the watermark, its limit";
            if (options.bufferFullPolicy() == RecurrentOptions.BufferFullPolicy.REJECT) {
                reject(e, key, RejectedEvent.Reason.BUFFER_FULL, why + " (policy REJECT)", record);
                return;
            }
            releaseAll(key, p);
            if (batching()) {
                flush(); // stepped now, so that the key's latest event time is known to the events after it
                setCurrentKey(key);
            }
            ks = keyState.value();
            if (ks != null && ks.lastEventTime != KeyState.NONE && ts < ks.lastEventTime) {
                reject(e, key, RejectedEvent.Reason.LATE, "event time " + ts + " is before " + ks.lastEventTime
                        + ", applied when the full buffer was released (" + why + ")", record);
                return;
            }
            if (fill(inputs[size], e, key, record)) {
                submit(e, key, ts);
                if (batching()) {
                    flush();
                    setCurrentKey(key);
                }
            }
            return;
        }
        pending.setCurrentNamespace(ts);
        pending.add(e);
        pendingTimes.update(withTime(p, ts));
        count(key, 1);
        if (ts > newestEventTime) {
            newestEventTime = ts;
        }
        releaseTimers.registerEventTimeTimer(VoidNamespace.INSTANCE, ts + options.allowedLatenessMs());
        warnIfNoWatermark();
    }

    /** The key's buffered events of timestamp {@code ts}, in arrival order, stepped (per event) or bundled. */
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
            if (fill(inputs[size], e, key, null)) {
                submit(e, key, ts);
                setCurrentKey(key); // a full bundle may have been stepped: the timer's key again
            }
        }
        long[] p = pendingTimes.value();
        if (p != null) {
            long[] rest = withoutTime(p, ts, n);
            if (rest == null) {
                pendingTimes.clear();
            } else {
                pendingTimes.update(rest);
            }
        }
        count(key, -n);
    }

    /** A full buffer under {@code RELEASE}: every buffered event of the key, in timestamp order, now. */
    private void releaseAll(Object key, long[] p) throws Exception {
        if (p == null) {
            return;
        }
        @SuppressWarnings("unchecked") K k = (K) key;
        for (int i = 1; i < p.length; i++) {
            releaseTimers.deleteEventTimeTimer(VoidNamespace.INSTANCE, p[i] + options.allowedLatenessMs());
            release(k, p[i]);
            setCurrentKey(key);
        }
        pendingTimes.clear();
    }

    /** {@code [n, t1, ...]} with one more event at {@code ts} (its time inserted in order if new). */
    private static long[] withTime(long[] p, long ts) {
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
    private static long[] withoutTime(long[] p, long ts, long n) {
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

    /** The subtask's buffered events, by key group (for the snapshot) and in all (the limit and the gauge). */
    private void count(Object key, long delta) {
        int g = KeyGroupRangeAssignment.assignToKeyGroup(key, maxParallelism);
        bufferedByGroup[g - firstGroup] += delta;
        buffered += delta;
    }

    private void warnIfNoWatermark() {
        if (warnedNoWatermark) {
            return;
        }
        long now = getProcessingTimeService().getCurrentProcessingTime();
        if (now - lastWatermarkAt > options.noWatermarkWarningMs()) {
            warnedNoWatermark = true;
            LOG.warn("{} events are waiting to be applied in event-time order, and no watermark has advanced for {} s: "
                    + "does the source assign watermarks (WatermarkStrategy)? Events beyond {} per key or {} per subtask "
                    + "are handled as {} (see the metrics bufferedEvents and rejected.buffer_full)",
                    buffered, (now - lastWatermarkAt) / 1000, options.maxBufferedPerKey(), options.maxBufferedPerSubtask(),
                    options.bufferFullPolicy());
        }
    }

    // ---------------------------------------------------------------- per event

    /** Per-event mode: the current key's state stepped with one event, and its output emitted. */
    private void stepNow(T e, Object key, long ts, long now, float[] x) throws Exception {
        KeyState ks = prepare(e, ts, now, 0);
        boolean zero = ks.sinceReset == 0;
        float[] y = outs[0];
        System.arraycopy(ks.state, 0, before[0], 0, stateSize);
        if ((++timedSteps & TIMING_MASK) == 0) {
            long t0 = System.nanoTime();
            model.step(y, ks.state, x, scratch);
            metrics.stepNanos = System.nanoTime() - t0;
        } else {
            model.step(y, ks.state, x, scratch);
        }
        if (finite(y, ks, before[0], e, key, ts)) {
            long seq = finish(e, key, ks, zero, y, ts, now);
            if (recentInputs != null || shadowModel != null || promoted[0]) {
                afterStep(e, key, seq, ts, x, y, zero, 0);
            }
        }
    }

    // ---------------------------------------------------------------- before the first model

    /** Before the first model: the event waits in its key's state (bounded), or is rejected, as the options say. */
    private void awaitModel(T e, Object key) throws Exception {
        if (options.noModelPolicy() == RecurrentOptions.NoModelPolicy.REJECT) {
            reject(e, key, RejectedEvent.Reason.NO_MODEL, "no model yet: the operator starts from its model updates, "
                    + "and none has arrived (policy REJECT)", null);
            return;
        }
        Integer n = awaitingCount.value();
        int count = n == null ? 0 : n;
        if (count >= options.maxBufferedPerKey() || awaitingTotal >= options.maxBufferedPerSubtask()) {
            reject(e, key, RejectedEvent.Reason.BUFFER_FULL, "no model yet, and " + (count >= options.maxBufferedPerKey()
                    ? "the key has " + count + " events waiting for one, its limit"
                    : "the subtask has " + awaitingTotal + " events waiting for one, its limit"), null);
            return;
        }
        awaiting.add(e);
        awaitingCount.update(count + 1);
        awaitingTotal++;
    }

    /**
     * The first model is here: every key's waiting events, in their arrival order, stepped with it (the
     * keys found through the state backend once; their events leave the state as they are applied).
     */
    private void releaseAwaiting() throws Exception {
        List<Object> waitingKeys;
        try (java.util.stream.Stream<Object> ks = getKeyedStateBackend().getKeys(AWAITING, VoidNamespace.INSTANCE)) {
            waitingKeys = ks.toList();
        }
        for (Object key : waitingKeys) {
            setCurrentKey(key);
            Iterable<T> events = awaiting.get();
            List<T> list = new ArrayList<>();
            if (events != null) {
                events.forEach(list::add);
            }
            awaiting.clear();
            awaitingCount.clear();
            for (T e : list) {
                long ts = fn.timestamp() != null ? fn.timestamp().timestamp(e) : KeyedEvent.NO_TIMESTAMP;
                if (fill(inputs[size], e, key, null)) {
                    submit(e, key, ts);
                    setCurrentKey(key);
                }
            }
        }
        awaitingTotal = 0;
        if (batching()) {
            flush();
        }
    }

    /** The key's state ready for the step: created, checked against the model, reset as the options say. */
    private KeyState prepare(T e, long ts, long now, int slot) throws Exception {
        boolean resetFlag = fn.reset() != null && fn.reset().resetBefore(e);
        KeyState ks = keyState.value();
        float[] ring = null;
        if (recentInputs != null) {
            ring = recentInputs.value();
            rings[slot] = ring;
        }
        promoted[slot] = false;
        if (swappable && ks != null && ks.fingerprint != fingerprint) {
            ModelChain.Change c = chain.bringUpToDate(ks, ring, shadowReader);
            metrics.keyChanged(c);
            promoted[slot] = c == ModelChain.Change.PROMOTED;
        }
        return KeyStates.prepare(ks, resetFlag, fingerprint, stateSize, options, ts, now, metrics);
    }

    /**
     * After a step: the input into the key's ring of recent inputs (emptied first when the step started
     * from zeros), and the shadow model stepped on the same input.
     */
    private void afterStep(T e, Object key, long seq, long ts, float[] x, float[] y, boolean zero, int slot) throws Exception {
        if (recentInputs != null) {
            float[] ring = rings[slot];
            if (ring == null) {
                ring = InputRing.create(options.keepInputs(), x.length);
            } else if (zero) {
                InputRing.clear(ring);
            }
            if (shadowModel != null) {
                stepShadow(e, key, seq, ts, x, y, zero, ring);
            }
            InputRing.push(ring, x);
            recentInputs.update(ring);
            rings[slot] = null;
        } else if (shadowModel != null) {
            stepShadow(e, key, seq, ts, x, y, zero, null);
        }
        if (promoted[slot]) {
            shadowState.clear(); // the key's live state is the shadow's now
        }
    }

    /**
     * The shadow's step for the event, on its own per-key state: started at the key's first event under
     * the shadow (zeros, or a warm-up over {@code ring}, the inputs before this one), reset with the live
     * state's resets, its output beside the live one on {@link Recurrent#SHADOW}.
     */
    private void stepShadow(T e, Object key, long seq, long ts, float[] x, float[] y, boolean zero, float[] ring)
            throws Exception {
        ModelChain.Gen g = chain.shadow();
        KeyState s = shadowState.value();
        if (s == null || s.fingerprint != g.tag()) {
            s = new KeyState();
            chain.startShadow(s, zero ? null : ring);
        } else if (zero) {
            java.util.Arrays.fill(s.state, 0f);
        }
        shadowModel.step(shadowOut, s.state, x, shadowScratch);
        if (!Kernels.allFinite(s.state) || !Kernels.allFinite(shadowOut)) {
            java.util.Arrays.fill(s.state, 0f); // the shadow restarts; the live output is not affected
        }
        s.seq = seq + 1;
        shadowState.update(s);
        shadowRecord.replace(new ShadowOutput(String.valueOf(key), seq, ts, version, y.clone(), g.version(), shadowOut.clone()));
        if (ts == KeyedEvent.NO_TIMESTAMP) {
            shadowRecord.eraseTimestamp();
        } else {
            shadowRecord.setTimestamp(options.ordered() ? ts + options.allowedLatenessMs() : ts);
        }
        output.collect(Recurrent.SHADOW, shadowRecord);
    }

    /**
     * Whether the step left the state and the output finite; if not, the key's state is put back as it
     * was before the step (or zeroed, as the options say), and the event rejected.
     */
    private boolean finite(float[] y, KeyState ks, float[] old, T e, Object key, long ts) throws Exception {
        if (Kernels.allFinite(ks.state) && Kernels.allFinite(y)) {
            return true;
        }
        if (options.nonFinitePolicy() == RecurrentOptions.NonFinitePolicy.RESET) {
            KeyStates.reset(ks, ResetReason.NON_FINITE, metrics);
        } else {
            System.arraycopy(old, 0, ks.state, 0, stateSize);
        }
        keyState.update(ks);
        reject(e, key, RejectedEvent.Reason.NON_FINITE_STATE, "the step made the key's state or the output NaN or infinite"
                + " (an overflow); the event is not applied and the key " + (options.nonFinitePolicy()
                        == RecurrentOptions.NonFinitePolicy.RESET ? "restarts from zeros" : "keeps its state from before it"), null);
        return false;
    }

    /** After the step: counters, the idle timer, the state written back, the output emitted. */
    @SuppressWarnings("unchecked")
    private long finish(T e, Object key, KeyState ks, boolean zero, float[] y, long ts, long now) throws Exception {
        long seq = KeyStates.advance(ks, ts, now);
        register(KeyStates.idleTimerToRegister(ks, options));
        keyState.update(ks);
        metrics.outputs.inc();
        ctx.key = (K) key;
        ctx.seq = seq;
        ctx.timestamp = ts;
        ctx.state = ks.state;
        ctx.fromZero = zero;
        ctx.version = version;
        R r = fn.emitter().emit(e, y, ctx);
        if (r == null) {
            return seq;
        }
        outRecord.replace(r);
        if (ts == KeyedEvent.NO_TIMESTAMP) {
            outRecord.eraseTimestamp();
        } else {
            outRecord.setTimestamp(options.ordered() ? ts + options.allowedLatenessMs() : ts);
        }
        output.collect(outRecord);
        return seq;
    }

    // ---------------------------------------------------------------- micro-batched

    /** Into the bundle (its input is in {@code inputs[size]} already); stepped when full, else within the delay. */
    private void enqueue(T e, Object key, long ts, long now) throws Exception {
        events[size] = e;
        keys[size] = key;
        times[size] = ts;
        arrivals[size] = now;
        size++;
        if (size == capacity) {
            flush();
        } else if (!flushTimerSet) {
            ProcessingTimeService pts = getProcessingTimeService();
            pts.registerTimer(pts.getCurrentProcessingTime() + options.microBatchDelayMs(), t -> flushOnTimer());
            flushTimerSet = true;
        }
    }

    private void flushOnTimer() throws Exception {
        flushTimerSet = false;
        flush();
    }

    /**
     * Steps every bundled event: its k-th round holds the k-th event of each key, in arrival order. A
     * counting sort puts the bundle into rounds in one pass, whatever the mix of keys (one key with every
     * event gives as many rounds of one; distinct keys one round of all).
     */
    private void flush() throws Exception {
        int n = size;
        if (n == 0) {
            return;
        }
        occurrences.clear();
        int rounds = 0;
        for (int i = 0; i < n; i++) {
            int[] c = occurrences.get(keys[i]);
            if (c == null) {
                c = counters[occurrences.size()];
                c[0] = 0;
                occurrences.put(keys[i], c);
            }
            roundOf[i] = c[0]++;
            rounds = Math.max(rounds, c[0]);
        }
        Arrays.fill(roundStart, 0, rounds + 1, 0);
        for (int i = 0; i < n; i++) {
            roundStart[roundOf[i] + 1]++;
        }
        for (int r = 0; r < rounds; r++) {
            roundStart[r + 1] += roundStart[r];
        }
        for (int i = 0; i < n; i++) {
            byRound[roundStart[roundOf[i]]++] = i; // stable: arrival order within a round
        }
        int from = 0;
        for (int r = 0; r < rounds; r++) {
            int to = roundStart[r]; // after the placement pass, roundStart[r] is where round r ends
            int m = 0;
            for (int j = from; j < to; j++) {
                round[m++] = byRound[j];
            }
            stepRound(m);
            from = to;
        }
        occurrences.clear();
        Arrays.fill(events, 0, n, null);
        Arrays.fill(keys, 0, n, null);
        size = 0;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void stepRound(int n) throws Exception {
        for (int j = 0; j < n; j++) {
            int i = round[j];
            setCurrentKey(keys[i]);
            KeyState ks = prepare((T) events[i], times[i], arrivals[i], j);
            roundStates[j] = ks;
            fromZero[j] = ks.sinceReset == 0;
            states[j] = ks.state;
            roundInputs[j] = inputs[i];
            System.arraycopy(ks.state, 0, before[j], 0, stateSize);
        }
        long t0 = System.nanoTime();
        if (batchScratch != null) {
            ((BatchedModel) model).stepBatch(outs, states, roundInputs, n, batchScratch);
        } else {
            for (int j = 0; j < n; j++) {
                model.step(outs[j], states[j], roundInputs[j], scratch);
            }
        }
        metrics.stepNanos = (System.nanoTime() - t0) / Math.max(1, n);
        for (int j = 0; j < n; j++) {
            int i = round[j];
            setCurrentKey(keys[i]);
            if (finite(outs[j], roundStates[j], before[j], (T) events[i], keys[i], times[i])) {
                long seq = finish((T) events[i], keys[i], roundStates[j], fromZero[j], outs[j], times[i], arrivals[i]);
                if (recentInputs != null || shadowModel != null || promoted[j]) {
                    afterStep((T) events[i], keys[i], seq, times[i], inputs[i], outs[j], fromZero[j], j);
                }
            }
            roundStates[j] = null;
            states[j] = null;
            roundInputs[j] = null;
        }
    }

    // ---------------------------------------------------------------- time and checkpoints

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        if (batching()) {
            flush();
        }
        if (mark.getTimestamp() > watermark) {
            watermark = mark.getTimestamp();
            lastWatermarkAt = getProcessingTimeService().getCurrentProcessingTime();
        }
        // fire the timers here rather than in super, so that what they release is stepped before the
        // watermark goes on: downstream, no output of this operator is behind a watermark it passed
        if (timeServiceManager != null) {
            timeServiceManager.advanceWatermark(mark);
        }
        if (batching()) {
            flush();
        }
        output.emitWatermark(mark);
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        if (batching()) {
            flush(); // the barrier follows: nothing bundled is left out of the checkpoint
        }
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    @Override
    public void endInput() throws Exception {
        if (batching()) {
            flush();
        }
    }

    @Override
    public void finish() throws Exception {
        if (batching()) {
            flush();
        }
        super.finish();
    }

    private void register(long deadline) {
        if (deadline == KeyState.NONE) {
            return;
        }
        if (options.idleDomain() == TimeDomain.EVENT_TIME) {
            idleTimers.registerEventTimeTimer(VoidNamespace.INSTANCE, deadline);
        } else {
            idleTimers.registerProcessingTimeTimer(VoidNamespace.INSTANCE, deadline);
        }
    }

    @Override
    public void onEventTime(InternalTimer<K, VoidNamespace> timer) throws Exception {
        onIdleTimer(timer);
    }

    @Override
    public void onProcessingTime(InternalTimer<K, VoidNamespace> timer) throws Exception {
        onIdleTimer(timer);
    }

    private void onIdleTimer(InternalTimer<K, VoidNamespace> timer) throws Exception {
        K key = timer.getKey();
        for (int i = 0; i < size; i++) {
            if (keys[i].equals(key)) {
                flush(); // the key's bundled events come first, as they would have one by one
                setCurrentKey(key);
                break;
            }
        }
        KeyState ks = keyState.value();
        if (ks == null || ks.idleTimer != timer.getTimestamp()) {
            return;
        }
        register(KeyStates.onIdleTimer(ks, timer.getTimestamp(), options, metrics));
        keyState.update(ks);
    }

    /** The step's context, one per operator, refilled for every output. */
    private static final class Ctx<K> implements StepContext<K> {
        K key;
        long seq;
        long timestamp;
        float[] state;
        boolean fromZero;
        String version;

        @Override public K key() { return key; }
        @Override public String modelVersion() { return version; }
        @Override public long seq() { return seq; }
        @Override public long timestamp() { return timestamp; }
        @Override public float[] state() { return state; }
        @Override public boolean fromZero() { return fromZero; }
    }
}
