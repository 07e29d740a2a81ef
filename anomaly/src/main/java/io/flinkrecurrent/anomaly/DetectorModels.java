package io.flinkrecurrent.anomaly;

import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.RecurrentNetwork;

/**
 * The one place that picks the detector for a width of metrics, and reads which metric set a score
 * from its output, for the typed API ({@code AnomalyDetection}) and the SQL function ({@code anomaly})
 * alike. One metric: {@link AnomalyDetector} (output {@code [score, error, cause]}), whose
 * fingerprint is what the anomaly job's savepoints hold; several: {@link VectorDetector} (output
 * {@code [score, error, cause, metric or -1]}).
 */
@Internal
public final class DetectorModels {
    private DetectorModels() {}

    /** The detector over {@code width} metrics per event, several combined by {@link Combination#DEFAULT}. */
    public static RecurrentModel detector(RecurrentNetwork forecaster, DetectorParams params, int width) {
        return detector(forecaster, params, width, Combination.DEFAULT);
    }

    /** The detector over {@code width} metrics per event, several combined by {@code combination} (unused for one). */
    public static RecurrentModel detector(RecurrentNetwork forecaster, DetectorParams params, int width, Combination combination) {
        return width == 1 ? new AnomalyDetector(forecaster, params) : new VectorDetector(forecaster, params, width, combination);
    }

    /** The index of the metric that set the score in the output {@code y} of {@link #detector}; -1 when its cause is NONE. */
    public static int metricOf(int width, float[] y) {
        if (width == 1) {
            return Cause.of(y) == Cause.NONE ? -1 : 0;
        }
        return (int) y[VectorDetector.METRIC];
    }
}
