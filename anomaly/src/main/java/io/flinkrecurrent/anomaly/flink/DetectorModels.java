package io.flinkrecurrent.anomaly.flink;

import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.anomaly.AnomalyDetector;
import io.flinkrecurrent.anomaly.Cause;
import io.flinkrecurrent.anomaly.DetectorParams;
import io.flinkrecurrent.anomaly.VectorDetector;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.RecurrentNetwork;

/**
 * The one place that picks the detector for a width of metrics, and reads which metric set a score
 * from its output. One metric: {@link AnomalyDetector} (output {@code [score, error, cause]}), whose
 * fingerprint is what the anomaly job's savepoints hold; several: {@link VectorDetector} (output
 * {@code [score, error, cause, metric or -1]}).
 */
@Internal
final class DetectorModels {
    private DetectorModels() {}

    /** The detector over {@code width} metrics per event. */
    static RecurrentModel detector(RecurrentNetwork forecaster, DetectorParams params, int width) {
        return width == 1 ? new AnomalyDetector(forecaster, params) : new VectorDetector(forecaster, params, width);
    }

    /** The index of the metric that set the score in the output {@code y} of {@link #detector}; -1 when its cause is NONE. */
    static int metricOf(int width, float[] y) {
        if (width == 1) {
            return Cause.of(y) == Cause.NONE ? -1 : 0;
        }
        return (int) y[VectorDetector.METRIC];
    }
}
