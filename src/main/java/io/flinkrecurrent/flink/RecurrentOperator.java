package io.flinkrecurrent.flink;

import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.cell.BatchedModel;
import io.flinkrecurrent.cell.Kernels;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.Scratch;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
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

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The recurrent operator, the one core behind every form of the API: keeps each key's state in Flink
 * managed state and applies the model's step to every event of that key. Validation, rejection,
 * resets, idle timers, event-time ordering, output timestamps and metrics are here once; the two
 * modes differ only in when the step runs:
 * <ul>
 *   <li><b>per event</b> ({@code microBatch() == 1}): at once, one {@link RecurrentModel#step};</li>
 *   <li><b>micro-batched</b>: events are collected per subtask, up to {@code microBatch()} or for at
 *       most {@code microBatchDelayMs()}, and the distinct keys of the bundle are stepped together
 *       ({@link BatchedModel#stepBatch} when the model has it). A key that comes twice goes into the
 *       next round, so each key's events keep their order. The bundle is flushed before every
 *       checkpoint barrier, on every watermark and at the end of the input, so exactly-once holds.</li>
 * </ul>
 *
 * <p>Timestamps, the same in both modes: the step's event time is the record's timestamp, else the
 * binding's own ({@link RecurrentBuilder#eventTime}); an output carries it as its record timestamp
 * (none when there is none), and with event-time ordering the release time, event time plus the
 * allowed lateness, so that no output is behind a watermark the operator has forwarded. A rejected
 * event keeps the timestamp of the record it came in.
 *
 * <p>Built by {@link RecurrentBuilder} and {@link Recurrent.Builder}; see {@link RecurrentOptions}.
 */
@Internal
public final class RecurrentOperator<K, T, R, X> extends AbstractStreamOperator<R>
        implements OneInputStreamOperator<T, R>, BoundedOneInput, Triggerable<K, VoidNamespace> {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RecurrentOperator.class);
    private static final long serialVersionUID = 1L;
    /** Per event, every 64th step is timed for the step-time gauge (System.nanoTime costs about 20 ns a call). */
    private static final int TIMING_MASK = 63;

    private final RecurrentModel model;
    private final RecurrentOptions options;
    private final EventBinding<T, K, R, X> fn;
    private final int capacity;

    private transient ValueState<KeyState> keyState;
    /** Ordering by event time: a key's events by timestamp, until the watermark releases them. */
    private transient MapState<Long, List<T>> buffer;
    private transient InternalTimerService<VoidNamespace> idleTimers;
    private transient InternalTimerService<VoidNamespace> releaseTimers;
    private transient OperatorMetrics metrics;
    private transient Scratch scratch;
    private transient Object batchScratch;
    private transient Ctx<K> ctx;
    private transient StreamRecord<R> outRecord;
    private transient StreamRecord<X> rejectRecord;
    private transient long fingerprint;
    private transient int stateSize;
    private transient long timedSteps;
    /** Ordering: the buffer an arriving event's input is checked in before it waits. */
    private transient float[] probe;

    // the bundle: events, their keys, event times, arrival times (processing time) and inputs
    private transient Object[] events;
    private transient Object[] keys;
    private transient long[] times;
    private transient long[] arrivals;
    private transient float[][] inputs;
    private transient int size;
    private transient boolean flushTimerSet;
    // one round of distinct keys
    private transient int[] round;
    private transient KeyState[] roundStates;
    private transient float[][] states;
    private transient float[][] roundInputs;
    private transient float[][] outs;
    private transient boolean[] fromZero;
    private transient Set<Object> roundKeys;
    private transient int[] deferred;

    public RecurrentOperator(RecurrentModel model, RecurrentOptions options, EventBinding<T, K, R, X> fn) {
        this.model = model;
        this.options = options;
        this.fn = fn;
        this.capacity = Math.max(1, options.microBatch());
    }

    private boolean batching() {
        return capacity > 1;
    }

    @Override
    public void open() throws Exception {
        super.open();
        keyState = getRuntimeContext().getState(KeyStates.descriptor(options.ttl()));
        metrics = new OperatorMetrics(getMetricGroup());
        idleTimers = getInternalTimerService("recurrent-idle", VoidNamespaceSerializer.INSTANCE, this);
        if (options.ordered()) {
            buffer = getRuntimeContext().getMapState(KeyStates.bufferDescriptor(fn.eventType()));
            releaseTimers = getInternalTimerService("recurrent-release", VoidNamespaceSerializer.INSTANCE,
                    new Triggerable<K, VoidNamespace>() {
                        @Override
                        public void onEventTime(InternalTimer<K, VoidNamespace> timer) throws Exception {
                            release(timer);
                        }

                        @Override
                        public void onProcessingTime(InternalTimer<K, VoidNamespace> timer) {}
                    });
            probe = new float[model.inputSize()];
        }
        fingerprint = model.fingerprint();
        stateSize = model.stateSize();
        scratch = model.newScratch();
        ctx = new Ctx<>();
        outRecord = new StreamRecord<>(null);
        rejectRecord = new StreamRecord<>(null);
        events = new Object[capacity];
        keys = new Object[capacity];
        times = new long[capacity];
        arrivals = new long[capacity];
        inputs = new float[capacity][model.inputSize()];
        outs = new float[capacity][model.outputSize()];
        round = new int[capacity];
        roundStates = new KeyState[capacity];
        states = new float[capacity][];
        roundInputs = new float[capacity][];
        fromZero = new boolean[capacity];
        deferred = new int[capacity];
        if (batching()) {
            roundKeys = new HashSet<>(capacity * 2);
            if (model instanceof BatchedModel<?> b) {
                batchScratch = b.newBatchScratch(capacity);
            }
        }
        LOG.info("recurrent operator, {}: {} (fingerprint {}), {} floats of state per key, {}, kernels: {}",
                batching() ? "micro-batched (" + capacity + " events or " + options.microBatchDelayMs() + " ms"
                        + (batchScratch != null ? ", batched product)" : ", stepped one by one)") : "per event",
                model.describe(), Long.toHexString(fingerprint), stateSize, options,
                Kernels.VECTOR ? "Vector API" : "plain loops");
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
        for (int i = 0; i < x.length; i++) {
            if (!Float.isFinite(x[i])) {
                reject(e, key, RejectedEvent.Reason.NON_FINITE, "input[" + i + "] is " + x[i], record);
                return false;
            }
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

    /** Ordering by event time: the event waits in the key's buffer for the watermark, or is rejected. */
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
        releaseTimers.registerEventTimeTimer(VoidNamespace.INSTANCE, KeyStates.hold(buffer, e, ts, options));
    }

    /** The watermark passed a key's events of one timestamp (plus the lateness): applied in arrival order. */
    private void release(InternalTimer<K, VoidNamespace> timer) throws Exception {
        long ts = timer.getTimestamp() - options.allowedLatenessMs();
        List<T> pending = buffer.get(ts);
        if (pending == null) {
            return;
        }
        buffer.remove(ts);
        K key = timer.getKey();
        for (T e : pending) {
            if (fill(inputs[size], e, key, null)) {
                submit(e, key, ts);
                setCurrentKey(key); // a full bundle may have been stepped: the timer's key again
            }
        }
    }

    // ---------------------------------------------------------------- per event

    /** Per-event mode: the current key's state stepped with one event, and its output emitted. */
    private void stepNow(T e, Object key, long ts, long now, float[] x) throws Exception {
        KeyState ks = prepare(e, ts, now);
        boolean zero = ks.sinceReset == 0;
        float[] y = outs[0];
        if ((++timedSteps & TIMING_MASK) == 0) {
            long t0 = System.nanoTime();
            model.step(y, ks.state, x, scratch);
            metrics.stepNanos = System.nanoTime() - t0;
        } else {
            model.step(y, ks.state, x, scratch);
        }
        finish(e, key, ks, zero, y, ts, now);
    }

    /** The key's state ready for the step: created, checked against the model, reset as the options say. */
    private KeyState prepare(T e, long ts, long now) throws Exception {
        boolean resetFlag = fn.reset() != null && fn.reset().resetBefore(e);
        return KeyStates.prepare(keyState.value(), resetFlag, fingerprint, stateSize, options, ts, now, metrics);
    }

    /** After the step: counters, the idle timer, the state written back, the output emitted. */
    @SuppressWarnings("unchecked")
    private void finish(T e, Object key, KeyState ks, boolean zero, float[] y, long ts, long now) throws Exception {
        long seq = KeyStates.advance(ks, ts, now);
        register(KeyStates.idleTimerToRegister(ks, options));
        keyState.update(ks);
        metrics.outputs.inc();
        ctx.key = (K) key;
        ctx.seq = seq;
        ctx.timestamp = ts;
        ctx.state = ks.state;
        ctx.fromZero = zero;
        R r = fn.emitter().emit(e, y, ctx);
        if (r == null) {
            return;
        }
        outRecord.replace(r);
        if (ts == KeyedEvent.NO_TIMESTAMP) {
            outRecord.eraseTimestamp();
        } else {
            outRecord.setTimestamp(options.ordered() ? ts + options.allowedLatenessMs() : ts);
        }
        output.collect(outRecord);
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
     * Steps every buffered event: rounds of distinct keys, in arrival order. Each round takes the
     * first event of every key still waiting; the rest move up, so a bundle of b events over k keys
     * takes as many rounds as its most frequent key has events.
     */
    private void flush() throws Exception {
        int pending = size;
        while (pending > 0) {
            int n = 0;
            int rest = 0;
            roundKeys.clear();
            for (int i = 0; i < pending; i++) {
                if (roundKeys.add(keys[i])) {
                    round[n++] = i;
                } else {
                    deferred[rest++] = i;
                }
            }
            stepRound(n);
            // the deferred events move to the front, in order; their input buffers swap with the freed ones
            for (int j = 0; j < rest; j++) {
                int from = deferred[j];
                if (from != j) {
                    events[j] = events[from];
                    keys[j] = keys[from];
                    times[j] = times[from];
                    arrivals[j] = arrivals[from];
                    float[] t = inputs[j];
                    inputs[j] = inputs[from];
                    inputs[from] = t;
                }
            }
            pending = rest;
        }
        Arrays.fill(events, 0, size, null);
        Arrays.fill(keys, 0, size, null);
        size = 0;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void stepRound(int n) throws Exception {
        for (int j = 0; j < n; j++) {
            int i = round[j];
            setCurrentKey(keys[i]);
            KeyState ks = prepare((T) events[i], times[i], arrivals[i]);
            roundStates[j] = ks;
            fromZero[j] = ks.sinceReset == 0;
            states[j] = ks.state;
            roundInputs[j] = inputs[i];
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
            finish((T) events[i], keys[i], roundStates[j], fromZero[j], outs[j], times[i], arrivals[i]);
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
            flush(); // the barrier follows: nothing buffered is left out of the checkpoint
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

        @Override public K key() { return key; }
        @Override public long seq() { return seq; }
        @Override public long timestamp() { return timestamp; }
        @Override public float[] state() { return state; }
        @Override public boolean fromZero() { return fromZero; }
    }
}
