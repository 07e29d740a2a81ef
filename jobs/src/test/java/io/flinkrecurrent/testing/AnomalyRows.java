package io.flinkrecurrent.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.flinkrecurrent.anomaly.AnomalyDetector;
import io.flinkrecurrent.anomaly.Cause;
import io.flinkrecurrent.anomaly.DetectorParams;
import io.flinkrecurrent.anomaly.Forecasters;
import io.flinkrecurrent.anomaly.VectorDetector;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.Scratch;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * What the tests of the {@code anomaly} SQL function in the jobs share: NAB files read as they are
 * ({@code timestamp,value}, gzipped), the compact detector over the bundled forecaster stepped directly
 * over a key's values (or vectors), and each result as one line {@code score cause metric alert}.
 */
public final class AnomalyRows {
    /** NAB, as the jobs' tests hold it. */
    public static final Path NAB = Path.of("src/test/resources/nab/data");

    private AnomalyRows() {}

    /** A NAB file's lines (its header first), unzipped. */
    public static List<String> lines(Path csvGz) throws IOException {
        List<String> lines = new ArrayList<>();
        try (InputStream in = new GZIPInputStream(Files.newInputStream(csvGz));
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                lines.add(line);
            }
        }
        return lines;
    }

    /** The values of a NAB file's lines (its header left out). */
    public static double[] values(List<String> lines) {
        return lines.stream().skip(1).mapToDouble(l -> Double.parseDouble(l.split(",")[1])).toArray();
    }

    /**
     * The {@code anomaly} function's default detector (compact, the bundled forecaster) stepped directly over
     * one key's values, each result as a {@link #line}; the metric column is {@code metric}.
     */
    public static List<String> direct(double[] values, String metric) {
        double[][] rows = new double[values.length][];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = new double[] {values[i]};
        }
        return direct(rows, List.of(metric));
    }

    /**
     * The same over one key's rows of several metrics (the vector detector's, with its default combination), the
     * metric columns named {@code metrics}; one metric is the univariate detector's, as the function picks it.
     */
    public static List<String> direct(double[][] rows, List<String> metrics) {
        RecurrentModel d = metrics.size() == 1 ? AnomalyDetector.compact(Forecasters.bundled())
                : new VectorDetector(Forecasters.bundled(), DetectorParams.COMPACT, metrics.size());
        float[] state = d.newState();
        Scratch scratch = d.newScratch();
        float[] y = new float[d.outputSize()];
        float[] x = new float[metrics.size()];
        List<String> out = new ArrayList<>();
        for (double[] row : rows) {
            for (int m = 0; m < x.length; m++) {
                x[m] = (float) row[m];
            }
            d.step(y, state, x, scratch);
            Cause c = Cause.of(y);
            int metric = c == Cause.NONE ? -1 : metrics.size() == 1 ? 0 : (int) y[VectorDetector.METRIC];
            out.add(y[0] + " " + c.label() + " " + (metric < 0 ? null : metrics.get(metric)) + " "
                    + (y[0] >= DetectorParams.COMPACT.alarmScore()));
        }
        return out;
    }

    /** A result row of the function, as JSON, as a {@link #line}. */
    public static String line(JsonNode row) {
        return (float) row.get("score").asDouble() + " " + row.get("cause").asText() + " "
                + (row.get("metric").isNull() ? null : row.get("metric").asText()) + " " + row.get("alert").asBoolean();
    }
}
