package io.flinkrecurrent.anomaly;

import io.flinkrecurrent.annotation.PublicEvolving;
import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.model.ModelLoader;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * The forecaster bundled with the detector: a GRU 1 -> 24 trained by {@code anomaly/forecaster/train.py} on
 * NAB's unscored probationary rows and synthetic series (its data's licence: {@code NAB-LICENSE} beside it).
 */
@PublicEvolving
public final class Forecasters {
    /** Its class path resource. */
    public static final String BUNDLED = "io/flinkrecurrent/anomaly/model.safetensors";

    private Forecasters() {}

    /** The bundled forecaster, loaded from the class path. */
    public static RecurrentNetwork bundled() {
        try (InputStream in = Forecasters.class.getClassLoader().getResourceAsStream(BUNDLED)) {
            if (in == null) {
                throw new IllegalStateException("the bundled forecaster " + BUNDLED + " is missing from the class path");
            }
            return ModelLoader.load(Path.of("classpath:" + BUNDLED), in.readAllBytes(), null).network();
        } catch (IOException e) {
            throw new UncheckedIOException("reading the bundled forecaster " + BUNDLED, e);
        }
    }
}
