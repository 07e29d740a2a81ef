package io.flinkrecurrent.jobs;

import io.flinkrecurrent.anomaly.AnomalyDetector;
import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.flink.Recurrent;
import io.flinkrecurrent.nab.NabScorer;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import io.flinkrecurrent.options.Option;
import io.flinkrecurrent.options.OptionSet;
import io.flinkrecurrent.options.ParsedOptions;
import io.flinkrecurrent.options.UsageException;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code nab}: runs the anomaly detector over the NAB corpus on an embedded Flink, one key per file,
 * writes NAB's results layout and scores it with {@link NabScorer}.
 */
public final class NabRun {
    public static final String DETECTOR = "flinkRecurrent";
    static final Option<Path> NAB_DIR = Option.path("nab-dir", "DIR", "NAB's folder: data/, labels/, results/final_results.json (e.g. ../shared/nab); required");
    static final Option<Path> OUT = Option.path("out", "DIR2", "where to write the scores; required");
    static final Option<String> FILES = Option.text("files", "LIST",
            "only these files (relative paths, comma-separated): a partial run, scored alone", null);
    static final Option<String> PLOT = Option.text("plot", "LIST|all", """
            draw DIR2/plots/<category>/<file>.png for these files: values, labelled windows,
            scores, and the detections at the standard profile's threshold""", null);
    static final Option<Integer> PARALLELISM = Option.integer("parallelism", "N", "Flink's parallelism", 2, 1);
    static final Option<String> COMPARE = Option.text("compare", "NAME", """
            also break down a published detector's raw scores (DIR/results/NAME, e.g. numenta)
            the same way, at its own standard threshold""", null);
    static final Option<Boolean> ABLATION = Option.flag("ablation", """
            also score variants of the detector (each part switched off in turn, and
            neighbouring settings), stepped in this JVM without Flink (after checking that the
            full one gives Flink's scores), on all files and on each half of them""");
    static final Option<String> PARAMS = Option.text("params", "NAME=V,...", """
            the detector with some parameters changed from its defaults (window, hold, memory, smooth,
            tolerance, alarm, quiet, level, levelWeight, error, value, novelty), to measure a variant""", null);
    static final OptionSet OPTIONS = OptionSet.of(NAB_DIR, OUT, FILES, PLOT, PARALLELISM, JobSupport.MODEL.withDefault(null, null),
            COMPARE, ABLATION, PARAMS);

    public static final String USAGE = """
            nab --nab-dir DIR --out DIR2 [--files a.csv,b.csv] [--plot a.csv,b.csv|all] [--parallelism N]
                [--compare NAME] [--ablation]

            Runs the anomaly job's detector over every NAB data file (one key per file, rows in order, on an
            embedded Flink), writes DIR2/<category>/flinkRecurrent_<file>.csv (timestamp,anomaly_score, one row
            per data row) and scores them as NAB does (SCORING.md): the three profiles beside the published board,
            and what the standard profile's threshold detects (DIR2/report.txt has it file by file).

            """ + OPTIONS.help();

    private NabRun() {}

