package io.flinkrecurrent.anomaly.sql;

import io.flinkrecurrent.anomaly.AnomalyDetector;
import io.flinkrecurrent.anomaly.Cause;
import io.flinkrecurrent.anomaly.DetectorParams;
import io.flinkrecurrent.anomaly.VectorDetector;
import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.RecurrentNetwork;

/**
 * The one place that picks the detector for a key's number of metrics, and reads its output. A key of
 * one metric is the univariate {@link AnomalyDetector} (output {@code [score, forecast error, cause]}): its
 * fingerprint is the anomaly job's, the one existing savepoints hold. A key of several is the
 * {@link VectorDetector} over them, its metrics combined by the largest z (output
 * {@code [score, forecast error, cause, metric or -1]}).
 */
@Internal
final class DetectorModels {
    private DetectorModels() {}

    /**
     * The detector over {@code metrics} values per row.
     *
     * @throws IllegalArgumentException when the forecaster or the parameters do not fit it
     */
    static RecurrentModel forWidth(RecurrentNetwork forecaster, DetectorParams params, int metrics) {
        return metrics == 1 ? new AnomalyDetector(forecaster, params) : new VectorDetector(forecaster, params, metrics);
    }

    /** The cause in a detector's output. */
    static Cause cause(float[] y) {
        return Cause.of(y);
    }

    /** The index of the metric that set the score in the output of a detector of {@code metrics} metrics; -1 for none. */
    static int metric(float[] y, int metrics) {
        if (metrics > 1) {
            return (int) y[VectorDetector.METRIC];
        }
        return Cause.of(y) == Cause.NONE ? -1 : 0;
    }
}
