package io.flinkrecurrent.flink;

import io.flinkrecurrent.runtime.EventBinding;
import io.flinkrecurrent.runtime.RecurrentOperator;
import io.flinkrecurrent.runtime.RecurrentSwapOperator;
import io.flinkrecurrent.annotation.PublicEvolving;
import io.flinkrecurrent.cell.RecurrentModel;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import java.io.Serializable;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The recurrent operator over the user's own events, made by {@link Recurrent#of}:
 *
 * <pre>{@code
 * RecurrentStream<Reading, Alert> alerts = Recurrent.of(model)
 *     .keyBy(Reading::deviceId)                                  // any key Flink can key by
 *     .input((x, r) -> { x[0] = r.temp; x[1] = r.load; })        // fills the model's input, no allocation
 *     .resetWhen(Reading::isRestart)
 *     .emit((r, y, ctx) -> new Alert(r, y[0], ctx.seq()), Alert.class)
 *     .options(o -> o.resetWhenIdle(Duration.ofMinutes(30)).orderByEventTime(Duration.ofSeconds(5)))
 *     .name("sensor-lstm")
 *     .apply(readings);
 * DataStream<Rejected<Reading>> bad = alerts.rejected();
 * }</pre>
 *
 * The record's Flink timestamp is the event time; {@link #eventTime} names a field for records that
 * have none. Type information is explicit throughout (the events' from their stream, the key's from
 * the selector or {@link #keyBy(KeySelector, TypeInformation)}, the result's from {@link #emit}), so the
 * job runs with {@code pipeline.generic-types: false}.
 *
 * @param <T> the user's event
 * @param <K> the key
 * @param <R> the result
 */
@PublicEvolving
public final class RecurrentBuilder<T, K, R> {

    /** Whether the key's state is zeroed before this event is applied. */
    @PublicEvolving
    @FunctionalInterface
    public interface ResetCondition<T> extends Serializable {
        boolean resetBefore(T event) throws Exception;
    }

    /** The event's own time in epoch milliseconds, or {@link KeyedEvent#NO_TIMESTAMP}. */
    @PublicEvolving
    @FunctionalInterface
    public interface EventTimestamp<T> extends Serializable {
        long timestamp(T event) throws Exception;
    }

    private final RecurrentModel model;
    private final int inputSize;
    private final KeySelector<T, K> key;
    private final TypeInformation<K> keyType;
    private InputFiller<T> input;
    private ResetCondition<T> reset;
    private EventTimestamp<T> eventTime;
    private OutputEmitter<T, K, R> emitter;
    private TypeInformation<R> resultType;
    private RecurrentOptions options = RecurrentOptions.DEFAULTS;
    private String name;
    private String uid;
    private DataStream<ModelUpdate> updates;
    private String version;

    RecurrentBuilder(RecurrentModel model, int inputSize, KeySelector<T, K> key, TypeInformation<K> keyType) {
        this.model = model;
        this.inputSize = inputSize;
        this.key = Objects.requireNonNull(key, "key selector");
        this.keyType = keyType;
    }

    private <R2> RecurrentBuilder<T, K, R2> withResult(OutputEmitter<T, K, R2> e, TypeInformation<R2> type) {
        RecurrentBuilder<T, K, R2> b = new RecurrentBuilder<>(model, inputSize, key, keyType);
        b.input = input;
        b.reset = reset;
        b.eventTime = eventTime;
        b.options = options;
        b.name = name;
        b.uid = uid;
        b.updates = updates;
        b.version = version;
        b.emitter = Objects.requireNonNull(e, "emitter");
        b.resultType = Objects.requireNonNull(type, "result type");
        return b;
    }

    /** Writes the model's input for an event (required). */
    public RecurrentBuilder<T, K, R> input(InputFiller<T> input) {
        this.input = Objects.requireNonNull(input, "input");
        return this;
    }

    /** Zero the key's state before the events this condition holds for. */
    public RecurrentBuilder<T, K, R> resetWhen(ResetCondition<T> reset) {
        this.reset = Objects.requireNonNull(reset, "reset");
        return this;
    }

    /** The event time of a record that has no Flink timestamp (a record's own timestamp wins). */
    public RecurrentBuilder<T, K, R> eventTime(EventTimestamp<T> eventTime) {
        this.eventTime = Objects.requireNonNull(eventTime, "eventTime");
        return this;
    }

    /** The result of each applied event (required), with its type information. */
    public <R2> RecurrentBuilder<T, K, R2> emit(OutputEmitter<T, K, R2> emitter, TypeInformation<R2> resultType) {
        return withResult(emitter, resultType);
    }

    /** As {@link #emit(OutputEmitter, TypeInformation)}, the type from a class (a POJO, a record of Flink types...). */
    public <R2> RecurrentBuilder<T, K, R2> emit(OutputEmitter<T, K, R2> emitter, Class<R2> resultType) {
        return withResult(emitter, TypeInformation.of(resultType));
    }

    /** The operator's options. */
    public RecurrentBuilder<T, K, R> options(RecurrentOptions options) {
        this.options = Objects.requireNonNull(options, "options");
        return this;
    }

    /** Changes the options: {@code .options(o -> o.resetAfterSteps(50).stateTtl(Duration.ofDays(7)))}. */
    public RecurrentBuilder<T, K, R> options(Consumer<RecurrentOptions.Builder> change) {
        RecurrentOptions.Builder b = options.toBuilder();
        change.accept(b);
        this.options = b.build();
        return this;
    }

    /** The operator's name, and its uid unless {@link #uid} is set. Default {@code recurrent}. */
    public RecurrentBuilder<T, K, R> name(String name) {
        this.name = Objects.requireNonNull(name, "name");
        return this;
    }

    /**
     * The stateful operator's uid: keep it stable across versions of the job to restore its state from
     * a savepoint. Default: the name; a second operator of the same default name in a job gets
     * {@code -2}, {@code -3}... in the order they are added.
     */
    public RecurrentBuilder<T, K, R> uid(String uid) {
        this.uid = Objects.requireNonNull(uid, "uid");
        return this;
    }

    /**
     * Model updates while the job runs ({@link ModelUpdate}): broadcast to every subtask, which loads
     * the model, checks its hash and switches; what each key's state does is the update's policy.
     * Refused updates are on {@link RecurrentStream#rejectedUpdates()}, a shadow model's outputs on
     * {@link RecurrentStream#shadow()}; {@link StepContext#modelVersion()} names the model of each output.
     */
    public RecurrentBuilder<T, K, R> updates(DataStream<ModelUpdate> updates) {
        this.updates = Objects.requireNonNull(updates, "updates");
        return this;
    }

    /** The version name of the job's own model, for {@link StepContext#modelVersion()} (default: its fingerprint in hex). */
    public RecurrentBuilder<T, K, R> modelVersion(String version) {
        this.version = Objects.requireNonNull(version, "version");
        return this;
    }

    /** The operator over the stream: one result per applied event, the rest on {@link RecurrentStream#rejected()}. */
    public RecurrentStream<T, R> apply(DataStream<T> events) {
        if (input == null) {
            throw new IllegalStateException("the recurrent operator needs input(...) before apply");
        }
        if (emitter == null) {
            throw new IllegalStateException("the recurrent operator needs emit(...) before apply");
        }
        if (model == null && updates == null) {
            throw new IllegalStateException("an operator without a model (awaitingModel) needs updates(...) to get one");
        }
        TypeInformation<T> eventType = events.getType();
        OutputTag<Rejected<T>> tag = Recurrent.rejectedTag(eventType);
        String opName = name != null ? name : "recurrent";
        String opUid = uid != null ? uid : Recurrent.freeUid(events.getExecutionEnvironment(), opName);
        SingleOutputStreamOperator<T> checked = Recurrent.sameParallelism(events
                .process(new KeyCheck<>(key, tag), eventType)
                .name(opName + "-keys").uid(opUid + "-keys"), events);
        KeyedStream<T, K> keyed = keyType != null ? checked.keyBy(key, keyType) : checked.keyBy(key);
        EventBinding<T, K, R, Rejected<T>> binding = new EventBinding<>(eventType, input, reset, eventTime, emitter,
                (e, k, reason, message) -> new Rejected<>(k == null ? null : String.valueOf(k), reason, message, e), tag);
        SingleOutputStreamOperator<R> op = updates == null
                ? keyed.transform(opName, resultType, new RecurrentOperator<>(model, version, options, binding))
                : keyed.connect(updates.broadcast()).transform(opName, resultType, model == null
                        ? new RecurrentSwapOperator<>(inputSize, options, binding)
                        : new RecurrentSwapOperator<>(model, version, options, binding));
        op.uid(opUid);
        return new RecurrentStream<>(op, tag, checked);
    }

    /**
     * Before the keyBy, chained to the source: an event whose key is null goes to the side output
     * (Flink cannot key by null and would fail the job).
     */
    static final class KeyCheck<T, K> extends ProcessFunction<T, T> {
        private final KeySelector<T, K> key;
        private final OutputTag<Rejected<T>> tag;
        private transient org.apache.flink.metrics.Counter nullKeys;

        KeyCheck(KeySelector<T, K> key, OutputTag<Rejected<T>> tag) {
            this.key = key;
            this.tag = tag;
        }

        @Override
        public void open(org.apache.flink.api.common.functions.OpenContext openContext) {
            // the same metric name as the operator's own rejections (OperatorMetrics)
            nullKeys = getRuntimeContext().getMetricGroup().addGroup("recurrent").addGroup("rejected").counter("null_key");
        }

        @Override
        public void processElement(T e, Context ctx, Collector<T> out) throws Exception {
            if (key.getKey(e) == null) {
                nullKeys.inc();
                ctx.output(tag, new Rejected<>(null, RejectedEvent.Reason.NULL_KEY, "the event has no key", e));
            } else {
                out.collect(e);
            }
        }
    }
}