    public static void run(String[] args, PrintStream out) throws Exception {
        ParsedOptions p = OPTIONS.parse("nab", args);
        Path nab = p.require(NAB_DIR, "");
        Path outDir = p.require(OUT, "");
        long t0 = System.nanoTime();
        Map<String, NabScorer.LabelledFile> corpus = NabScorer.corpus(nab);
        if (p.has(FILES)) {
            Map<String, NabScorer.LabelledFile> subset = new LinkedHashMap<>();
            for (String f : p.get(FILES).split(",")) {
                NabScorer.LabelledFile lf = corpus.get(f.trim());
                if (lf == null) {
                    throw new UsageException("nab", "no NAB file '" + f.trim() + "' (names look like realKnownCause/nyc_taxi.csv)");
                }
                subset.put(lf.name(), lf);
            }
            corpus = subset;
        }
        List<KeyedEvent> events = new ArrayList<>();
        Map<String, float[]> values = new LinkedHashMap<>();
        for (String f : corpus.keySet()) {
            float[] v = io.flinkrecurrent.nab.NabPlot.values(nab.resolve("data").resolve(f));
            for (int i = 0; i < v.length; i++) {
                events.add(new KeyedEvent(f, new float[] {v[i]}).withId(i));
            }
            values.put(f, v);
        }
        out.printf(Locale.ROOT, "nab: %d files, %,d rows read in %.1f s%n", corpus.size(), events.size(), (System.nanoTime() - t0) / 1e9);

        RecurrentNetwork forecaster = JobSupport.model(p, AnomalyJob.MODEL);
        AnomalyDetector detector = p.has(PARAMS)
                ? new AnomalyDetector(forecaster, AnomalyDetector.Params.DEFAULTS.with(p.get(PARAMS)))
                : AnomalyDetector.withDefaults(forecaster);
        out.println("nab: " + detector.params().describe() + ", " + detector.stateSize() + " floats of state per key");
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(p.get(PARALLELISM));
        DataStream<KeyedEvent> in = env.fromData(TypeInformation.of(KeyedEvent.class), events.toArray(new KeyedEvent[0]))
                .name("nab-rows").setParallelism(1);
        Map<String, double[]> scores = new LinkedHashMap<>();
        corpus.forEach((f, lf) -> scores.put(f, new double[lf.timestamps().size()]));
        long t1 = System.nanoTime();
        long n = 0;
        out.printf("nab: running the detector on Flink (parallelism %d) ...%n", env.getParallelism());
        try (CloseableIterator<io.flinkrecurrent.flink.RecurrentOutput> it =
                     Recurrent.builder(detector).name("anomaly").apply(in).executeAndCollect("nab")) {
            while (it.hasNext()) {
                var o = it.next();
                scores.get(o.key)[(int) o.id] = o.output[0];
                if (++n % 100_000 == 0) {
                    out.printf(Locale.ROOT, "nab:   %,d of %,d rows scored%n", n, events.size());
                }
            }
        }
        if (n != events.size()) {
            throw new IllegalStateException("the detector returned " + n + " scores for " + events.size() + " rows");
        }
        out.printf(Locale.ROOT, "nab: %,d rows scored in %.1f s%n", n, (System.nanoTime() - t1) / 1e9);

        for (var e : corpus.entrySet()) {
            write(outDir, e.getValue(), scores.get(e.getKey()));
        }
        out.println("nab: scores written to " + outDir + "/<category>/" + DETECTOR + "_<file>.csv");
        double threshold = printScores(nab, corpus, scores, out);
        report(DETECTOR, outDir, corpus, scores, threshold, out);
        if (p.has(COMPARE)) {
            String other = p.get(COMPARE);
            Path dir = nab.resolve("results").resolve(other);
            if (!Files.isDirectory(dir)) {
                throw new UsageException("nab", "--compare: no raw scores of '" + other + "' in " + dir.getParent());
            }
            Map<String, double[]> theirs = NabScorer.readScores(dir, other, corpus.keySet());
            NabScorer.Result r = NabScorer.score(corpus, theirs, NabScorer.PROFILES.get(0));
            out.printf(Locale.ROOT, "nab: %s's raw scores: standard %.2f%n", other, r.score());
            report(other, outDir.resolve("compare").resolve(other), corpus, theirs, r.threshold(), out);
        }
        if (p.has(PLOT)) {
            List<String> plots = p.get(PLOT).equals("all") ? new ArrayList<>(corpus.keySet()) : List.of(p.get(PLOT).split(","));
            for (String f : plots) {
                NabScorer.LabelledFile lf = corpus.get(f.trim());
                if (lf == null) {
                    throw new UsageException("nab", "--plot: no file '" + f.trim() + "' in this run");
                }
                Path png = outDir.resolve("plots").resolve(lf.name().replace(".csv", ".png"));
                io.flinkrecurrent.nab.NabPlot.draw(png, lf.name() + " - " + DETECTOR, lf, values.get(lf.name()),
                        scores.get(lf.name()), threshold);
                out.println("nab: drew " + png);
            }
        }
        if (p.get(ABLATION)) {
            ablation(forecaster, corpus, values, scores, out);
        }
        out.printf(Locale.ROOT, "nab: done in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }

    /** A variant of the detector for {@code --ablation}; {@code untrained}: a GRU of random weights. */
    record Variant(String name, AnomalyDetector.Params params, boolean untrained) {}

    /** The detector's variants that {@code --ablation} scores: each part switched off in turn. */
    static List<Variant> variants() {
        AnomalyDetector.Params d = AnomalyDetector.Params.DEFAULTS;
        List<Variant> v = new ArrayList<>();
        AnomalyDetector.Params noRule = d.withTolerance(-1f).withLevel(0);
        v.add(new Variant("the detector (defaults)", d, false));
        v.add(new Variant("without the all-time range rule", d.withTolerance(-1f), false));
        v.add(new Variant("no quiet rows: every new extreme, every alarm counts", d.withQuiet(0), false));
        v.add(new Variant("quiet rows after the range rule's alarms only", d.withAlarm(Float.POSITIVE_INFINITY), false));
        v.add(new Variant("without the level's z", d.withLevel(0), false));
        v.add(new Variant("without the hidden state's novelty", d.using(true, true, false), false));
        v.add(new Variant("without the forecast error", d.using(false, true, true), false));
        v.add(new Variant("without the value's z", d.using(true, false, true), false));
        v.add(new Variant("without the hold (every z counts)", d.withHold(1), false));
        v.add(new Variant("forecast error not averaged", d.withSmooth(1), false));
        v.add(new Variant("the GRU alone: forecast error and novelty", noRule.using(true, false, true), false));
        v.add(new Variant("the forecast error alone", noRule.using(true, false, false), false));
        v.add(new Variant("the hidden state's novelty alone", noRule.using(false, false, true), false));
        v.add(new Variant("the range rule alone", d.using(false, false, false).withLevel(0), false));
        v.add(new Variant("untrained GRU: novelty alone", noRule.using(false, false, true), true));
        v.add(new Variant("untrained GRU: without the forecast error", d.using(false, true, true), true));
        v.add(new Variant("the last release (no quiet rows, no level)", d.withQuiet(0).withLevel(0), false));
        v.add(new Variant("the first release (error and value z, hold)", noRule.using(true, true, false).withSmooth(1), false));
        // neighbouring settings of the parts found last
        for (int rows : new int[] {40, 60}) {
            v.add(new Variant("level over " + rows + " rows", d.withLevel(rows), false));
        }
        for (float w : new float[] {2.5f, 3.5f}) {
            v.add(new Variant("level's weight " + w, d.withLevelWeight(w), false));
        }
        for (float z : new float[] {12f, 14f, 16f, 18f}) {
            v.add(new Variant("alarm at z " + (int) z, d.withAlarm(z), false));
        }
        for (int q : new int[] {5, 10, 50}) {
            v.add(new Variant(q + " quiet rows", d.withQuiet(q), false));
        }
        return v;
    }

    /**
     * A control for the ablation: a one-layer GRU of the forecaster's hidden size with random weights (seed 1; input
     * weights N(0, 9), recurrent N(0, 1 / hidden), input biases N(0, 0.25)) and a zero head.
     */
    static RecurrentNetwork untrainedGru(int hidden) {
        java.util.Random r = new java.util.Random(1);
        float[] wih = new float[3 * hidden];
        float[] whh = new float[3 * hidden * hidden];
        float[] bih = new float[3 * hidden];
        for (int i = 0; i < wih.length; i++) {
            wih[i] = (float) (3 * r.nextGaussian());
        }
        for (int i = 0; i < whh.length; i++) {
            whh[i] = (float) (r.nextGaussian() / Math.sqrt(hidden));
        }
        for (int i = 0; i < bih.length; i++) {
            bih[i] = (float) (0.5 * r.nextGaussian());
        }
        return RecurrentNetwork.builder(io.flinkrecurrent.cell.CellType.GRU, 1, hidden)
                .layer(wih, whh, bih, new float[3 * hidden])
                .head(new float[hidden], new float[1], io.flinkrecurrent.cell.Activation.IDENTITY).build();
    }

    /** Scores each variant in this JVM (the same {@code step} the operator calls, one key per file). */
    static void ablation(RecurrentNetwork forecaster, Map<String, NabScorer.LabelledFile> corpus, Map<String, float[]> values,
                         Map<String, double[]> flinkScores, PrintStream out) {
        List<Variant> variants = variants();
        out.println();
        out.printf("nab: ablation, %d variants stepped in this JVM ...%n", variants.size());
        out.printf("%-58s %10s %20s %20s %10s %10s%n", "variant", "standard", "reward_low_FP_rate", "reward_low_FN_rate",
                "odd_files", "even_files");
        // the two halves of the corpus (files at odd and even places in its order), each scored with its own threshold
        List<Map<String, NabScorer.LabelledFile>> halves = List.of(new LinkedHashMap<>(), new LinkedHashMap<>());
        int place = 0;
        for (var e : corpus.entrySet()) {
            halves.get(place++ % 2).put(e.getKey(), e.getValue());
        }
        boolean first = true;
        RecurrentNetwork untrained = untrainedGru(forecaster.layer(0).hiddenSize());
        for (Variant variant : variants) {
            AnomalyDetector d = new AnomalyDetector(variant.untrained() ? untrained : forecaster, variant.params());
            Map<String, double[]> scores = new java.util.concurrent.ConcurrentHashMap<>();
            values.entrySet().parallelStream().forEach(f -> scores.put(f.getKey(), scoreInProcess(d, f.getValue())));
            if (first) {
                for (var f : flinkScores.entrySet()) {
                    if (!java.util.Arrays.equals(f.getValue(), scores.get(f.getKey()))) {
                        throw new IllegalStateException(f.getKey() + ": the in-process detector differs from the Flink run");
                    }
                }
                first = false;
            }
            StringBuilder row = new StringBuilder(String.format("%-58s", variant.name()));
            for (NabScorer.Profile pr : NabScorer.PROFILES) {
                row.append(String.format(Locale.ROOT, pr.name().equals("standard") ? " %10.2f" : " %20.2f",
                        NabScorer.score(corpus, scores, pr).score()));
            }
            for (Map<String, NabScorer.LabelledFile> half : halves) {
                row.append(String.format(" %10s", halfScore(half, scores)));
            }
            out.println(row);
        }
        out.println("nab: the first row's scores equal the Flink run's, row for row");
    }

    /**
     * The standard profile's score of some of the files, with their own threshold; "-" when none of them
     * has a labelled window (as on a --files run): then the null and the perfect detector both score 0.
     */
    static String halfScore(Map<String, NabScorer.LabelledFile> files, Map<String, double[]> scores) {
        if (files.values().stream().allMatch(f -> f.windows().isEmpty())) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.2f", NabScorer.score(files, scores, NabScorer.PROFILES.get(0)).score());
    }

    /** One key's scores, the detector stepped over its values in order. */
    static double[] scoreInProcess(AnomalyDetector d, float[] values) {
        float[] state = new float[d.stateSize()];
        io.flinkrecurrent.cell.Scratch scratch = d.newScratch();
        float[] x = new float[1];
        float[] o = new float[d.outputSize()];
        double[] s = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            x[0] = values[i];
            d.step(o, state, x, scratch);
            s[i] = o[0];
        }
        return s;
    }

    static void write(Path outDir, NabScorer.LabelledFile f, double[] s) throws IOException {
        String[] parts = f.name().split("/", 2);
        Path csv = outDir.resolve(parts[0]).resolve(DETECTOR + "_" + parts[1]);
        Files.createDirectories(csv.getParent());
        try (Writer w = Files.newBufferedWriter(csv, StandardCharsets.UTF_8)) {
            w.write("timestamp,anomaly_score\n");
            for (int i = 0; i < s.length; i++) {
                w.write(f.timestamps().get(i));
                w.write(',');
                w.write(Double.toString(s[i]));
                w.write('\n');
            }
        }
    }

    /**
     * What the standard profile's threshold detects: the totals printed, file by file in {@code DIR2/report.txt}.
     */
    static void report(String who, Path outDir, Map<String, NabScorer.LabelledFile> corpus, Map<String, double[]> scores,
                       double threshold, PrintStream out) throws IOException {
        NabScorer.Profile standard = NabScorer.PROFILES.get(0);
        List<NabScorer.FileBreakdown> files = NabScorer.breakdown(corpus, scores, standard, threshold);
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT,
                "# at the standard profile's threshold %.6f%n%-58s %7s %8s %9s %15s %8s %8s%n", threshold, "file",
                "windows", "detected", "tp_weight", "false_positives", "fp_cost", "raw"));
        int windows = 0;
        int detected = 0;
        int fps = 0;
        double tp = 0;
        double fpCost = 0;
        for (NabScorer.FileBreakdown f : files) {
            text.append(String.format(Locale.ROOT, "%-58s %7d %8d %9.3f %15d %8.3f %8.3f%n", f.name(), f.windows(),
                    f.detected(), f.tpWeight(), f.falsePositives(), f.fpCost(), f.raw()));
            windows += f.windows();
            detected += f.detected();
            fps += f.falsePositives();
            tp += f.tpWeight();
            fpCost += f.fpCost();
        }
        Path file = outDir.resolve("report.txt");
        Files.createDirectories(outDir);
        Files.writeString(file, text);
        out.printf(Locale.ROOT, "nab: %s at its standard threshold: %d of %d windows detected (mean weight %.3f of 1), "
                        + "%d false positives (cost %.2f); file by file in %s%n", who, detected, windows,
                detected == 0 ? 0 : tp / detected, fps, -fpCost, file);
    }

    /** Prints the three profiles' scores (and the board for a full run); returns the standard profile's threshold. */
    static double printScores(Path nab, Map<String, NabScorer.LabelledFile> corpus, Map<String, double[]> scores,
                              PrintStream out) throws IOException {
        boolean full = corpus.size() == 58;
        out.println();
        out.printf("%-22s %10s %20s %20s%n", "detector", "standard", "reward_low_FP_rate", "reward_low_FN_rate");
        StringBuilder ours = new StringBuilder(String.format("%-22s", DETECTOR + (full ? "" : " (partial)")));
        double threshold = 1;
        for (NabScorer.Profile pr : NabScorer.PROFILES) {
            NabScorer.Result r = NabScorer.score(corpus, scores, pr);
            ours.append(String.format(Locale.ROOT, pr.name().equals("standard") ? " %10.2f" : " %20.2f", r.score()));
            if (pr.name().equals("standard")) {
                threshold = r.threshold();
            }
        }
        out.println(ours + String.format(Locale.ROOT, "   (standard threshold %.6f)", threshold));
        Path board = nab.resolve("results/final_results.json");
        if (full && Files.exists(board)) {
            var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(board.toFile());
            List<Map.Entry<String, Double>> rows = new ArrayList<>();
            json.fields().forEachRemaining(e -> rows.add(Map.entry(e.getKey(), e.getValue().get("standard").asDouble())));
            rows.sort((a, b) -> Double.compare(b.getValue(), a.getValue()));
            for (var r : rows) {
                var d = json.get(r.getKey());
                out.printf(Locale.ROOT, "%-22s %10.2f %20.2f %20.2f   (published)%n", r.getKey(), d.get("standard").asDouble(),
                        d.get("reward_low_FP_rate").asDouble(), d.get("reward_low_FN_rate").asDouble());
            }
        }
        return threshold;
    }
}
