package io.flinkrecurrent.savepoint;

import io.flinkrecurrent.annotation.PublicEvolving;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.runtime.EventBinding;
import io.flinkrecurrent.flink.InputFiller;
import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.flink.Recurrent;
import io.flinkrecurrent.flink.RecurrentBuilder;
import io.flinkrecurrent.flink.RecurrentOptions;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.state.api.OperatorIdentifier;
import org.apache.flink.state.api.OperatorTransformation;
import org.apache.flink.state.api.SavepointWriter;
import org.apache.flink.state.api.StateBootstrapTransformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.operators.SimpleOperatorFactory;

import org.apache.flink.api.java.typeutils.GenericTypeInfo;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A warm start: each key's state computed from a bounded history with the operator's own step code, and
 * written as a savepoint (the State Processor API's {@link SavepointWriter}) under the recurrent
 * operator's uid, so that the streaming job started from it goes on as if it had read the history
 * itself: the same state, the same {@code seq}, the same count since the last reset, the same idle timer.
 *
 * <pre>{@code
 * // the history as the job reads its events (here the KeyedEvents of Recurrent.builder)
 * DataStream<KeyedEvent> history = env.fromSource(historySource, WatermarkStrategy.noWatermarks(), "history");
 * RecurrentBootstrap.keyedEvents(model)
 *         .options(o -> o.resetWhenIdle(Duration.ofMinutes(30)))   // the job's options, the ones that shape state
 *         .write(history, "sensor-lstm", 128, "file:///savepoints/warm");
 * env.execute("bootstrap");
 * // then: flink run -s file:///savepoints/warm ... (the job's uid "sensor-lstm", the same options)
 * }</pre>
 *
 * For the typed API, give the same key selector, input filler, reset condition and event time as the
 * job's {@link RecurrentBuilder}: {@code RecurrentBootstrap.of(model, Reading::deviceId, Types.LONG, filler)}.
 *
 * <p>What the warm start assumes (docs/savepoints.md): each key's history comes in the order the job
 * would apply it (with {@code orderByEventTime}, in time order: an older event than the key's latest is
 * refused as {@code LATE}); the job runs the same model (its fingerprint is in every state) and the
 * options that shape state (resets, idle gap and domain, state TTL, kept inputs, non-finite policy);
 * a swappable job restarts its model chain at its own model.
 */
@PublicEvolving
public final class RecurrentBootstrap<T, K> {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RecurrentBootstrap.class);
    private final RecurrentModel model;
    private final KeySelector<T, K> key;
    private final TypeInformation<K> keyType;
    private final InputFiller<T> input;
    private RecurrentBuilder.ResetCondition<T> reset;
    private RecurrentBuilder.EventTimestamp<T> eventTime;
    private RecurrentOptions options = RecurrentOptions.DEFAULTS;

    private RecurrentBootstrap(RecurrentModel model, KeySelector<T, K> key, TypeInformation<K> keyType, InputFiller<T> input) {
        this.model = Objects.requireNonNull(model, "model");
        this.key = Objects.requireNonNull(key, "key");
        this.keyType = Objects.requireNonNull(keyType, "keyType");
        this.input = Objects.requireNonNull(input, "input");
    }

    /** For the {@link KeyedEvent}s of {@link Recurrent#builder}: the same key, input check, reset flag and event time. */
    public static RecurrentBootstrap<KeyedEvent, String> keyedEvents(RecurrentModel model) {
        EventBinding<KeyedEvent, String, ?, ?> b = Recurrent.binding(false);
        RecurrentBootstrap<KeyedEvent, String> r = new RecurrentBootstrap<>(model, Recurrent.keySelector(), Types.STRING, b.input());
        r.reset = b.reset();
        r.eventTime = b.timestamp();
        return r;
    }

    /** For the typed API's events: the job's key selector and key type and its input filler. */
    public static <T, K> RecurrentBootstrap<T, K> of(RecurrentModel model, KeySelector<T, K> key, TypeInformation<K> keyType,
                                                     InputFiller<T> input) {
        return new RecurrentBootstrap<>(model, key, keyType, input);
    }

    /** The job's {@code resetWhen}. */
    public RecurrentBootstrap<T, K> resetWhen(RecurrentBuilder.ResetCondition<T> condition) {
        this.reset = condition;
        return this;
    }

    /** The job's {@code eventTime} (used when a history record carries no Flink timestamp). */
    public RecurrentBootstrap<T, K> eventTime(RecurrentBuilder.EventTimestamp<T> timestamp) {
        this.eventTime = timestamp;
        return this;
    }

    /** The job's options. */
    public RecurrentBootstrap<T, K> options(RecurrentOptions o) {
        this.options = Objects.requireNonNull(o, "options");
        return this;
    }

    public RecurrentBootstrap<T, K> options(Consumer<RecurrentOptions.Builder> change) {
        RecurrentOptions.Builder b = options.toBuilder();
        change.accept(b);
        this.options = b.build();
        return this;
    }

    /** The transformation that writes the operator's keyed state, for a {@link SavepointWriter} of your own. */
    public StateBootstrapTransformation<T> transformation(DataStream<T> history) {
        RecurrentModel m = model;
        RecurrentOptions o = options;
        InputFiller<T> in = input;
        RecurrentBuilder.ResetCondition<T> r = reset;
        RecurrentBuilder.EventTimestamp<T> t = eventTime;
        return OperatorTransformation.bootstrapWith(history)
                .keyBy(key, keyType)
                .transform((timestamp, path) -> SimpleOperatorFactory.of(
                        new RecurrentBootstrapOperator<K, T>(m, o, in, r, t, 0L, timestamp, path)));
    }

    /**
     * Declares the job that writes a new savepoint at {@code path} with the operator {@code uid}'s state
     * computed from {@code history}, with maximum parallelism {@code maxParallelism} (the streaming job
     * takes it from the savepoint unless it sets its own, which must then be the same). Run it with
     * {@code env.execute()}.
     */
    public void write(DataStream<T> history, String uid, int maxParallelism, String path) {
        StreamExecutionEnvironment env = history.getExecutionEnvironment();
        if (env.getConfig().getSerializerConfig().hasGenericTypesDisabled()) {
            // The State Processor API's writer hands Flink's own snapshot handles (TaggedOperatorSubtaskState,
            // OperatorState, CheckpointMetadata) from operator to operator as generic types (Kryo): it cannot run
            // with pipeline.generic-types: false. The history itself must still not need Kryo: checked here.
            if (history.getType() instanceof GenericTypeInfo<?>) {
                throw new IllegalArgumentException("the history's type " + history.getType() + " is a generic type (Kryo); "
                        + "give it type information (a POJO, or returns(...)) as the job's events have");
            }
            LOG.info("bootstrap: generic types enabled for this job only: the State Processor API's writer moves Flink's "
                    + "snapshot handles with Kryo (the history's type {} needs none)", history.getType());
            Configuration c = new Configuration();
            c.set(PipelineOptions.GENERIC_TYPES, true);
            env.configure(c);
        }
        // Kryo's field-by-field copy of a snapshot handle fails on Java 17 (a private class of Flink's,
        // NoRescalingDescriptor, cannot be instantiated through reflectasm); the handles are Serializable:
        // moved with Java serialization instead, inside Kryo.
        Configuration s = new Configuration();
        List<String> serialization = new ArrayList<>(env.getConfiguration().getOptional(PipelineOptions.SERIALIZATION_CONFIG).orElse(List.of()));
        for (String handle : List.of("org.apache.flink.runtime.checkpoint.OperatorSubtaskState",
                "org.apache.flink.runtime.checkpoint.OperatorState")) {
            serialization.add(handle + ": {type: kryo, kryo-type: default, class: com.esotericsoftware.kryo.serializers.JavaSerializer}");
        }
        s.set(PipelineOptions.SERIALIZATION_CONFIG, serialization);
        env.configure(s);
        SavepointWriter.newSavepoint(env, maxParallelism)
                .withOperator(OperatorIdentifier.forUid(uid), transformation(history))
                .write(path);
    }
}
