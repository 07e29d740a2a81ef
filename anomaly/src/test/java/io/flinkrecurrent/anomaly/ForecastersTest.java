package io.flinkrecurrent.anomaly;

import io.flinkrecurrent.model.ModelLoader;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ForecastersTest {
    @Test
    void theBundledForecasterIsTheTrainedFileAndKeepsTheDefaultDetectorsFingerprint() {
        var bundled = Forecasters.bundled();
        assertEquals(ModelLoader.load(Path.of("forecaster/model.safetensors")).network().fingerprint(), bundled.fingerprint());
        // the compact detector's fingerprint as savepoints of the anomaly job record it
        assertEquals("8bf3aef048ab2592", Long.toHexString(AnomalyDetector.compact(bundled).fingerprint()));
    }
}
