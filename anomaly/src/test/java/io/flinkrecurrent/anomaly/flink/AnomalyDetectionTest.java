package io.flinkrecurrent.anomaly.flink;

import io.flinkrecurrent.anomaly.AnomalyDetector;
import io.flinkrecurrent.anomaly.Combination;
import io.flinkrecurrent.anomaly.DetectorParams;
import io.flinkrecurrent.anomaly.Forecasters;
import io.flinkrecurrent.anomaly.VectorDetector;
import io.flinkrecurrent.cell.RecurrentModel;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The builder without a cluster: the detector it picks for a width, and its errors. */
class AnomalyDetectionTest {

    /**
     * One metric runs the anomaly job's detector (its fingerprint is what that job's savepoints hold), several
     * the vector detector over them all; each with the forecaster and parameters given.
     */
    @Test
    void theDetectorForAWidth() {
        var forecaster = Forecasters.bundled();
        RecurrentModel one = AnomalyDetection.keyBy(ServerReading::host).metric(r -> r.cpu).detector();
        assertInstanceOf(AnomalyDetector.class, one);
        assertEquals(new AnomalyDetector(forecaster, DetectorParams.COMPACT).fingerprint(), one.fingerprint());

        RecurrentModel three = AnomalyDetection.keyBy(ServerReading::host).metrics(3, r -> r.values)
                .params(DetectorParams.COMPACT_1).detector();
        assertInstanceOf(VectorDetector.class, three);
        assertEquals(3, three.inputSize());
        assertEquals(new VectorDetector(forecaster, DetectorParams.COMPACT_1, 3).fingerprint(), three.fingerprint());
        RecurrentModel threeByMax = AnomalyDetection.keyBy(ServerReading::host).metrics(3, r -> r.values)
                .params(DetectorParams.COMPACT_1).combination(Combination.max()).detector();
        assertEquals(new VectorDetector(forecaster, DetectorParams.COMPACT_1, 3, Combination.max()).fingerprint(),
                threeByMax.fingerprint(), "the combination asked for");
        assertNotEquals(three.fingerprint(), threeByMax.fingerprint());
        // the state per key docs/anomaly.md gives
        assertEquals(1_860, one.stateSize());
        assertEquals(7_144, AnomalyDetection.keyBy(ServerReading::host).metrics(4, r -> r.values).detector().stateSize());
        assertEquals(66_984, AnomalyDetection.keyBy(ServerReading::host).metrics(38, r -> r.values).detector().stateSize());
    }

    @Test
    void theBuilderNamesWhatIsMissingOrWrong() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        var in = env.fromData(TypeInformation.of(ServerReading.class), ServerReading.servers(1).toArray(new ServerReading[0]));
        var noMetrics = AnomalyDetection.keyBy(ServerReading::host);
        assertEquals("anomaly detection needs metric(...) or metrics(...) before apply",
                assertThrows(IllegalStateException.class, () -> noMetrics.apply(in)).getMessage());
        var names = AnomalyDetection.keyBy(ServerReading::host).metric(r -> r.cpu).metricNames("cpu", "mem");
        assertEquals("2 metric names [cpu, mem] for 1 metrics",
                assertThrows(IllegalStateException.class, () -> names.apply(in)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> AnomalyDetection.keyBy(ServerReading::host).alertAt(1.5f));
        assertThrows(IllegalArgumentException.class, () -> AnomalyDetection.keyBy(ServerReading::host).alertAt(Float.NaN));
        assertThrows(IllegalArgumentException.class,
                () -> AnomalyDetection.keyBy(ServerReading::host).metrics(0, (x, r) -> {}));
        assertEquals(DetectorParams.COMPACT.alarmScore(),
                AnomalyDetection.keyBy(ServerReading::host).alertThreshold());
    }
}
