package io.flinkrecurrent.runtime;

import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.cell.Kernels;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.flink.InputRejected;
import io.flinkrecurrent.flink.KeyState;
import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.flink.RecurrentOptions;
import io.flinkrecurrent.flink.RecurrentOptions.BufferFullPolicy;
import io.flinkrecurrent.flink.RejectedEvent.Reason;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.typeutils.base.LongSerializer;
import org.apache.flink.api.common.TaskInfo;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The recurrent operator: keeps each key's state ({@link KeyState}, the keyed state {@value #STATE}) in
 * Flink managed state and steps it with every event of that key. A thin core over named parts, as
 * Flink's {@code WindowOperator} hands its policies to its assigner, trigger and function:
 * <ul>
 *   <li>{@link Admission}: what an arriving event must pass (a key, finite values; ordered: a time, not late, room);</li>
 *   <li>{@link EventTimeBuffer}: events waiting for the watermark ({@link RecurrentOptions#ordered()});</li>
 *   <li>{@link StepSink}: when the step runs, at once ({@link PerEventSink}) or micro-batched across keys
 *       ({@link MicroBatchSink}), flushed before every barrier, on watermarks and at the end of input;</li>
 *   <li>{@link KeyStepper}: the per-key step shared with the SQL function (prepare, step, {@link StepGuard}, advance);</li>
 *   <li>{@link KeptInputs}: each key's last inputs for warm-ups, in a bounded cache written to state at checkpoints;</li>
 *   <li>the core itself: the key's state read and written once per event,
 *       the idle timers ({@value #IDLE_TIMERS}), the output and its timestamp, the rejections.</li>
 * </ul>
 * {@link RecurrentSwapOperator} adds the model's generations, the shadow model and the events waiting
 * for a first model.
 *
 * <p>Timestamps, the same in both modes: the step's event time is the record's timestamp, else the
 * binding's own; an output carries it (none when there is none), and with event-time ordering the
 * release time, event time plus the allowed lateness, so that no output is behind a watermark the
 * operator has forwarded. A rejected event keeps the timestamp of the record it came in.
 */
@Internal
public class RecurrentOperator<K, T, R, X> extends AbstractStreamOperator<R>
        implements OneInputStreamOperator<T, R>, BoundedOneInput, Triggerable<K, VoidNamespace>, StepTarget<T> {
    private static final Logger LOG = LoggerFactory.getLogger(RecurrentOperator.class);
    private static final long serialVersionUID = 1L;
    /** The keyed state of each key's {@link KeyState} (in every savepoint, never renamed). */
    public static final String STATE = "recurrent-state";
    /** The timer service of the idle resets (in every savepoint, never renamed). */
    public static final String IDLE_TIMERS = "recurrent-idle";
    /** The key a {@code KeyedEvent} without key is routed under (Flink cannot key by null); such events are rejected. */
    public static final String NULL_KEY = "\u0000<null key>";
    /** Where 0.1 kept a key's last inputs beside its state: read once per key, then in {@value KeptInputs#STATE}. */
    public static final String LEGACY_RECENT_INPUTS = KeptInputs.LEGACY_STATE;

    /** The job's own model; null for an operator that starts from its updates. */
    protected final RecurrentModel initialModel;
    protected final int inputSize;
    protected final String initialVersion;
    protected final RecurrentOptions options;
    protected final EventBinding<T, K, R, X> binding;

    protected transient OperatorMetrics metrics;
    protected transient KeyStepper stepper;
    protected transient StepSink<T> sink;
    /** The live model (null until the first, for an operator that starts from its updates) and its version. */
    protected transient RecurrentModel model;
    protected transient String version;
    private transient ValueState<KeyState> keyState;
    /** The keys' kept inputs, written behind ({@link RecurrentOptions#keepInputs()}); null when none are kept. */
    private transient KeptInputs kept;
    private transient Admission admission;
    private transient EventTimeBuffer<K, T> buffer;
    private transient InternalTimerService<VoidNamespace> idleTimers;
    /** The buffer an arriving event's input is checked in before it waits. */
    private transient float[] probe;
    private transient OutputContext<K> context;
    private transient StreamRecord<R> outRecord;
    private transient StreamRecord<X> rejectRecord;

    public RecurrentOperator(RecurrentModel model, String version, RecurrentOptions options, EventBinding<T, K, R, X> binding) {
        this(model, inputSize(model), version, options, binding);
    }

    /** The model's inputs; a fixed-model operator needs a model. */
    static int inputSize(RecurrentModel model) {
        if (model == null) {
            throw new IllegalArgumentException("an operator without a model needs model updates (RecurrentSwapOperator)");
        }
        return model.inputSize();
    }

    /** @param model the job's model, or null (swappable only) to start from the updates, with {@code inputSize} inputs */
    protected RecurrentOperator(RecurrentModel model, int inputSize, String version, RecurrentOptions options,
                                EventBinding<T, K, R, X> binding) {
        this.initialModel = model;
        this.inputSize = inputSize;
        this.initialVersion = version != null || model == null ? version : Long.toHexString(model.fingerprint());
        this.options = options;
        this.binding = binding;
    }

    // ---------------------------------------------------------------- lifecycle

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        model = initialModel;
        version = initialVersion;
        if (options.ordered()) {
            TaskInfo task = getRuntimeContext().getTaskInfo();
            int maxParallelism = task.getMaxNumberOfParallelSubtasks();
            buffer = new EventTimeBuffer<>(options, maxParallelism, KeyGroupRangeAssignment.computeKeyGroupRangeForOperatorIndex(
                    maxParallelism, task.getNumberOfParallelSubtasks(), task.getIndexOfThisSubtask()));
            // every subtask's counts by key group, to all; each keeps its own range's (exact after a rescale)
            buffer.initializeState(context.getOperatorStateStore().getUnionListState(EventTimeBuffer.countsDescriptor()),
                    context.isRestored());
        }
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        if (buffer != null) {
            buffer.snapshotState();
        }
        if (kept != null) {
            kept.flush(); // before the keyed state is taken: the checkpoint holds every key's ring as of its barrier
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public void open() throws Exception {
        super.open();
        metrics = new OperatorMetrics(getMetricGroup());
        admission = new Admission(Admission.Form.DATASTREAM);
        stepper = new KeyStepper(options, metrics, Admission.Form.DATASTREAM);
        keyState = getRuntimeContext().getState(KeyStates.descriptor(STATE, options.ttl()));
        if (options.keepInputs() > 0) {
            kept = new KeptInputs(options.keepInputs(), inputSize, options.keptInputsCacheBytes(),
                    getRuntimeContext().getState(KeptInputs.descriptor(options.ttl())),
                    getRuntimeContext().getState(KeptInputs.legacyDescriptor()), this, metrics.group());
        }
        idleTimers = getInternalTimerService(IDLE_TIMERS, VoidNamespaceSerializer.INSTANCE, this);
        if (buffer != null) {
            InternalTimerService<VoidNamespace> releaseTimers = getInternalTimerService(EventTimeBuffer.RELEASE_TIMERS,
                    VoidNamespaceSerializer.INSTANCE, new Triggerable<K, VoidNamespace>() {
                        @Override
                        public void onEventTime(InternalTimer<K, VoidNamespace> timer) throws Exception {
                            buffer.onTimer(timer.getKey(), timer.getTimestamp());
                        }

                        @Override
                        public void onProcessingTime(InternalTimer<K, VoidNamespace> timer) {}
                    });
            buffer.open((InternalListState<K, Long, T>) getOrCreateKeyedState(LongSerializer.INSTANCE,
                            EventTimeBuffer.pendingDescriptor(binding.eventType())),
                    getRuntimeContext().getState(EventTimeBuffer.pendingTimesDescriptor()), releaseTimers,
                    this::released, metrics.group(), getProcessingTimeService().getCurrentProcessingTime());
            probe = new float[inputSize];
        }
        sink = options.microBatch() > 1
                ? new MicroBatchSink<>(this, stepper, this, getProcessingTimeService(), options.microBatch(),
                        options.microBatchDelayMs(), inputSize)
                : new PerEventSink<>(this, stepper, inputSize);
        context = new OutputContext<>();
        outRecord = new StreamRecord<>(null);
        rejectRecord = new StreamRecord<>(null);
        if (model != null) {
            install(model, version, tag());
        }
        LOG.info("recurrent operator, {}: {} (fingerprint {}), {} floats of state per key, {}, kernels: {}",
                sink instanceof MicroBatchSink<?> b ? "micro-batched (" + options.microBatch() + " events or "
                        + options.microBatchDelayMs() + " ms" + (b.batchedProduct() ? ", batched product)" : ", stepped one by one)")
                        : "per event",
                model == null ? "no model yet (waiting for its updates)" : model.describe(),
                model == null ? "-" : Long.toHexString(stepper.fingerprint()), model == null ? 0 : model.stateSize(), options,
                Kernels.VECTOR ? "Vector API" : "plain loops");
    }

    /** The tag the live model's states carry: its fingerprint here, the generation's in the swappable form. */
    protected long tag() {
        return model.fingerprint();
    }

    /** The model to step with from now on (the sink flushed first): the stepper's and the sink's buffers. */
    protected final void install(RecurrentModel m, String v, long tag) {
        model = m;
        version = v;
        stepper.use(m, tag);
        sink.install(m);
    }

    // ---------------------------------------------------------------- arrival

    @Override
    public void processElement(StreamRecord<T> record) throws Exception {
        metrics.events.inc();
        T e = record.getValue();
        Object key = getCurrentKey();
        if (key == null || NULL_KEY.equals(key)) {
            reject(e, null, Reason.NULL_KEY, admission.noKey(), record);
            return;
        }
        long ts = record.hasTimestamp() && record.getTimestamp() != Long.MIN_VALUE ? record.getTimestamp()
                : binding.timestamp() != null ? binding.timestamp().timestamp(e) : KeyedEvent.NO_TIMESTAMP;
        if (buffer != null) {
            hold(e, key, ts, record);
        } else if (fill(sink.nextInput(), e, key, record)) {
            submit(e, key, ts);
        }
    }

    /** An event whose input is in the sink's next input: stepped now or bundled (or waiting for a model). */
    protected void submit(T e, Object key, long ts) throws Exception {
        sink.submit(e, key, ts, getProcessingTimeService().getCurrentProcessingTime());
    }

    /** The event's input into {@code x}, checked; false (and the event rejected) when it cannot be used. */
    protected final boolean fill(float[] x, T e, Object key, StreamRecord<T> record) throws Exception {
        try {
            binding.input().fill(x, e);
        } catch (InputRejected r) {
            reject(e, key, r.reason(), r.getMessage(), record);
            return false;
        }
        String bad = Admission.nonFinite(x);
        if (bad != null) {
            reject(e, key, Reason.NON_FINITE, bad, record);
            return false;
        }
        return true;
    }

    /** To the side output, with the timestamp of the record it came in (none when it comes from a buffer). */
    protected final void reject(T e, Object key, Reason reason, String message, StreamRecord<T> record) {
        metrics.rejected(reason);
        rejectRecord.replace(binding.rejecter().reject(e, key, reason, message));
        if (record != null && record.hasTimestamp()) {
            rejectRecord.setTimestamp(record.getTimestamp());
        } else {
            rejectRecord.eraseTimestamp();
        }
        output.collect(binding.rejectedTag(), rejectRecord);
    }

    // ---------------------------------------------------------------- ordering by event time

    /** The event waits in the key's buffer for the watermark; or is rejected, or released, as the limits say. */
    @SuppressWarnings("unchecked")
    private void hold(T e, Object key, long ts, StreamRecord<T> record) throws Exception {
        if (!fill(probe, e, key, record)) {
            return;
        }
        KeyState ks = keyState.value();
        Reason bad = Admission.unorderable(ts, ks);
        if (bad != null) {
            reject(e, key, bad, admission.unorderableMessage(bad, ts, ks, options.allowedLatenessMs()), record);
            return;
        }
        long[] index = buffer.index();
        String full = admission.bufferFull(PendingTimes.count(index), options.maxBufferedPerKey(),
                buffer.buffered(), options.maxBufferedPerSubtask());
        long now = getProcessingTimeService().getCurrentProcessingTime();
        if (full == null) {
            buffer.hold(e, (K) key, ts, index, now);
            return;
        }
        if (options.bufferFullPolicy() == BufferFullPolicy.REJECT) {
            reject(e, key, Reason.BUFFER_FULL, full + " (policy REJECT)", record);
            return;
        }
        buffer.releaseAll((K) key, index);
        sink.flush(); // stepped now, so that the key's latest event time is known to the events after it
        ks = keyState.value();
        if (ks != null && ks.lastEventTime != KeyState.NONE && ts < ks.lastEventTime) {
            reject(e, key, Reason.LATE, "event time " + ts + " is before " + ks.lastEventTime
                    + ", applied when the full buffer was released (" + full + ")", record);
            return;
        }
        if (fill(sink.nextInput(), e, key, record)) {
            submit(e, key, ts);
            sink.flush();
        }
    }

    /** A buffered event released by the watermark (or a full buffer): checked again, then stepped or bundled. */
    private void released(T e, K key, long ts) throws Exception {
        if (fill(sink.nextInput(), e, key, null)) {
            submit(e, key, ts);
        }
    }

    /** Events waiting for the watermark in this subtask (the gauge {@code bufferedEvents}). */
    public long bufferedEvents() {
        return buffer == null ? 0 : buffer.buffered();
    }

    // ---------------------------------------------------------------- the step (StepTarget)

    @Override
    public KeyState prepare(T e, Object key, long ts, long now) throws Exception {
        boolean reset = binding.reset() != null && binding.reset().resetBefore(e);
        KeyState ks = keyState.value();
        if (ks != null) {
            bringUpToDate(key, ks);
        }
        return stepper.prepare(ks, reset, ts, now);
    }

    /** The key's state brought to the live model before its step: nothing to do for a fixed model. */
    protected void bringUpToDate(Object key, KeyState ks) throws Exception {}

    /** The current key's kept inputs as of its previous step (an array to read, not to keep), or null when none are kept. */
    protected final float[] keptInputs(Object key, KeyState ks) throws Exception {
        return kept == null ? null : kept.ring(key, ks);
    }

    @Override
    @SuppressWarnings("unchecked")
    public void stepped(T e, Object key, KeyState ks, long seq, boolean fromZero, float[] x, float[] y, long ts, long now)
            throws Exception {
        if (seq < 0) {
            keyState.update(ks);
            reject(e, key, Reason.NON_FINITE_STATE, stepper.refusal(), null);
            return;
        }
        registerIdleTimer(KeyStates.idleTimerToRegister(ks, options));
        metrics.outputs.inc();
        context.fill((K) key, seq, ts, ks.state, fromZero, version);
        R r = binding.emitter().emit(e, y, context);
        if (r != null) {
            outRecord.replace(r);
            stamp(outRecord, ts);
            output.collect(outRecord);
        }
        float[] ring = null;
        if (kept != null) {
            ring = kept.beforeStep(key, ks, fromZero, seq);
        } else {
            ks.recentInputs = null; // kept by an earlier run inside the key's state (format 2): none kept now
        }
        afterStep(e, key, seq, ts, x, y, fromZero, ring);
        if (kept != null) {
            kept.append(key, x, seq);
        }
        keyState.update(ks);
    }

    /** After an applied step, before the input joins {@code ring} (the kept inputs, or null): the swap form's shadow. */
    protected void afterStep(T e, Object key, long seq, long ts, float[] x, float[] y, boolean fromZero, float[] ring)
            throws Exception {}

    /** An output's timestamp: the step's event time (none without one), the release time when ordering. */
    protected final void stamp(StreamRecord<?> record, long ts) {
        if (ts == KeyedEvent.NO_TIMESTAMP) {
            record.eraseTimestamp();
        } else {
            record.setTimestamp(options.ordered() ? ts + options.allowedLatenessMs() : ts);
        }
    }

    // ---------------------------------------------------------------- time and checkpoints

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        sink.flush();
        if (buffer != null) {
            buffer.onWatermark(mark.getTimestamp(), getProcessingTimeService().getCurrentProcessingTime());
        }
        // fire the timers here rather than in super, so that what they release is stepped before the
        // watermark goes on: downstream, no output of this operator is behind a watermark it passed
        if (timeServiceManager != null) {
            timeServiceManager.advanceWatermark(mark);
        }
        sink.flush();
        output.emitWatermark(mark);
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        sink.flush(); // the barrier follows: nothing bundled is left out of the checkpoint
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    @Override
    public void endInput() throws Exception {
        sink.flush();
    }

    @Override
    public void finish() throws Exception {
        sink.flush();
        super.finish();
    }

    private void registerIdleTimer(long deadline) {
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
        if (buffer != null && options.idleDomain() == TimeDomain.EVENT_TIME) {
            // the watermark that passes the idle deadline may release events of the key that came within the gap
            buffer.releaseDue(timer.getKey(), idleTimers.currentWatermark());
        }
        if (sink.holds(timer.getKey())) {
            sink.flush(); // the key's bundled events come first, as they would have one by one
        }
        KeyState ks = keyState.value();
        if (ks == null || ks.idleTimer != timer.getTimestamp()) {
            return;
        }
        registerIdleTimer(KeyStates.onIdleTimer(ks, timer.getTimestamp(), options, metrics));
        keyState.update(ks);
    }
}
