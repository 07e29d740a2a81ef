package io.flinkrecurrent.savepoint;

import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.cell.Kernels;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.Scratch;
import io.flinkrecurrent.flink.InputFiller;
import io.flinkrecurrent.flink.InputRejected;
import io.flinkrecurrent.flink.InputRing;
import io.flinkrecurrent.flink.KeyState;
import io.flinkrecurrent.flink.KeyStates;
import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.flink.OperatorMetrics;
import io.flinkrecurrent.flink.Recurrent;
import io.flinkrecurrent.flink.RecurrentBuilder;
import io.flinkrecurrent.flink.RecurrentOptions;
import io.flinkrecurrent.flink.RejectedEvent;
import io.flinkrecurrent.flink.ResetReason;
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
 * as the recurrent operator's state: per event the operator's own steps, the library's code called, not
 * copied: {@link KeyStates#prepare} (creation, resets by flag, by step count, by idle gap, by another
 * model), the model's {@link RecurrentModel#step}, the non-finite guard ({@link Kernels#allFinite} and
 * {@link KeyStates#reset}, as the options' policy says), {@link KeyStates#advance} (seq, counters,
 * times), {@link KeyStates#idleTimerToRegister} into the timer service {@code recurrent-idle}, and the
 * kept inputs through {@link InputRing}. At the end of its input it snapshots its keyed state and timers
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
    private transient ValueState<float[]> recentInputs;
    private transient InternalTimerService<VoidNamespace> idleTimers;
    private transient OperatorMetrics metrics;
    private transient Scratch scratch;
    private transient float[] x;
    private transient float[] y;
    private transient float[] before;
    private transient long fingerprint;
    private transient int stateSize;
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
            recentInputs = getRuntimeContext().getState(OperatorStateLayout.recentInputs());
        }
        if (options.idleGapMs() > 0) {
            idleTimers = getInternalTimerService(OperatorStateLayout.IDLE_TIMERS, VoidNamespaceSerializer.INSTANCE,
                    VoidTriggerable.instance());
        }
        metrics = new OperatorMetrics(getMetricGroup());
        scratch = model.newScratch();
        x = new float[model.inputSize()];
        y = new float[model.outputSize()];
        stateSize = model.stateSize();
        before = new float[stateSize];
        fingerprint = model.fingerprint(); // a swappable operator's generation 0 tags with it too
        logged = java.util.EnumSet.noneOf(RejectedEvent.Reason.class);
    }

    @Override
    public void processElement(StreamRecord<T> record) throws Exception {
        metrics.events.inc();
        T e = record.getValue();
        Object key = getCurrentKey();
        if (key == null || Recurrent.NULL_KEY.equals(key)) {
            reject(key, RejectedEvent.Reason.NULL_KEY, "the event has no key");
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
        if (!Kernels.allFinite(x)) {
            reject(key, RejectedEvent.Reason.NON_FINITE, "an input value is not finite");
            return;
        }
        KeyState ks = keyState.value();
        if (options.ordered()) {
            // the history is applied in its order; with event-time ordering an event older than the key's
            // latest is refused as the operator refuses one that comes after the watermark passed it
            RejectedEvent.Reason bad = KeyStates.unorderable(ts, ks);
            if (bad != null) {
                reject(key, bad, KeyStates.unorderableMessage(bad, ts, ks, options));
                return;
            }
        }
        long now = System.currentTimeMillis();
        boolean resetFlag = reset != null && reset.resetBefore(e);
        ks = KeyStates.prepare(ks, resetFlag, fingerprint, stateSize, options, ts, now, metrics);
        boolean zero = ks.sinceReset == 0;
        System.arraycopy(ks.state, 0, before, 0, stateSize);
        model.step(y, ks.state, x, scratch);
        if (!Kernels.allFinite(ks.state) || !Kernels.allFinite(y)) {
            if (options.nonFinitePolicy() == RecurrentOptions.NonFinitePolicy.RESET) {
                KeyStates.reset(ks, ResetReason.NON_FINITE, metrics);
            } else {
                System.arraycopy(before, 0, ks.state, 0, stateSize);
            }
            keyState.update(ks);
            reject(key, RejectedEvent.Reason.NON_FINITE_STATE, "the step made the key's state or the output NaN or infinite");
            return;
        }
        KeyStates.advance(ks, ts, now);
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
        keyState.update(ks);
        metrics.outputs.inc();
        if (recentInputs != null) {
            float[] ring = recentInputs.value();
            if (ring == null) {
                ring = InputRing.create(options.keepInputs(), x.length);
            } else if (zero) {
                InputRing.clear(ring);
            }
            InputRing.push(ring, x);
            recentInputs.update(ring);
        }
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
