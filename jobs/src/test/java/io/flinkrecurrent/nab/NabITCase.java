package io.flinkrecurrent.nab;

import io.flinkrecurrent.anomaly.AnomalyDetector;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.Scratch;
import io.flinkrecurrent.model.ModelLoader;
import io.flinkrecurrent.testing.FlinkTesting;
import io.flinkrecurrent.testing.Golden;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The NAB command on a few files on a mini-cluster, and the detector's lack of look-ahead. */
class NabITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = FlinkTesting.miniCluster();

    static final Path NAB = Path.of("src/test/resources/nab"); // the gzipped copy of NAB
    static final List<String> FILES = List.of("artificialWithAnomaly/art_daily_jumpsup.csv",
            "realKnownCause/ambient_temperature_system_failure.csv", "realAWSCloudwatch/ec2_cpu_utilization_825cc2.csv");

    @TempDir
    Path out;

    @Test
    void nabCommandWritesNabsLayoutScoresAndDraws(@TempDir Path second) throws Exception {
        // a second corpus in NAB's layout for the ablation: one of NAB's files and its windows
        String one = FILES.get(1);
        Files.createDirectories(second.resolve("data").resolve(one).getParent());
        Files.write(second.resolve("data").resolve(one), NabScorer.readLines(NAB.resolve("data").resolve(one)));
        var labels = new com.fasterxml.jackson.databind.ObjectMapper().readTree(NAB.resolve("labels/combined_windows.json").toFile());
        Files.createDirectories(second.resolve("labels"));
        Files.writeString(second.resolve("labels/combined_windows.json"), "{\"" + one + "\": " + labels.get(one) + "}");

        // the bundled forecaster again under another name, for --variants' --models
        Path copy = second.resolve("again.safetensors");
        Files.copy(Path.of("../anomaly/forecaster/model.safetensors"), copy);

        ByteArrayOutputStream text = new ByteArrayOutputStream();
        NabRun.run(new String[] {"--nab-dir", NAB.toString(), "--out", out.toString(), "--files", String.join(",", FILES),
                "--plot", FILES.get(0), "--ablation", "--dev-dir", second.toString(), "--compare", "numenta",
                "--variants", "default;power=0.5", "--models", "../anomaly/forecaster/model.safetensors," + copy},
                new PrintStream(text, true, StandardCharsets.UTF_8));
        String printed = text.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("flinkRecurrent (partial)"), printed);
        // --variants: each variant with each forecaster on both corpora, then the means and the differences
        String standard = printed.lines().filter(l -> l.startsWith("flinkRecurrent (partial)")).findFirst().orElseThrow()
                .split(" +")[2];
        List<String> rows = printed.lines().filter(l -> l.matches("(default|power=0\\.5) +\\S+\\.safetensors .*")).toList();
        assertEquals(4, rows.size(), printed);
        assertEquals(standard, rows.get(0).split(" +")[4], "the default variant with the run's forecaster is the Flink run");
        assertEquals(rows.get(0).replace("model.safetensors", "again.safetensors"), rows.get(2), "the same weights, the same figures");
        assertTrue(!rows.get(0).substring(40).equals(rows.get(1).substring(40)), "the variant is applied: " + rows);
        List<String> means = printed.lines().dropWhile(l -> !l.startsWith("nab: the mean over 2 forecasters")).skip(2).limit(2).toList();
        assertTrue(means.get(0).startsWith("default ") && means.get(0).endsWith("+0.00           +0.00"), means.toString());
        String[] v = means.get(1).split(" +");
        double difference = Double.parseDouble(v[v.length - 2]);
        double nabMean = Double.parseDouble(v[2]);
        assertEquals(nabMean - Double.parseDouble(standard), difference, 0.011, means.toString()); // each figure rounded to 0.01
        // the ablation's in-process detector gave the Flink run's scores (it checks, and throws otherwise)
        assertTrue(printed.contains("the detector stepped in this JVM gives the Flink run's scores, row for row"), printed);
        // every variant, on both corpora: 5 figures each
        String ablated = printed.lines().filter(l -> l.startsWith("compact: without the hidden state's novelty")).findFirst().orElseThrow();
        assertEquals(2, ablated.chars().filter(c -> c == '|').count(), ablated);
        assertTrue(ablated.matches(".* 282 +\\| +(\\S+ +){4}\\S+ +\\| +(\\S+ +){4}\\S+"), ablated);
        assertTrue(printed.contains("without the hidden state's novelty"), printed);
        // what the threshold detects, file by file, for this detector and for a published one
        assertTrue(printed.contains("flinkRecurrent at its standard threshold: "), printed);
        assertTrue(printed.contains("numenta at its standard threshold: "), printed);
        for (Path report : List.of(out.resolve("report.txt"), out.resolve("compare/numenta/report.txt"))) {
            List<String> lines = Files.readAllLines(report);
            assertEquals(2 + FILES.size(), lines.size(), report + ": " + lines);
            for (int i = 0; i < FILES.size(); i++) {
                assertTrue(lines.get(2 + i).startsWith(FILES.get(i) + " "), lines.get(2 + i));
            }
        }
        for (String f : FILES) {
            List<String> data = NabScorer.readLines(NAB.resolve("data").resolve(f));
            String[] parts = f.split("/");
            List<String> scores = Files.readAllLines(out.resolve(parts[0]).resolve("flinkRecurrent_" + parts[1]));
            assertEquals("timestamp,anomaly_score", scores.get(0));
            assertEquals(data.size(), scores.size(), f + ": one score per data row");
            for (int i = 1; i < data.size(); i++) {
                String ts = data.get(i).substring(0, data.get(i).indexOf(','));
                String[] row = scores.get(i).split(",");
                assertEquals(ts, row[0], f + " row " + i + ": same order");
                double s = Double.parseDouble(row[1]);
                assertTrue(s >= 0 && s <= 1, f + " row " + i + ": score " + s);
            }
        }
        BufferedImage png = ImageIO.read(out.resolve("plots/artificialWithAnomaly/art_daily_jumpsup.png").toFile());
        assertEquals(1400, png.getWidth());
    }

    /**
     * A corpus of files of several metrics (columns m01, m02, ...) and of one value, in one run: each file one
     * key, its rows vectors of its width (one operator per width), scored like any file; the in-JVM stepping
     * that --variants uses gives the Flink run's scores row for row (the run checks and throws otherwise).
     */
    @Test
    void filesOfSeveralMetricsAreOneKeyEachAndScoredLikeAnyFile(@TempDir Path corpus) throws Exception {
        var labels = new com.fasterxml.jackson.databind.ObjectMapper().readTree(NAB.resolve("labels/combined_windows.json").toFile());
        List<String> first = NabScorer.readLines(NAB.resolve("data").resolve(FILES.get(0)));
        float[][] columns = new float[FILES.size()][];
        for (int j = 0; j < FILES.size(); j++) {
            columns[j] = NabPlot.values(NAB.resolve("data").resolve(FILES.get(j)));
        }
        int rows = first.size() - 1; // 4,032: the shortest of the three
        StringBuilder three = new StringBuilder("timestamp,m01,m02,m03\n");
        StringBuilder two = new StringBuilder("timestamp,m01,m02\n");
        for (int i = 0; i < rows; i++) {
            String ts = first.get(i + 1).substring(0, first.get(i + 1).indexOf(','));
            three.append(ts).append(',').append(columns[0][i]).append(',').append(columns[1][i]).append(',').append(columns[2][i]).append('\n');
            two.append(ts).append(',').append(columns[2][i]).append(',').append(columns[1][i]).append('\n');
        }
        Files.createDirectories(corpus.resolve("data/machines"));
        Files.writeString(corpus.resolve("data/machines/three.csv"), three);
        Files.writeString(corpus.resolve("data/machines/two.csv"), two);
        Files.createDirectories(corpus.resolve("data").resolve(FILES.get(0)).getParent());
        Files.write(corpus.resolve("data").resolve(FILES.get(0)), first);
        Files.createDirectories(corpus.resolve("labels"));
        String windows = labels.get(FILES.get(0)).toString();
        Files.writeString(corpus.resolve("labels/combined_windows.json"), "{\"machines/three.csv\": " + windows
                + ", \"machines/two.csv\": " + windows + ", \"" + FILES.get(0) + "\": " + windows + "}");

        ByteArrayOutputStream text = new ByteArrayOutputStream();
        NabRun.run(new String[] {"--nab-dir", corpus.toString(), "--out", out.toString(),
                        "--variants", "default;vectors=max;top=1,rangeMetrics=1;vectors=per-metric;rangeMetrics=1"},
                new PrintStream(text, true, StandardCharsets.UTF_8));
        String printed = text.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("nab: keys of 3 metrics: top=3,rangeMetrics=3, "), printed);
        // the variants' figures (after the name and the forecaster): each applied to the vector keys alone
        java.util.Map<String, String> figures = new java.util.HashMap<>();
        printed.lines().filter(l -> l.matches("(default|vectors=max|top=1,rangeMetrics=1|vectors=per-metric|rangeMetrics=1) +bundled .*"))
                .forEach(l -> figures.put(l.split(" +")[0], l.substring(l.indexOf("bundled") + 7)));
        assertEquals(5, figures.size(), printed);
        assertEquals(figures.get("vectors=max"), figures.get("top=1,rangeMetrics=1"), "top(1, 1) is max");
        assertTrue(!figures.get("default").equals(figures.get("vectors=max")), "the combination is applied: " + figures);
        assertTrue(!figures.get("default").equals(figures.get("vectors=per-metric")), figures.toString());
        assertTrue(!figures.get("default").equals(figures.get("rangeMetrics=1")), figures.toString());
        assertTrue(printed.contains("nab: 3 files, " + String.format("%,d", 3 * rows) + " rows read"), printed);
        assertTrue(printed.contains("the detector stepped in this JVM gives the Flink run's scores, row for row"), printed);
        for (String f : List.of("machines/three.csv", "machines/two.csv")) {
            String[] parts = f.split("/");
            List<String> scores = Files.readAllLines(out.resolve(parts[0]).resolve("flinkRecurrent_" + parts[1]));
            assertEquals(rows + 1, scores.size(), f + ": one score per row of the machine");
            assertEquals(first.get(1).substring(0, first.get(1).indexOf(',')), scores.get(1).split(",")[0]);
        }
        // the univariate file beside them scores as it does alone
        double[] alone = NabAblation.scoreInProcess(new NabAblation.Detectors(ModelLoader.load(Path.of("../anomaly/forecaster/model.safetensors"))
                .network(), io.flinkrecurrent.anomaly.DetectorParams.COMPACT, VectorSpec.DEFAULT), NabData.read(NAB.resolve("data").resolve(FILES.get(0))).rows());
        String[] parts = FILES.get(0).split("/");
        List<String> scores = Files.readAllLines(out.resolve(parts[0]).resolve("flinkRecurrent_" + parts[1]));
        for (int i = 0; i < rows; i++) {
            assertEquals(alone[i], Double.parseDouble(scores.get(i + 1).split(",")[1]), FILES.get(0) + " row " + i);
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"windowed", "compact"})
    void aScoreDependsOnlyOnEarlierRows(String kind) throws Exception {
        RecurrentModel d = new AnomalyDetector(ModelLoader.load(Path.of("../anomaly/forecaster/model.safetensors")).network(),
                kind.equals("compact") ? io.flinkrecurrent.anomaly.DetectorParams.COMPACT : io.flinkrecurrent.anomaly.DetectorParams.WINDOWED);
        float[] values = NabPlot.values(NAB.resolve("data").resolve(FILES.get(1)));
        int k = 2_000;
        float[] full = scores(d, values, values.length);
        float[] prefix = scores(d, java.util.Arrays.copyOf(values, k), k);
        assertArrayEquals(prefix, java.util.Arrays.copyOf(full, k), "the first " + k + " scores with and without the rest");
        // and a change after row k changes nothing before it
        float[] changed = values.clone();
        for (int i = k; i < changed.length; i++) {
            changed[i] = -changed[i] * 7;
        }
        assertArrayEquals(java.util.Arrays.copyOf(full, k), java.util.Arrays.copyOf(scores(d, changed, changed.length), k));
    }

    private static float[] scores(RecurrentModel d, float[] values, int n) {
        float[] state = d.newState();
        Scratch scratch = d.newScratch();
        float[] y = new float[d.outputSize()];
        float[] s = new float[n];
        for (int i = 0; i < n; i++) {
            d.step(y, state, new float[] {values[i]}, scratch);
            s[i] = y[0];
        }
        return s;
    }
}
