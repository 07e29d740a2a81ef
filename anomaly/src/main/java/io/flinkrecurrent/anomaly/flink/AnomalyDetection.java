package io.flinkrecurrent.anomaly.flink;

import io.flinkrecurrent.annotation.PublicEvolving;
import io.flinkrecurrent.anomaly.Combination;
import io.flinkrecurrent.anomaly.DetectorModels;
import io.flinkrecurrent.anomaly.DetectorParams;
import io.flinkrecurrent.anomaly.Forecasters;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.flink.InputFiller;
import io.flinkrecurrent.flink.Recurrent;
import io.flinkrecurrent.flink.RecurrentBuilder;
import io.flinkrecurrent.flink.RecurrentOptions;
import io.flinkrecurrent.flink.RecurrentStream;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.api.java.typeutils.TypeExtractor;
import org.apache.flink.streaming.api.datastream.DataStream;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Streaming anomaly detection over the user's own events: one detector per key, its state in Flink
 * managed state (the library's recurrent operator, {@link Recurrent#of}), a score per event.
 *
 * <pre>{@code
 * RecurrentStream<Reading, AnomalyResult<Reading, String>> scored = AnomalyDetection
 *     .keyBy(Reading::host)                                          // any key Flink can key by
 *     .metrics(3, (x, r) -> { x[0] = r.cpu; x[1] = r.mem; x[2] = r.disk; })
 *     .metricNames("cpu", "mem", "disk")
 *     .options(o -> o.stateTtl(Duration.ofDays(7)))
 *     .name("server-anomalies")
 *     .apply(readings);
 * DataStream<AnomalyResult<Reading, String>> alerts = scored.filter(a -> a.alert);
 * DataStream<Rejected<Reading>> bad = scored.rejected();
 * }</pre>
 *
 * One metric per event is scored by {@link io.flinkrecurrent.anomaly.AnomalyDetector} (the anomaly job's detector,
 * whose states its savepoints hold), several by {@link io.flinkrecurrent.anomaly.VectorDetector}: one state per
 * key over the whole vector, each score naming the metric that set it.
 *
 * <p>Defaults: the bundled forecaster ({@link Forecasters#bundled()}), {@link DetectorParams#COMPACT},
 * an alert from the detector's alarm score ({@link DetectorParams#alarmScore()}), the operator
 * named and uid'd {@value #DEFAULT_NAME}. Events that cannot be scored (no key, a value that is NaN or
 * infinite, an array of the wrong width, with event-time ordering one too late) go to
 * {@link RecurrentStream#rejected()} with the reason, and the job goes on. Type information is explicit
 * throughout ({@link AnomalyResult#type}), so the job runs with {@code pipeline.generic-types: false}.
 *
 * @param <T> the user's event
 * @param <K> the key
 */
@PublicEvolving
public final class AnomalyDetection<T, K> {
    /** The operator's default name and uid. */
    public static final String DEFAULT_NAME = "anomaly";

    /** An event's one metric: {@code r -> r.cpu}. */
    @PublicEvolving
    @FunctionalInterface
    public interface MetricValue<T> extends Serializable {
        float value(T event) throws Exception;
    }

    /** An event's metrics as an array it holds: {@code r -> r.values}; its length must be the width. */
    @PublicEvolving
    @FunctionalInterface
    public interface MetricValues<T> extends Serializable {
        float[] values(T event) throws Exception;
    }

    private final KeySelector<T, K> key;
    private final TypeInformation<K> keyType;
    private int width;
    private InputFiller<T> filler;
    private MetricValue<T> value;
    private MetricValues<T> values;
    private String[] names;
    private RecurrentNetwork forecaster;
    private DetectorParams params = DetectorParams.COMPACT;
    private Combination combination = Combination.DEFAULT;
    private Float threshold;
    private RecurrentBuilder.ResetCondition<T> reset;
    private RecurrentBuilder.EventTimestamp<T> eventTime;
    private RecurrentOptions options = RecurrentOptions.DEFAULTS;
    private String name = DEFAULT_NAME;
    private String uid;

    private AnomalyDetection(KeySelector<T, K> key, TypeInformation<K> keyType) {
        this.key = Objects.requireNonNull(key, "key selector");
        this.keyType = keyType;
    }

    /** Keys the events: any key Flink can key by, its type from the selector (as {@code DataStream.keyBy}). */
    public static <T, K> AnomalyDetection<T, K> keyBy(KeySelector<T, K> key) {
        return new AnomalyDetection<>(key, null);
    }

    /** Keys the events, with the key's type information given (when a lambda's cannot be extracted). */
    public static <T, K> AnomalyDetection<T, K> keyBy(KeySelector<T, K> key, TypeInformation<K> keyType) {
        return new AnomalyDetection<>(key, Objects.requireNonNull(keyType, "keyType"));
    }

    /** One metric per event. */
    public AnomalyDetection<T, K> metric(MetricValue<T> value) {
        setInput(1, null, Objects.requireNonNull(value, "value"), null);
        return this;
    }

    /** One metric per event, with its name (the results' {@link AnomalyResult#metricName}). */
    public AnomalyDetection<T, K> metric(String name, MetricValue<T> value) {
        metric(value);
        return metricNames(name);
    }

    /** {@code width} metrics per event, written by {@code filler} into the detector's input: {@code (x, r) -> { x[0] = r.cpu; ... }}. */
    public AnomalyDetection<T, K> metrics(int width, InputFiller<T> filler) {
        setInput(width, Objects.requireNonNull(filler, "filler"), null, null);
        return this;
    }

    /** {@code width} metrics per event, as an array the event holds; one of another length is rejected ({@code INPUT_WIDTH}). */
    public AnomalyDetection<T, K> metrics(int width, MetricValues<T> values) {
        setInput(width, null, null, Objects.requireNonNull(values, "values"));
        return this;
    }

    private void setInput(int width, InputFiller<T> filler, MetricValue<T> value, MetricValues<T> values) {
        if (width < 1) {
            throw new IllegalArgumentException("the width must be at least 1 metric, got " + width);
        }
        this.width = width;
        this.filler = filler;
        this.value = value;
        this.values = values;
    }

    /** The metrics' names, one per metric in the order of the input: results and rejections name the metric. */
    public AnomalyDetection<T, K> metricNames(String... names) {
        for (String n : Objects.requireNonNull(names, "names")) {
            Objects.requireNonNull(n, "a metric name");
        }
        this.names = names.clone();
        return this;
    }

    /** The forecaster the detector reads each key's values with. Default: {@link Forecasters#bundled()}. */
    public AnomalyDetection<T, K> forecaster(RecurrentNetwork forecaster) {
        this.forecaster = Objects.requireNonNull(forecaster, "forecaster");
        return this;
    }

    /** The detector's parameters. Default: {@link DetectorParams#COMPACT}. */
    public AnomalyDetection<T, K> params(DetectorParams params) {
        this.params = Objects.requireNonNull(params, "params");
        return this;
    }

    /**
     * How several metrics' z values make the key's one (unused with one metric). Default {@link Combination#DEFAULT},
     * the mean of the 3 largest with the range rule from 3 metrics at once, chosen on machines of 19 and 38 metrics
     * (docs/nab.md); with fewer than 3 metrics it averages them all and the range rule needs them all, so a job of
     * 2 or 3 metrics that should alert on any one of them may prefer {@link Combination#max()}. Part of the
     * detector's fingerprint: a key's state written under another combination starts afresh.
     */
    public AnomalyDetection<T, K> combination(Combination combination) {
        this.combination = Objects.requireNonNull(combination, "combination");
        return this;
    }

    /** The score from which a result is an alert ({@code score >= threshold}), in [0, 1]. Default: the params' alarm score. */
    public AnomalyDetection<T, K> alertAt(float threshold) {
        if (!(threshold >= 0f && threshold <= 1f)) {
            throw new IllegalArgumentException("the alert threshold is a score in [0, 1], got " + threshold);
        }
        this.threshold = threshold;
        return this;
    }

    /** Restart the key's detector from nothing before the events this holds for (a machine replaced, say). */
    public AnomalyDetection<T, K> resetWhen(RecurrentBuilder.ResetCondition<T> reset) {
        this.reset = Objects.requireNonNull(reset, "reset");
        return this;
    }

    /** The event time of a record that has no Flink timestamp (for event-time ordering and idle resets). */
    public AnomalyDetection<T, K> eventTime(RecurrentBuilder.EventTimestamp<T> eventTime) {
        this.eventTime = Objects.requireNonNull(eventTime, "eventTime");
        return this;
    }

    /**
     * The operator's options ({@link RecurrentOptions}): those that suit a detector are event-time ordering
     * ({@code orderByEventTime(lateness)}, too late an event rejected as {@code LATE}), the state TTL
     * ({@code stateTtl}), a reset when a key is idle ({@code resetWhenIdle}) and micro-batching.
     */
    public AnomalyDetection<T, K> options(Consumer<RecurrentOptions.Builder> change) {
        RecurrentOptions.Builder b = options.toBuilder();
        change.accept(b);
        this.options = b.build();
        return this;
    }

    /** Replaces the operator's options. */
    public AnomalyDetection<T, K> options(RecurrentOptions options) {
        this.options = Objects.requireNonNull(options, "options");
        return this;
    }

    /** The operator's name, also its uid unless {@link #uid} is set. Default {@value #DEFAULT_NAME}. */
    public AnomalyDetection<T, K> name(String name) {
        this.name = Objects.requireNonNull(name, "name");
        return this;
    }

    /**
     * The stateful operator's uid: keep it stable across versions of the job to restore its keys' detectors
     * from a savepoint. Default: the name ({@code -2}, {@code -3}... for a second operator of that name).
     */
    public AnomalyDetection<T, K> uid(String uid) {
        this.uid = Objects.requireNonNull(uid, "uid");
        return this;
    }

    /** The score from which a result is an alert: {@link #alertAt}'s, else the params' alarm score. */
    public float alertThreshold() {
        return threshold != null ? threshold : params.alarmScore();
    }

    /** The detector each key runs (a {@link RecurrentModel}: its {@code stateSize()} is the floats a key keeps). */
    public RecurrentModel detector() {
        requireMetrics();
        return DetectorModels.detector(forecaster != null ? forecaster : Forecasters.bundled(), params, width, combination);
    }

    /** The detector over the events: one result per scored event, the rest on {@link RecurrentStream#rejected()}. */
    public RecurrentStream<T, AnomalyResult<T, K>> apply(DataStream<T> events) {
        requireMetrics();
        RecurrentModel detector = detector();
        TypeInformation<T> eventType = events.getType();
        TypeInformation<K> kt = keyType != null ? keyType : TypeExtractor.getKeySelectorTypes(key, eventType);
        String[] n = names == null ? null : names.clone();
        InputFiller<T> input = filler != null ? new MetricInput.Filled<>(filler, n)
                : value != null ? new MetricInput.One<>(value, n)
                : new MetricInput.Array<>(values, n);
        RecurrentBuilder<T, K, Void> b = Recurrent.of(detector).keyBy(key, kt).input(input).options(options).name(name);
        if (uid != null) {
            b.uid(uid);
        }
        if (reset != null) {
            b.resetWhen(reset);
        }
        if (eventTime != null) {
            b.eventTime(eventTime);
        }
        return b.emit(new ResultEmitter<T, K>(width, n, alertThreshold()), AnomalyResult.type(eventType, kt))
                .apply(events);
    }

    private void requireMetrics() {
        if (width == 0) {
            throw new IllegalStateException("anomaly detection needs metric(...) or metrics(...) before apply");
        }
        if (names != null && names.length != width) {
            throw new IllegalStateException(names.length + " metric names " + Arrays.toString(names) + " for "
                    + width + " metrics");
        }
    }
}
