package io.flinkrecurrent.anomaly.flink;

import io.flinkrecurrent.annotation.PublicEvolving;
import io.flinkrecurrent.anomaly.Cause;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;

import java.util.Map;
import java.util.Objects;

/**
 * The detector's verdict on one of the user's events, from {@link AnomalyDetection}: the event itself,
 * its key, the score in [0, 1], what set it and whether it is an alert. A Flink POJO whose {@code event}
 * and {@code key} fields carry the user's type information ({@link #type}), so no Kryo is needed.
 *
 * @param <T> the user's event
 * @param <K> the key
 */
@PublicEvolving
public class AnomalyResult<T, K> {
    /** The event as it came (the payload the alert carries). */
    public T event;
    /** The key the event was scored under. */
    public K key;
    /** The anomaly score in [0, 1]: 0.5 is neutral; at most 0.5 when nothing stood out. */
    public float score;
    /** What set the score ({@link Cause#NONE} for a score of at most 0.5). */
    public Cause cause;
    /** The index of the metric that set the score (its place among the event's values), -1 when the cause is NONE. */
    public int metric;
    /** The name of that metric as {@link AnomalyDetection#metricNames} gave it; null when unnamed or the cause is NONE. */
    public String metricName;
    /** The forecast error of the metric that set the score (the detector's second output); not a message: rejected events go to the side output. */
    public float error;
    /** Whether the score reached the threshold ({@code score >= threshold}, {@link AnomalyDetection#alertAt}). */
    public boolean alert;

    public AnomalyResult() {}

    public AnomalyResult(T event, K key, float score, Cause cause, int metric, String metricName, float error,
                         boolean alert) {
        this.event = event;
        this.key = key;
        this.score = score;
        this.cause = cause;
        this.metric = metric;
        this.metricName = metricName;
        this.error = error;
        this.alert = alert;
    }

    /** The type information of results over events and keys of these types: a POJO with explicit field types. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static <T, K> TypeInformation<AnomalyResult<T, K>> type(TypeInformation<T> eventType,
                                                                   TypeInformation<K> keyType) {
        return (TypeInformation) Types.POJO(AnomalyResult.class, Map.of(
                "event", Objects.requireNonNull(eventType, "eventType"),
                "key", Objects.requireNonNull(keyType, "keyType"),
                "score", Types.FLOAT,
                "cause", Types.ENUM(Cause.class),
                "metric", Types.INT,
                "metricName", Types.STRING,
                "error", Types.FLOAT,
                "alert", Types.BOOLEAN));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AnomalyResult<?, ?> r && Objects.equals(event, r.event) && Objects.equals(key, r.key)
                && Float.compare(score, r.score) == 0 && cause == r.cause && metric == r.metric
                && Objects.equals(metricName, r.metricName) && Float.compare(error, r.error) == 0 && alert == r.alert;
    }

    @Override
    public int hashCode() {
        return Objects.hash(event, key, score, cause, metric, metricName, error, alert);
    }

    @Override
    public String toString() {
        return "AnomalyResult{key=" + key + ", score=" + score + ", cause=" + cause
                + (metric >= 0 ? ", metric=" + metric + (metricName != null ? " (" + metricName + ")" : "") : "")
                + ", error=" + error + (alert ? ", ALERT" : "") + ", event=" + event + "}";
    }
}
