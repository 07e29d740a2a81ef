package io.flinkrecurrent.anomaly.flink;

import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.anomaly.Cause;
import io.flinkrecurrent.flink.OutputEmitter;
import io.flinkrecurrent.flink.StepContext;

/** The detector's output for one event as an {@link AnomalyResult}: score, cause, the metric that set it, the alert. */
@Internal
final class ResultEmitter<T, K> implements OutputEmitter<T, K, AnomalyResult<T, K>> {
    private final int width;
    private final String[] names;
    private final float threshold;

    ResultEmitter(int width, String[] names, float threshold) {
        this.width = width;
        this.names = names;
        this.threshold = threshold;
    }

    @Override
    public AnomalyResult<T, K> emit(T event, float[] y, StepContext<K> ctx) {
        float score = y[0];
        int metric = DetectorModels.metricOf(width, y);
        return new AnomalyResult<>(event, ctx.key(), score, Cause.of(y), metric,
                metric < 0 || names == null ? null : names[metric], y[1], score >= threshold);
    }
}
