package io.flinkrecurrent.anomaly.sql;

import io.flinkrecurrent.anomaly.AnomalyDetector;
import io.flinkrecurrent.anomaly.Combination;
import io.flinkrecurrent.anomaly.VectorDetector;
import io.flinkrecurrent.anomaly.Forecasters;
import io.flinkrecurrent.anomaly.DetectorParams;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A call as a key's timers find it again after a restore: {@link AnomalyCall#encode()} and {@link AnomalyCall#decode}. */
class AnomalyCallTest {
    @Test
    void aSavedCallReadsBackWithItsNamesPathAndThreshold() {
        String forecaster = Path.of("forecaster/model.safetensors").toAbsolutePath().toString();
        List<String> names = List.of("cpu;user", "mem,used", "disk=1%", "naïve name");
        AnomalyCall call = new AnomalyCall("Compact-1", 0.75, forecaster, names);
        AnomalyCall back = AnomalyCall.decode(call.encode());
        assertEquals(AnomalyCall.Detector.COMPACT_1, back.detector);
        assertEquals(forecaster, back.forecaster);
        assertEquals(names, back.features);
        assertEquals(0.75f, back.threshold);
        assertEquals(call.encode(), back.encode());
        assertTrue(back.sameAs("compact-1", 0.75, forecaster, names));
    }

    @Test
    void leftOutArgumentsAreTheDefaults() {
        AnomalyCall call = AnomalyCall.decode(new AnomalyCall(null, null, null, List.of("v")).encode());
        assertEquals(AnomalyCall.Detector.COMPACT, call.detector);
        assertNull(call.forecaster);
        assertNull(call.givenThreshold);
        assertEquals(DetectorParams.COMPACT.alarmScore(), call.threshold);
        assertEquals(AnomalyDetector.compact(Forecasters.bundled()).fingerprint(), call.model().fingerprint(),
                "the compact detector over the bundled forecaster: the anomaly job's");
        assertTrue(call.sameAs(null, null, null, List.of("v")));
        assertTrue(!call.sameAs(null, 0.5, null, List.of("v")) && !call.sameAs("windowed", null, null, List.of("v")));
    }

    @Test
    void theCombinationOfSeveralMetricsIsTheCallsOwnAndReadsBack() {
        List<String> names = List.of("cpu", "mem");
        var bundled = Forecasters.bundled();
        assertEquals(new VectorDetector(bundled, DetectorParams.COMPACT, 2, Combination.DEFAULT).fingerprint(),
                new AnomalyCall(null, null, null, names).model().fingerprint(), "by default the tuned combination");
        AnomalyCall max = AnomalyCall.decode(new AnomalyCall(null, null, null, names, "MAX").encode());
        assertEquals(new VectorDetector(bundled, DetectorParams.COMPACT, 2, Combination.max()).fingerprint(), max.model().fingerprint());
        assertTrue(max.sameAs(null, null, null, names, "MAX") && !max.sameAs(null, null, null, names));
        AnomalyCall top = AnomalyCall.decode(new AnomalyCall(null, null, null, names, "top=2, range_metrics=1").encode());
        assertEquals(new VectorDetector(bundled, DetectorParams.COMPACT, 2, Combination.top(2, 1)).fingerprint(), top.model().fingerprint());
        for (String bad : new String[] {"mean", "top=0,range_metrics=1", "top=3", ""}) {
            var e = assertThrows(IllegalArgumentException.class, () -> new AnomalyCall(null, null, null, names, bad));
            assertTrue(e.getMessage().contains("'combination' is 'max' or 'top=K,range_metrics=R'"), e.getMessage());
        }
    }

    @Test
    void aCallOfAnotherFormIsRefused() {
        assertThrows(IllegalStateException.class, () -> AnomalyCall.decode("anomaly/2;detector=compact"));
    }
}
