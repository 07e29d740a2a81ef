package io.flinkrecurrent.anomaly.sql;

import io.flinkrecurrent.anomaly.AnomalyDetector;
import io.flinkrecurrent.anomaly.Cause;
import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.RecurrentNetwork;

/**
 * The one place that picks the detector for a key's number of metrics, and reads its output: a key of
 * one metric is the univariate {@link AnomalyDetector} (output {@code [score, forecast error, cause]}; its
 * fingerprint is the anomaly job's, so its states are those of existing savepoints).
 */
@Internal
final class DetectorModels {
    private DetectorModels() {}

    /**
     * The detector over {@code metrics} values per row.
     *
     * @throws IllegalArgumentException when the forecaster or the parameters do not fit it, or no detector takes that many metrics
     */
    static RecurrentModel forWidth(RecurrentNetwork forecaster, AnomalyDetector.Params params, int metrics) {
        if (metrics == 1) {
            return new AnomalyDetector(forecaster, params);
        }
        throw new IllegalArgumentException("features names " + metrics + " columns; the detector of this version takes one");
    }

    /** The cause in a detector's output. */
    static Cause cause(float[] y) {
        return Cause.of(y);
    }

    /** The index of the metric that set the score in a detector's output of a key of {@code metrics} metrics; -1 for none. */
    static int metric(float[] y, int metrics) {
        return Cause.of(y) == Cause.NONE ? -1 : 0;
    }
}
