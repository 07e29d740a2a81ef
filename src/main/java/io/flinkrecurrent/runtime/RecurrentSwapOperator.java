package io.flinkrecurrent.runtime;

import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.flink.KeyState;
import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.flink.ModelUpdate;
import io.flinkrecurrent.flink.RecurrentOptions;
import io.flinkrecurrent.flink.RecurrentOptions.NoModelPolicy;
import io.flinkrecurrent.flink.RejectedEvent.Reason;
import io.flinkrecurrent.flink.RejectedUpdate;
import io.flinkrecurrent.flink.ShadowOutput;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The recurrent operator whose model changes while the job runs: the keyed events on the first input,
 * {@link ModelUpdate}s on the second, a broadcast input. Besides the core it holds the model's
 * {@link ModelGenerations} (each key brought up to date lazily, at its next event), the
 * {@link ShadowStepper} of a shadow model, and, for an operator that starts without a model, the
 * events {@link AwaitingModel awaiting} the first. Every event before an update in this subtask is
 * stepped with the old model (the bundle is flushed), every event after it with the new one. The
 * updates' watermarks are ignored (a stream of model files has no event time).
 */
@Internal
public final class RecurrentSwapOperator<K, T, R, X> extends RecurrentOperator<K, T, R, X>
        implements TwoInputStreamOperator<T, ModelUpdate, R> {
    private static final Logger LOG = LoggerFactory.getLogger(RecurrentSwapOperator.class);
    private static final long serialVersionUID = 1L;

    /** The shadow model's outputs ({@code Recurrent.SHADOW}). */
    public static final OutputTag<ShadowOutput> SHADOW =
            new OutputTag<>("recurrent-shadow", TypeInformation.of(ShadowOutput.class));
    /** Model updates a subtask refused, with the reason ({@code Recurrent.UPDATE_REJECTED}). */
    public static final OutputTag<RejectedUpdate> UPDATE_REJECTED =
            new OutputTag<>("recurrent-update-rejected", TypeInformation.of(RejectedUpdate.class));

    private transient ModelGenerations generations;
    private transient ShadowStepper shadow;
    private transient ValueState<KeyState> shadowState;
    /** The current key's shadow state, for a promotion (made once: no allocation per event). */
    private transient Supplier<KeyState> shadowReader;
    private transient AwaitingModel<T> awaiting;
    private transient StreamRecord<ShadowOutput> shadowRecord;
    private transient StreamRecord<RejectedUpdate> refusedRecord;

    public RecurrentSwapOperator(RecurrentModel model, String version, RecurrentOptions options, EventBinding<T, K, R, X> binding) {
        super(model, inputSize(model), version, options, binding);
    }

    /** An operator that starts without a model: events wait for (or are refused before) the first update. */
    public RecurrentSwapOperator(int inputSize, RecurrentOptions options, EventBinding<T, K, R, X> binding) {
        super(null, inputSize, null, options, binding);
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        generations = new ModelGenerations(initialModel, initialVersion, options.keepInputs(), inputSize);
        generations.initialize(context.getOperatorStateStore().getBroadcastState(ModelGenerations.DESCRIPTOR),
                context.isRestored());
        model = generations.model();
        version = generations.version();
    }

    @Override
    public void open() throws Exception {
        shadow = new ShadowStepper(generations.chain());
        super.open();
        shadowState = getRuntimeContext().getState(KeyStates.descriptor(ShadowStepper.STATE, options.ttl()));
        shadowReader = this::shadowState;
        shadowRecord = new StreamRecord<>(null);
        refusedRecord = new StreamRecord<>(null);
        metrics.swaps(generations::generation);
        shadow.install();
        if (initialModel == null) {
            awaiting = new AwaitingModel<>(options);
            awaiting.open(getRuntimeContext().getListState(AwaitingModel.eventsDescriptor(binding.eventType())),
                    getRuntimeContext().getState(AwaitingModel.countDescriptor()));
            metrics.group().gauge("awaitingModel", (Gauge<Long>) awaiting::total);
            if (model == null) { // restored while still waiting: the subtask's count, for its limit and the gauge
                long[] waiting = {0};
                getKeyedStateBackend().applyToAllKeys(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE,
                        AwaitingModel.countDescriptor(), (key, count) -> waiting[0] += count.value() == null ? 0 : count.value());
                awaiting.restored(waiting[0]);
            }
        }
    }

    @Override
    protected long tag() {
        return generations.tag();
    }

    @Override
    public void processElement1(StreamRecord<T> record) throws Exception {
        processElement(record);
    }

    @Override
    public void processElement2(StreamRecord<ModelUpdate> record) throws Exception {
        applyUpdate(record.getValue());
    }

    @Override
    public void processWatermark1(Watermark mark) throws Exception {
        processWatermark(mark);
    }

    @Override
    public void processWatermark2(Watermark mark) {}

    /**
     * A model update from the broadcast input. A refused update goes to {@link #UPDATE_REJECTED}
     * and the subtask keeps its model; an accepted one is in force for every event after it.
     */
    void applyUpdate(ModelUpdate u) throws Exception {
        sink.flush();
        metrics.updateReceived();
        boolean first = model == null;
        String refused = generations.apply(u);
        if (ModelChain.DUPLICATE.equals(refused)) {
            LOG.info("model update {} is in force already; nothing to do", u);
            return;
        }
        int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        if (refused != null) {
            LOG.warn("model update {} refused by subtask {}: {}", u, subtask, refused);
            metrics.updateRefused();
            refusedRecord.replace(new RejectedUpdate(u, refused, subtask));
            output.collect(UPDATE_REJECTED, refusedRecord);
            return;
        }
        if (generations.model() != null) {
            install(generations.model(), generations.version(), generations.tag());
        }
        shadow.install();
        LOG.info("model update {} applied by subtask {}: live {} (generation {}), {}{}", u, subtask, generations.version(),
                generations.generation(), model == null ? "no model yet" : model.describe(),
                shadow.running() ? ", shadow " + shadow.version() : "");
        metrics.updateAccepted();
        if (first && model != null && awaiting != null) {
            releaseAwaiting();
        }
    }

    @Override
    protected void submit(T e, Object key, long ts) throws Exception {
        if (model != null) {
            super.submit(e, key, ts);
            return;
        }
        if (options.noModelPolicy() == NoModelPolicy.REJECT) {
            reject(e, key, Reason.NO_MODEL, "no model yet: the operator starts from its model updates, "
                    + "and none has arrived (policy REJECT)", null);
            return;
        }
        String full = awaiting.hold(e);
        if (full != null) {
            reject(e, key, Reason.BUFFER_FULL, full, null);
        }
    }

    /**
     * The first model is here: every key's waiting events, in their arrival order, stepped with it (the
     * keys found through the state backend once; their events leave the state as they are applied).
     */
    private void releaseAwaiting() throws Exception {
        List<Object> waitingKeys;
        try (Stream<Object> keys = getKeyedStateBackend().getKeys(AwaitingModel.EVENTS, VoidNamespace.INSTANCE)) {
            waitingKeys = keys.toList();
        }
        for (Object key : waitingKeys) {
            setCurrentKey(key);
            for (T e : awaiting.take()) {
                long ts = binding.timestamp() != null ? binding.timestamp().timestamp(e) : KeyedEvent.NO_TIMESTAMP;
                if (fill(sink.nextInput(), e, key, null)) {
                    submit(e, key, ts);
                }
            }
        }
        awaiting.released();
        sink.flush();
    }

    @Override
    protected void bringUpToDate(Object key, KeyState ks) throws Exception {
        ModelChain.Change c = generations.bringUpToDate(ks, () -> keptInputsOf(key, ks), shadowReader);
        if (c == ModelChain.Change.NONE) {
            return;
        }
        metrics.keyChanged(c);
        if (c == ModelChain.Change.PROMOTED) {
            shadowState.clear(); // the key's live state is the shadow's now; a newer shadow starts afresh for it
        }
    }

    private float[] keptInputsOf(Object key, KeyState ks) {
        try {
            return keptInputs(key, ks);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private KeyState shadowState() {
        try {
            return shadowState.value();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The shadow's step on the same input, its output beside the live one on {@link #SHADOW}. */
    @Override
    protected void afterStep(T e, Object key, long seq, long ts, float[] x, float[] y, boolean fromZero, float[] ring)
            throws Exception {
        if (!shadow.running()) {
            return;
        }
        shadowState.update(shadow.step(shadowState.value(), x, fromZero, ring, seq));
        shadowRecord.replace(new ShadowOutput(String.valueOf(key), seq, ts, version, y.clone(), shadow.version(),
                shadow.output().clone()));
        stamp(shadowRecord, ts);
        output.collect(SHADOW, shadowRecord);
    }
}
