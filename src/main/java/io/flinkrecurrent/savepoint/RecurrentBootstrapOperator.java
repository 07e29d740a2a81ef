package io.flinkrecurrent.savepoint;

import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.flink.InputFiller;
import io.flinkrecurrent.flink.InputRejected;
import io.flinkrecurrent.flink.KeyState;
import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.flink.RecurrentBuilder;
import io.flinkrecurrent.flink.RecurrentOptions;
import io.flinkrecurrent.flink.RejectedEvent;
import io.flinkrecurrent.runtime.Admission;
import io.flinkrecurrent.runtime.InputRing;
import io.flinkrecurrent.runtime.KeptInputs;
import io.flinkrecurrent.runtime.KeyStates;
import io.flinkrecurrent.runtime.KeyStepper;
import io.flinkrecurrent.runtime.OperatorMetrics;
import io.flinkrecurrent.runtime.RecurrentOperator;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.fs.Path;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.state.api.output.SnapshotUtils;
import org.apache.flink.state.api.output.TaggedOperatorSubtaskState;
import org.apache.flink.state.api.runtime.VoidTriggerable;
import org.apache.flink.streaming.api.TimeDomain;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.InternalTimerService;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * The State Processor API operator that computes each key's state from its history and snapshots it
 * as the recurrent operator's state: per event the operator's own code, called, not copied: its
 * {@link Admission} checks, its per-key step ({@link KeyStepper}: prepare with every reset, the model's
 * step, the non-finite guard, advance), {@link KeyStates#idleTimerToRegister} into the timer service
 * {@code recurrent-idle}, and the kept inputs through {@link InputRing} into {@code recurrent-kept-inputs}. At the end of its input it snapshots its keyed state and timers
 * ({@link SnapshotUtils}) into the savepoint. Events the operator would reject are rejected here the same
 * way (counted in the metrics group {@code recurrent}, and logged once per reason).
 */
@Internal
public final class RecurrentBootstrapOperator<K, T> extends AbstractStreamOperator<TaggedOperatorSubtaskState>
        implements OneInputStreamOperator<T, TaggedOperatorSubtaskState>, BoundedOneInput {
    private static final long serialVersionUID = 1L;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RecurrentBootstrapOperator.class);

    private final RecurrentModel model;
    private final RecurrentOptions options;
    private final InputFiller<T> input;
    private final RecurrentBuilder.ResetCondition<T> reset;
    private final RecurrentBuilder.EventTimestamp<T> timestamp;
    private final long checkpointId;
    private final long savepointTimestamp;
    private final Path savepointPath;

    private transient ValueState<KeyState> keyState;
    /** With keepInputs: the keys' rings, where the operator writes them behind (written at once here). */
    private transient ValueState<float[]> keptInputs;
    private transient InternalTimerService<VoidNamespace> idleTimers;
    private transient OperatorMetrics metrics;
    private transient Admission admission;
    private transient KeyStepper stepper;
    private transient float[] x;
    private transient float[] y;
    private transient java.util.EnumSet<RejectedEvent.Reason> logged;

    RecurrentBootstrapOperator(RecurrentModel model, RecurrentOptions options, InputFiller<T> input,
                               RecurrentBuilder.ResetCondition<T> reset, RecurrentBuilder.EventTimestamp<T> timestamp,
                               long checkpointId, long savepointTimestamp, Path savepointPath) {
        this.model = model;
        this.options = options;
        this.input = input;
        this.reset = reset;
        this.timestamp = timestamp;
        this.checkpointId = checkpointId;
        this.savepointTimestamp = savepointTimestamp;
        this.savepointPath = savepointPath;
    }

    @Override
    public void open() throws Exception {
        super.open();
        keyState = getRuntimeContext().getState(OperatorStateLayout.keyState(options.ttl()));
        if (options.keepInputs() > 0) {
            keptInputs = getRuntimeContext().getState(OperatorStateLayout.keptInputs(options.ttl()));
        }
        if (options.idleGapMs() > 0) {
            idleTimers = getInternalTimerService(OperatorStateLayout.IDLE_TIMERS, VoidNamespaceSerializer.INSTANCE,
                    VoidTriggerable.instance());
        }
        metrics = new OperatorMetrics(getMetricGroup());
        admission = new Admission(Admission.Form.DATASTREAM);
        stepper = new KeyStepper(options, metrics, Admission.Form.DATASTREAM);
        stepper.use(model, model.fingerprint()); // a swappable operator's generation 0 tags with it too
        x = new float[model.inputSize()];
        y = new float[model.outputSize()];
        logged = java.util.EnumSet.noneOf(RejectedEvent.Reason.class);
    }

    @Override
    public void processElement(StreamRecord<T> record) throws Exception {
        metrics.events.inc();
        T e = record.getValue();
        Object key = getCurrentKey();
        if (key == null || RecurrentOperator.NULL_KEY.equals(key)) {
            reject(key, RejectedEvent.Reason.NULL_KEY, admission.noKey());
            return;
        }
        long ts = record.hasTimestamp() && record.getTimestamp() != Long.MIN_VALUE ? record.getTimestamp()
                : timestamp != null ? timestamp.timestamp(e) : KeyedEvent.NO_TIMESTAMP;
        try {
            input.fill(x, e);
        } catch (InputRejected r) {
            reject(key, r.reason(), r.getMessage());
            return;
        }
        String nonFinite = Admission.nonFinite(x);
        if (nonFinite != null) {
            reject(key, RejectedEvent.Reason.NON_FINITE, nonFinite);
            return;
        }
        KeyState ks = keyState.value();
        if (options.ordered()) {
            // the history is applied in its order; with event-time ordering an event older than the key's
            // latest is refused as the operator refuses one that comes after the watermark passed it
            RejectedEvent.Reason bad = Admission.unorderable(ts, ks);
            if (bad != null) {
                reject(key, bad, admission.unorderableMessage(bad, ts, ks, options.allowedLatenessMs()));
                return;
            }
        }
        long now = System.currentTimeMillis();
        boolean resetFlag = reset != null && reset.resetBefore(e);
        ks = stepper.prepare(ks, resetFlag, ts, now);
        boolean zero = ks.sinceReset == 0;
        if (stepper.step(y, ks, x, ts, now) < 0) {
            keyState.update(ks);
            reject(key, RejectedEvent.Reason.NON_FINITE_STATE, stepper.refusal());
            return;
        }
        if (idleTimers != null) {
            // The operator keeps one idle timer per key and moves it on when it fires; here no timer fires
            // (no watermark passes during a bootstrap), so the key's one timer is kept where the operator's
            // would end up: at the deadline after the key's latest event (KeyStates' own rule).
            long old = ks.idleTimer;
            ks.idleTimer = KeyState.NONE;
            long deadline = KeyStates.idleTimerToRegister(ks, options);
            if (deadline != old) {
                if (old != KeyState.NONE) {
                    timer(old, false);
                }
                if (deadline != KeyState.NONE) {
                    timer(deadline, true);
                }
            }
        }
        if (keptInputs != null) { // the operator's rule (KeptInputs): a ring of its own shape, emptied by a reset
            float[] stored = keptInputs.value();
            float[] ring = stored == null ? null : KeptInputs.fromState(stored, ks.seq - 1); // as of the step before
            if (ring == null || ring.length != 2 + options.keepInputs() * x.length) {
                ring = InputRing.create(options.keepInputs(), x.length);
            } else if (zero) {
                InputRing.clear(ring);
            }
            InputRing.push(ring, x);
            keptInputs.update(KeptInputs.toState(ring, ks.seq));
        }
        keyState.update(ks);
        metrics.outputs.inc();
    }

    private void timer(long at, boolean register) {
        boolean event = options.idleDomain() == TimeDomain.EVENT_TIME;
        if (register && event) {
            idleTimers.registerEventTimeTimer(VoidNamespace.INSTANCE, at);
        } else if (register) {
            idleTimers.registerProcessingTimeTimer(VoidNamespace.INSTANCE, at);
        } else if (event) {
            idleTimers.deleteEventTimeTimer(VoidNamespace.INSTANCE, at);
        } else {
            idleTimers.deleteProcessingTimeTimer(VoidNamespace.INSTANCE, at);
        }
    }

    private void reject(Object key, RejectedEvent.Reason reason, String message) {
        metrics.rejected(reason);
        if (logged.add(reason)) {
            LOG.warn("bootstrap: an event of key {} is not applied, as the operator would not apply it: {} ({}); "
                    + "further events rejected for this reason are counted in the metric rejected.{}",
                    key, reason, message, reason.name().toLowerCase(java.util.Locale.ROOT));
        }
    }

    @Override
    public void endInput() throws Exception {
        Configuration jobConf = getContainingTask().getJobConfiguration();
        TaggedOperatorSubtaskState state = SnapshotUtils.snapshot(checkpointId, this,
                getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(), savepointTimestamp,
                CheckpointingOptions.getCheckpointingMode(jobConf), CheckpointingOptions.isUnalignedCheckpointEnabled(jobConf),
                getContainingTask().getConfiguration().getConfiguration(), savepointPath);
        output.collect(new StreamRecord<>(state));
    }
}
