package io.flinkrecurrent.flink;

import io.flinkrecurrent.runtime.Admission;
import io.flinkrecurrent.runtime.EventBinding;
import io.flinkrecurrent.runtime.RecurrentOperator;
import io.flinkrecurrent.runtime.RecurrentSwapOperator;
import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.annotation.PublicEvolving;
import io.flinkrecurrent.cell.RecurrentModel;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.dag.Transformation;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.streaming.api.TimeDomain;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.OutputTag;

import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Runs a recurrent model over a keyed stream: each key's state lives in Flink managed state and is
 * stepped by every event of that key.
 *
 * <p>Over the user's own events ({@link #of}, see {@link RecurrentBuilder}):
 * <pre>{@code
 * RecurrentStream<Reading, Alert> alerts = Recurrent.of(model)
 *     .keyBy(Reading::deviceId)
 *     .input((x, r) -> { x[0] = r.temp; x[1] = r.load; })
 *     .emit((r, y, ctx) -> new Alert(r, y[0], ctx.seq()), Alert.class)
 *     .apply(readings);
 * }</pre>
 *
 * <p>Over ready-made {@link KeyedEvent}s, with {@link RecurrentOutput}s out ({@link #builder}):
 * <pre>{@code
 * SingleOutputStreamOperator<RecurrentOutput> out = Recurrent.builder(model)
 *         .name("sensor-lstm")
 *         .options(o -> o.resetWhenIdle(Duration.ofMinutes(30)))
 *         .emitState(true)
 *         .apply(events);
 * DataStream<RejectedEvent> rejected = out.getSideOutput(Recurrent.REJECTED);
 * }</pre>
 */
@PublicEvolving
public final class Recurrent {
    /** {@link KeyedEvent}s that were not applied (bad input, late), with the reason. */
    public static final OutputTag<RejectedEvent> REJECTED =
            new OutputTag<>("recurrent-rejected", TypeInformation.of(RejectedEvent.class));

    /** The shadow model's outputs beside the live ones ({@link ModelUpdate.Kind#SHADOW}), of either form of the operator. */
    public static final OutputTag<ShadowOutput> SHADOW = RecurrentSwapOperator.SHADOW;

    /** Model updates a subtask refused, with the reason, of either form of the operator. */
    public static final OutputTag<RejectedUpdate> UPDATE_REJECTED = RecurrentSwapOperator.UPDATE_REJECTED;

    /** The key a {@link KeyedEvent} without key is routed under (Flink cannot key by null); such events are rejected. */
    static final String NULL_KEY = RecurrentOperator.NULL_KEY;

    private Recurrent() {}

    /** The model over the user's own events: name the key next ({@link ModelStage#keyBy}). */
    public static ModelStage of(RecurrentModel model) {
        return new ModelStage(Objects.requireNonNull(model, "model"));
    }

    /**
     * No model yet: the operator starts from its model updates ({@link RecurrentBuilder#updates}, required),
     * the first of which must take {@code inputSize} inputs. Events before it wait or are rejected, as
     * {@link RecurrentOptions.Builder#beforeFirstModel} says.
     */
    public static ModelStage awaitingModel(int inputSize) {
        if (inputSize < 1) {
            throw new IllegalArgumentException("the input size must be at least 1, got " + inputSize);
        }
        return new ModelStage(null, inputSize);
    }

    /** The first step of {@link #of}: the model, waiting for its key. */
    @PublicEvolving
    public static final class ModelStage {
        private final RecurrentModel model;
        private final int inputSize;

        private ModelStage(RecurrentModel model) {
            this(model, model.inputSize());
        }

        private ModelStage(RecurrentModel model, int inputSize) {
            this.model = model;
            this.inputSize = inputSize;
        }

        /** Keys the events: any key Flink can key by (its type from the selector, as {@code DataStream.keyBy}). */
        public <T, K> RecurrentBuilder<T, K, Void> keyBy(KeySelector<T, K> key) {
            return new RecurrentBuilder<>(model, inputSize, key, null);
        }

        /** Keys the events, with the key's type information given. */
        public <T, K> RecurrentBuilder<T, K, Void> keyBy(KeySelector<T, K> key, TypeInformation<K> keyType) {
            return new RecurrentBuilder<>(model, inputSize, key, Objects.requireNonNull(keyType, "keyType"));
        }
    }

    /** The side output of the typed operator for events of this type ({@link RecurrentStream#rejected()}). */
    public static <T> OutputTag<Rejected<T>> rejectedTag(TypeInformation<T> eventType) {
        return new OutputTag<>("recurrent-rejected", rejectedType(eventType));
    }

    /** {@link Rejected} of the user's type, as a POJO with explicit field types (no Kryo). */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static <T> TypeInformation<Rejected<T>> rejectedType(TypeInformation<T> eventType) {
        return (TypeInformation) Types.POJO(Rejected.class, Map.of(
                "key", Types.STRING,
                "reason", Types.ENUM(RejectedEvent.Reason.class),
                "message", Types.STRING,
                "event", eventType));
    }

    /** The model over a stream of {@link KeyedEvent}s with the default options. */
    public static SingleOutputStreamOperator<RecurrentOutput> apply(DataStream<KeyedEvent> events, RecurrentModel model) {
        return builder(model).apply(events);
    }

    /** The model over {@link KeyedEvent}s, with options. */
    public static Builder builder(RecurrentModel model) {
        return new Builder(Objects.requireNonNull(model, "model"), model.inputSize());
    }

    /** Over {@link KeyedEvent}s with no model yet: it comes from {@link Builder#updates} (see {@link #awaitingModel}). */
    public static Builder builderAwaitingModel(int inputSize) {
        if (inputSize < 1) {
            throw new IllegalArgumentException("the input size must be at least 1, got " + inputSize);
        }
        return new Builder(null, inputSize);
    }

    /**
     * The operator over {@link KeyedEvent}s, giving {@link RecurrentOutput}s and {@link RejectedEvent}s
     * on {@link #REJECTED}: the same core as the typed API, with the binding written for you.
     */
    @PublicEvolving
    public static final class Builder {
        private final RecurrentModel model;
        private final int inputSize;
        private String name = "recurrent";
        private String uid;
        private boolean emitState;
        private RecurrentOptions.Builder options = RecurrentOptions.builder();
        private DataStream<ModelUpdate> updates;
        private String version;

        private Builder(RecurrentModel model, int inputSize) {
            this.model = model;
            this.inputSize = inputSize;
        }

        /** The operator's name, also its uid unless {@link #uid} is set. Default {@code recurrent}. */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name);
            return this;
        }

        /**
         * The stateful operator's uid: keep it stable across versions of a job to restore its state.
         * Default: the name; a second operator of the same default in a job gets {@code -2}, {@code -3}...
         */
        public Builder uid(String uid) {
            this.uid = Objects.requireNonNull(uid);
            return this;
        }

        /**
         * Model updates while the job runs: each is broadcast to every subtask, which loads the model,
         * checks its hash and switches ({@link ModelUpdate}); outputs carry the version that made them.
         */
        public Builder updates(DataStream<ModelUpdate> updates) {
            this.updates = Objects.requireNonNull(updates, "updates");
            return this;
        }

        /** The version name the job's own model's outputs carry (default: its fingerprint in hex). */
        public Builder modelVersion(String version) {
            this.version = Objects.requireNonNull(version, "version");
            return this;
        }

        /** Also emit the key's whole state after each event ({@link RecurrentOutput#state}). */
        public Builder emitState(boolean emit) {
            this.emitState = emit;
            return this;
        }

        /** Sets options: {@code .options(o -> o.resetAfterSteps(50))}. */
        public Builder options(java.util.function.Consumer<RecurrentOptions.Builder> change) {
            change.accept(options);
            return this;
        }

        /** Replaces the options. */
        public Builder options(RecurrentOptions o) {
            this.options = o.toBuilder();
            return this;
        }

        /** {@link RecurrentOptions.Builder#resetAfterSteps}. */
        public Builder resetAfterSteps(long steps) {
            options.resetAfterSteps(steps);
            return this;
        }

        /** {@link RecurrentOptions.Builder#resetWhenIdle(Duration, TimeDomain)}. */
        public Builder resetWhenIdle(Duration gap, TimeDomain domain) {
            options.resetWhenIdle(gap, domain);
            return this;
        }

        /** {@link RecurrentOptions.Builder#stateTtl}. */
        public Builder stateTtl(Duration ttl) {
            options.stateTtl(ttl);
            return this;
        }

        /** {@link RecurrentOptions.Builder#orderByEventTime}. */
        public Builder orderByEventTime(Duration allowedLateness) {
            options.orderByEventTime(allowedLateness);
            return this;
        }

        /** {@link RecurrentOptions.Builder#microBatch}. */
        public Builder microBatch(int maxEvents, Duration maxDelay) {
            options.microBatch(maxEvents, maxDelay);
            return this;
        }

        /** The options as set so far. */
        public RecurrentOptions options() {
            return options.build();
        }

        /** The operator itself, for a test harness; key its input with {@link #keySelector()}. */
        @Internal
        public RecurrentOperator<String, KeyedEvent, RecurrentOutput, RejectedEvent> operator() {
            if (model == null && updates == null) {
                throw new IllegalStateException("an operator without a model needs updates(...) to get one");
            }
            return model == null ? new RecurrentSwapOperator<>(inputSize, options(), binding(emitState))
                    : updates != null
                    ? new RecurrentSwapOperator<>(model, version, options(), binding(emitState))
                    : new RecurrentOperator<>(model, version, options(), binding(emitState));
        }

        /** The operator over {@link KeyedEvent}s. */
        public SingleOutputStreamOperator<RecurrentOutput> apply(DataStream<KeyedEvent> events) {
            String opUid = uid != null ? uid : freeUid(events.getExecutionEnvironment(), name);
            var keyed = events.keyBy(new EventKey(), Types.STRING);
            if (updates == null) {
                return keyed.transform(name, TypeInformation.of(RecurrentOutput.class), operator()).uid(opUid);
            }
            return keyed.connect(updates.broadcast())
                    .transform(name, TypeInformation.of(RecurrentOutput.class),
                            (RecurrentSwapOperator<String, KeyedEvent, RecurrentOutput, RejectedEvent>) operator())
                    .uid(opUid);
        }
    }

    /** How the core reads a {@link KeyedEvent} and writes a {@link RecurrentOutput} (also savepoint bootstrap's reading). */
    @io.flinkrecurrent.annotation.Internal
    public static EventBinding<KeyedEvent, String, RecurrentOutput, RejectedEvent> binding(boolean emitState) {
        return new EventBinding<>(TypeInformation.of(KeyedEvent.class), Recurrent::fill, e -> e.reset, e -> e.timestamp,
                emitState
                        ? (e, y, c) -> new RecurrentOutput(c.key(), c.seq(), c.timestamp(), e.id, y.clone(), c.state().clone(),
                                c.modelVersion())
                        : (e, y, c) -> new RecurrentOutput(c.key(), c.seq(), c.timestamp(), e.id, y.clone(), null,
                                c.modelVersion()),
                (e, key, reason, message) -> new RejectedEvent(e.key, reason, message, e, null),
                REJECTED);
    }

    /** A {@link KeyedEvent}'s input, checked: present and of the model's width. */
    private static void fill(float[] x, KeyedEvent e) throws InputRejected {
        if (e.input == null) {
            throw new InputRejected(RejectedEvent.Reason.MISSING_INPUT, "the event has no input vector");
        }
        String width = Admission.width(e.input.length, x.length);
        if (width != null) {
            throw new InputRejected(RejectedEvent.Reason.INPUT_WIDTH, width);
        }
        System.arraycopy(e.input, 0, x, 0, x.length);
    }

    /**
     * The uid for an operator of this name: the name itself, or with {@code -2}, {@code -3}... when the
     * job has an operator of that uid already (deterministic in the order a job adds its operators).
     */
    static String freeUid(StreamExecutionEnvironment env, String name) {
        Set<String> taken = new HashSet<>();
        for (Transformation<?> t : env.getTransformations()) {
            collectUids(t, taken, new HashSet<>());
        }
        if (!taken.contains(name)) {
            return name;
        }
        for (int i = 2; ; i++) {
            if (!taken.contains(name + "-" + i)) {
                return name + "-" + i;
            }
        }
    }

    private static void collectUids(Transformation<?> t, Set<String> uids, Set<Integer> seen) {
        if (!seen.add(t.getId())) {
            return;
        }
        if (t.getUid() != null) {
            uids.add(t.getUid());
        }
        for (Transformation<?> in : t.getInputs()) {
            collectUids(in, uids, seen);
        }
    }

    /**
     * Runs a per-event step before the keyBy at its input's parallelism, so that it is chained to it
     * (forward) instead of rebalanced: a rebalance would interleave a key's events from two subtasks
     * and break their order, and the recurrent update does not commute.
     */
    public static <T> SingleOutputStreamOperator<T> sameParallelism(SingleOutputStreamOperator<T> op, DataStream<?> input) {
        int p = input.getParallelism();
        return p > 0 ? op.setParallelism(p) : op;
    }

    /** The key selector of the {@link KeyedEvent} operator (a null key is routed to be rejected, not thrown on). */
    public static KeySelector<KeyedEvent, String> keySelector() {
        return new EventKey();
    }

    /** Keys by the event's key; a null key goes under {@link #NULL_KEY} to be rejected there. */
    static final class EventKey implements KeySelector<KeyedEvent, String> {
        @Override
        public String getKey(KeyedEvent e) {
            return e.key == null ? NULL_KEY : e.key;
        }
    }
}
