package io.flinkrecurrent.flink;

import io.flinkrecurrent.cell.BatchScratch;
import io.flinkrecurrent.cell.RecurrentNetwork;
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

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The recurrent operator with cross-key micro-batching: events are collected per subtask, up to
 * {@code maxBatch} or for at most {@code maxDelayMs}, and the distinct keys of a bundle are stepped
 * together as one batched product ({@link RecurrentNetwork#stepBatch}); a key that comes twice in a
 * bundle goes into the next round, so each key's events keep their order. The bundle is flushed
 * before every checkpoint barrier, on every watermark and at the end of the input, so exactly-once
 * holds: a checkpoint never holds buffered events. Outputs equal the per-event operator's (to the bit
 * with the plain kernels, within float rounding with the Vector API's).
 *
 * <p>Built by {@link Recurrent.Builder#microBatch}; it supports every option of the per-event
 * operator: resets by event, after N steps and after an idle gap (one timer per key; a key's timer
 * first steps the bundle if it holds an event of the key), event-time ordering (events wait per key
 * until the watermark passes them plus the allowed lateness; the events a watermark releases join
 * the bundle, which is stepped before the watermark goes on), the model check and state TTL.
 * Processing time is an event's arrival time, as in the per-event operator, however long it waits
 * in the bundle.
 */
public class BatchingRecurrentOperator extends AbstractStreamOperator<RecurrentOutput>
        implements OneInputStreamOperator<KeyedEvent, RecurrentOutput>, BoundedOneInput, Triggerable<String, VoidNamespace> {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BatchingRecurrentOperator.class);
    private static final long serialVersionUID = 1L;

    private final RecurrentNetwork model;
    private final Recurrent.Options options;
    private final int maxBatch;
    private final long maxDelayMs;

    private transient ValueState<KeyState> keyState;
    private transient InternalTimerService<VoidNamespace> idleTimers;
    /** Ordering by event time: a key's events by timestamp, until the watermark releases them. */
    private transient MapState<Long, List<KeyedEvent>> buffer;
    private transient InternalTimerService<VoidNamespace> releaseTimers;
    private transient OperatorMetrics metrics;
    private transient BatchScratch scratch;
    private transient KeyedEvent[] events;
    private transient long[] times;
    /** Processing time at each event's arrival: what idle gaps in processing time count from. */
    private transient long[] arrivals;
    private transient int size;
    private transient boolean timerSet;
    // per round
    private transient KeyState[] round;
    private transient KeyedEvent[] roundEvents;
    private transient long[] roundTimes;
    private transient long[] roundArrivals;
    private transient float[][] states;
    private transient float[][] inputs;
    private transient float[][] outs;
    private transient Set<String> roundKeys;
    private transient KeyedEvent[] deferred;
    private transient long[] deferredTimes;
    private transient long[] deferredArrivals;

    BatchingRecurrentOperator(RecurrentNetwork model, Recurrent.Options options, int maxBatch, long maxDelayMs) {
        this.model = model;
        this.options = options;
        this.maxBatch = maxBatch;
        this.maxDelayMs = maxDelayMs;
    }

    @Override
    public void open() throws Exception {
        super.open();
        keyState = getRuntimeContext().getState(KeyStates.descriptor(options.ttl()));
        metrics = new OperatorMetrics(getMetricGroup());
        idleTimers = getInternalTimerService("recurrent-idle", VoidNamespaceSerializer.INSTANCE, this);
        if (options.ordered()) {
            buffer = getRuntimeContext().getMapState(KeyStates.bufferDescriptor());
            releaseTimers = getInternalTimerService("recurrent-release", VoidNamespaceSerializer.INSTANCE,
                    new Triggerable<String, VoidNamespace>() {
                        @Override
                        public void onEventTime(InternalTimer<String, VoidNamespace> timer) throws Exception {
                            release(timer);
                        }

                        @Override
                        public void onProcessingTime(InternalTimer<String, VoidNamespace> timer) {}
                    });
        }
        scratch = model.newBatchScratch(maxBatch);
        events = new KeyedEvent[maxBatch];
        times = new long[maxBatch];
        arrivals = new long[maxBatch];
        round = new KeyState[maxBatch];
        roundEvents = new KeyedEvent[maxBatch];
        roundTimes = new long[maxBatch];
        roundArrivals = new long[maxBatch];
        states = new float[maxBatch][];
        inputs = new float[maxBatch][];
        outs = new float[maxBatch][model.outputSize()];
        roundKeys = new HashSet<>(maxBatch * 2);
        deferred = new KeyedEvent[maxBatch];
        deferredTimes = new long[maxBatch];
        deferredArrivals = new long[maxBatch];
        LOG.info("recurrent operator, micro-batched ({} events or {} ms): {} (fingerprint {}), kernels: {}",
                maxBatch, maxDelayMs, model.describe(), Long.toHexString(model.fingerprint()),
                io.flinkrecurrent.cell.Kernels.VECTOR ? "Vector API" : "plain loops");
    }

    @Override
    public void processElement(StreamRecord<KeyedEvent> record) throws Exception {
        metrics.events.inc();
        KeyedEvent e = record.getValue();
        RejectedEvent bad = e.key == null || Recurrent.NULL_KEY.equals(getCurrentKey())
                ? new RejectedEvent(e.key, RejectedEvent.Reason.NULL_KEY, "the event has no key", e, null)
                : KeyStates.invalid(e, model);
        if (bad != null) {
            metrics.rejected(bad.reason);
            output.collect(Recurrent.REJECTED, new StreamRecord<>(bad, record.getTimestamp()));
            return;
        }
        long ts = record.hasTimestamp() && record.getTimestamp() != Long.MIN_VALUE ? record.getTimestamp() : e.timestamp;
        if (options.ordered()) {
            hold(e, ts, record);
            return;
        }
        enqueue(e, ts);
    }

    /** Ordering by event time: the event waits in the key's buffer for the watermark, or is rejected. */
    private void hold(KeyedEvent e, long ts, StreamRecord<KeyedEvent> record) throws Exception {
        RejectedEvent bad = KeyStates.unorderable(e, ts, keyState.value(), options);
        if (bad != null) {
            metrics.rejected(bad.reason);
            output.collect(Recurrent.REJECTED, new StreamRecord<>(bad, record.getTimestamp()));
            return;
        }
        releaseTimers.registerEventTimeTimer(VoidNamespace.INSTANCE, KeyStates.hold(buffer, e, ts, options));
    }

    /** The watermark passed a key's events of one timestamp (plus the lateness): into the bundle, in order. */
    private void release(InternalTimer<String, VoidNamespace> timer) throws Exception {
        long ts = timer.getTimestamp() - options.allowedLatenessMs();
        List<KeyedEvent> pending = buffer.get(ts);
        if (pending == null) {
            return;
        }
        buffer.remove(ts);
        for (KeyedEvent e : pending) {
            enqueue(e, ts);
            setCurrentKey(timer.getKey()); // a full bundle was stepped: the timer's key again
        }
    }

    /** Into the bundle; stepped when it is full, else within the delay. */
    private void enqueue(KeyedEvent e, long ts) throws Exception {
        events[size] = e;
        times[size] = ts;
        arrivals[size] = getProcessingTimeService().getCurrentProcessingTime();
        size++;
        if (size == maxBatch) {
            flush();
        } else if (!timerSet) {
            ProcessingTimeService pts = getProcessingTimeService();
            pts.registerTimer(pts.getCurrentProcessingTime() + maxDelayMs, t -> flushOnTimer());
            timerSet = true;
        }
    }

    private void flushOnTimer() throws Exception {
        timerSet = false;
        flush();
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        flush();
        if (!options.ordered()) {
            super.processWatermark(mark);
            return;
        }
        // fire the timers here rather than in super, so that what they release is stepped before the
        // watermark goes on: downstream, no output of this operator is behind a watermark it passed
        if (timeServiceManager != null) {
            timeServiceManager.advanceWatermark(mark);
        }
        flush();
        output.emitWatermark(mark);
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        flush(); // the barrier follows: nothing buffered is left out of the checkpoint
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    @Override
    public void endInput() throws Exception {
        flush();
    }

    @Override
    public void finish() throws Exception {
        flush();
        super.finish();
    }

    /** Steps every buffered event: rounds of distinct keys, in order. */
    private void flush() throws Exception {
        int pending = size;
        KeyedEvent[] queue = events;
        long[] queueTimes = times;
        long[] queueArrivals = arrivals;
        while (pending > 0) {
            int n = 0;
            int rest = 0;
            roundKeys.clear();
            for (int i = 0; i < pending; i++) {
                if (roundKeys.add(queue[i].key)) {
                    roundEvents[n] = queue[i];
                    roundArrivals[n] = queueArrivals[i];
                    roundTimes[n++] = queueTimes[i];
                } else {
                    deferred[rest] = queue[i];
                    deferredArrivals[rest] = queueArrivals[i];
                    deferredTimes[rest++] = queueTimes[i];
                }
            }
            step(n);
            // the deferred events become the queue (events[] is free now)
            System.arraycopy(deferred, 0, events, 0, rest);
            System.arraycopy(deferredTimes, 0, times, 0, rest);
            System.arraycopy(deferredArrivals, 0, arrivals, 0, rest);
            queue = events;
            queueTimes = times;
            queueArrivals = arrivals;
            pending = rest;
        }
        java.util.Arrays.fill(events, 0, size, null);
        size = 0;
    }

    private void step(int n) throws Exception {
        for (int i = 0; i < n; i++) {
            KeyedEvent e = roundEvents[i];
            setCurrentKey(e.key);
            KeyState ks = KeyStates.prepare(keyState.value(), e, model.fingerprint(), model.stateSize(), options,
                    roundTimes[i], roundArrivals[i], metrics);
            round[i] = ks;
            states[i] = ks.state;
            inputs[i] = e.input;
        }
        long t0 = System.nanoTime();
        model.stepBatch(outs, states, inputs, n, scratch);
        metrics.stepNanos = (System.nanoTime() - t0) / Math.max(1, n);
        for (int i = 0; i < n; i++) {
            KeyedEvent e = roundEvents[i];
            KeyState ks = round[i];
            setCurrentKey(e.key);
            long seq = KeyStates.advance(ks, roundTimes[i], roundArrivals[i]);
            register(KeyStates.idleTimerToRegister(ks, options));
            keyState.update(ks);
            metrics.outputs.inc();
            RecurrentOutput o = new RecurrentOutput(e.key, seq, roundTimes[i], e.id, outs[i].clone(),
                    options.emitState() ? ks.state.clone() : null);
            output.collect(roundTimes[i] == KeyedEvent.NO_TIMESTAMP ? new StreamRecord<>(o) : new StreamRecord<>(o, roundTimes[i]));
            round[i] = null;
            roundEvents[i] = null;
            states[i] = null;
            inputs[i] = null;
        }
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
    public void onEventTime(InternalTimer<String, VoidNamespace> timer) throws Exception {
        onIdleTimer(timer);
    }

    @Override
    public void onProcessingTime(InternalTimer<String, VoidNamespace> timer) throws Exception {
        onIdleTimer(timer);
    }

    private void onIdleTimer(InternalTimer<String, VoidNamespace> timer) throws Exception {
        for (int i = 0; i < size; i++) {
            if (events[i].key.equals(timer.getKey())) {
                flush(); // the key's buffered events come first, as they would have one by one
                setCurrentKey(timer.getKey());
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
}
