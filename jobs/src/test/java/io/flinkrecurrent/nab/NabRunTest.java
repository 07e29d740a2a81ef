package io.flinkrecurrent.nab;

import io.flinkrecurrent.options.UsageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@code nab}'s mistakes in its options are reported before the run, each naming the option (the runs are in NabITCase). */
class NabRunTest {
    @TempDir
    Path out;

    private String refused(String... extra) {
        List<String> args = new ArrayList<>(List.of("--nab-dir", "src/test/resources/nab", "--out", out.toString(),
                "--files", "artificialWithAnomaly/art_daily_jumpsup.csv"));
        args.addAll(List.of(extra));
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        UsageException e = assertThrows(UsageException.class,
                () -> NabRun.run(args.toArray(new String[0]), new PrintStream(text, true, StandardCharsets.UTF_8)));
        assertEquals("nab", e.command());
        assertFalse(text.toString(StandardCharsets.UTF_8).contains("running the detector"), "refused before the run");
        return e.getMessage();
    }

    @Test
    void theVariantsAndTheirOptionsAreCheckedBeforeTheRun() {
        assertEquals("--models is for --variants", refused("--models", "../anomaly/forecaster/model.safetensors"));
        assertEquals("--dev-dir is for --ablation or --variants", refused("--dev-dir", out.toString()));
        assertEquals("--variants: 'lasting=40,nosuch=1': no detector parameter 'nosuch'",
                refused("--variants", "default; lasting=40,nosuch=1"));
        assertEquals("--vectors: top and rangeMetrics must be at least 1; got top 0, rangeMetrics 3", refused("--vectors", "top=0"));
        assertEquals("--vectors: vectors is top, max or per-metric, not 'mean'", refused("--vectors", "mean"));
        assertEquals("--variants: 'power=0.9,top=x': For input string: \"x\"", refused("--variants", "default;power=0.9,top=x"));
        assertEquals("--variants: 'power=2': power is the exponent values are raised to, in (0, 1]; got 2.0",
                refused("--variants", "power=2"));
        assertEquals("--variants: no variant named (expected e.g. 'default;power=0.9')", refused("--variants", " ; "));
    }
}
