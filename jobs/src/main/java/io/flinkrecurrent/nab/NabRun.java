package io.flinkrecurrent.nab;

import io.flinkrecurrent.anomaly.Cause;
import io.flinkrecurrent.anomaly.AnomalyDetector;
import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.jobs.AnomalyJob;
import io.flinkrecurrent.jobs.JobOptions;
import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.flink.Recurrent;
import io.flinkrecurrent.model.ModelLoader;
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
            also score variants of the windowed and the compact detector (each part switched off in
            turn, and neighbouring settings), stepped in this JVM without Flink (after checking that
            the detector run gives Flink's scores), on all files and on each half of them""");
    static final Option<Path> DEV_DIR = Option.path("dev-dir", "DIR3", """
            with --ablation or --variants: a second corpus in NAB's layout (e.g. ../shared/anomaly-dev)
            on which every variant is scored too""");
    static final Option<String> VARIANTS = Option.text("variants", "P1;P2;...", """
            also score these variants of the detector (each 'default' or NAME=V,... as for --params,
            applied to --detector's parameters), stepped in this JVM without Flink, with each
            forecaster of --models, on all files and on each half; then each variant's mean over the
            forecasters and its difference from the first variant's""", null);
    static final Option<String> MODELS = Option.text("models", "F1,F2,...", """
            with --variants: the forecasters' weight files (e.g. the models seed-spread.sh trains);
            default: the run's own forecaster""", null);
    static final Option<String> KIND = Option.choice("detector", """
            compact (DetectorParams.COMPACT): the key's own forecaster, 1,860 floats a key;
            compact-1 (DetectorParams.COMPACT_1): its first version, 1,818 floats a key; windowed
            (DetectorParams.WINDOWED): the detector before them, 28,133 floats a key""",
            "compact", "compact", "compact-1", "windowed");
    static final Option<String> PARAMS = Option.text("params", "NAME=V,...", """
            the detector with some parameters changed (window, hold, memory, smooth, tolerance, alarm,
            quiet, level, levelWeight, error, value, novelty, stride, block, online, likely, rls,
            levelNovelty, power, lasting), to measure a variant""", null);
    static final Option<Integer> LEAVE_OUT = Option.integer("leave-out-below", "N", """
            in files of several metrics, leave out each metric with fewer than N distinct values in the
            file (a look-ahead only a benchmark can make: anomaly-mv-dev's baseline leaves out those below 20)""", null, 1);
    static final Option<String> VECTORS = Option.text("vectors", "SPEC", """
            how a file of several metrics (timestamp,m01,m02,...) is scored, as one key: top=K,rangeMetrics=R
            (the vector detector: the key's z the mean of its K largest metric z, the range rule when R
            metrics leave their range at once), max (the vector detector, the largest z, any metric's
            range), or per-metric (the univariate detector on each metric alone, the largest score per
            row: anomaly-mv-dev's baseline); in --variants, also the names vectors, top and rangeMetrics""",
            "top=3,rangeMetrics=3");
    static final OptionSet OPTIONS = OptionSet.of(NAB_DIR, OUT, FILES, PLOT, PARALLELISM, JobOptions.MODEL.withDefault(null, null),
            COMPARE, KIND, PARAMS, ABLATION, DEV_DIR, VARIANTS, MODELS, LEAVE_OUT, VECTORS);

    public static final String USAGE = """
            nab --nab-dir DIR --out DIR2 [--files a.csv,b.csv] [--plot a.csv,b.csv|all] [--parallelism N]
                [--compare NAME] [--detector compact|compact-1|windowed] [--params NAME=V,...] [--ablation]
                [--variants P1;P2;... [--models F1,F2,...]] [--dev-dir DIR3] [--vectors SPEC] [--leave-out-below N]

            Runs the anomaly job's detector over every NAB data file (one key per file, rows in order, on an
            embedded Flink), writes DIR2/<category>/flinkRecurrent_<file>.csv (timestamp,anomaly_score, one row
            per data row) and scores them as NAB does (SCORING.md): the three profiles beside the published board,
            and what the standard profile's threshold detects (DIR2/report.txt has it file by file). A data file
            of several metrics (timestamp,m01,m02,...) is one key whose rows are vectors, scored by the vector
            detector (--vectors), e.g. ../shared/anomaly-mv-dev.

            """ + OPTIONS.help();

    private NabRun() {}

    public static void run(String[] args, PrintStream out) throws Exception {
        ParsedOptions p = OPTIONS.parse("nab", args);
        Path nab = p.require(NAB_DIR, "");
        Path outDir = p.require(OUT, "");
        if (p.has(DEV_DIR) && !p.get(ABLATION) && !p.has(VARIANTS)) {
            throw new UsageException("nab", "--dev-dir is for --ablation or --variants");
        }
        if (p.has(MODELS) && !p.has(VARIANTS)) {
            throw new UsageException("nab", "--models is for --variants");
        }
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
        Map<String, float[][]> values = new LinkedHashMap<>();
        java.util.SortedSet<Integer> widths = new java.util.TreeSet<>(); // one model per width of rows
        for (String f : corpus.keySet()) {
            NabData.Table t = NabData.read(nab.resolve("data").resolve(f));
            if (p.has(LEAVE_OUT)) {
                t = t.leaveOut(p.get(LEAVE_OUT));
            }
            for (int i = 0; i < t.rows().length; i++) {
                events.add(new KeyedEvent(f, t.rows()[i]).withId(i));
            }
            values.put(f, t.rows());
            widths.add(t.width());
        }
        out.printf(Locale.ROOT, "nab: %d files, %,d rows read in %.1f s%n", corpus.size(), events.size(), (System.nanoTime() - t0) / 1e9);

        RecurrentNetwork forecaster = JobOptions.model(p, AnomalyJob.MODEL);
        io.flinkrecurrent.anomaly.DetectorParams base = AnomalyJob.params(p.get(KIND));
        AnomalyDetector detector = new AnomalyDetector(forecaster, p.has(PARAMS) ? DetectorParamsSpec.apply(base, p.get(PARAMS)) : base);
        VectorSpec vectors;
        try {
            vectors = VectorSpec.parse(p.get(VECTORS));
        } catch (IllegalArgumentException e) {
            throw new UsageException("nab", "--vectors: " + e.getMessage());
        }
        NabAblation.Detectors detectors = new NabAblation.Detectors(forecaster, detector.params(), vectors);
        // --variants and --models are read before the run, so a mistake in them is reported before it
        List<NabAblation.Variant> variants = null;
        List<NabVariants.Forecaster> forecasters = null;
        if (p.has(VARIANTS)) {
            try {
                variants = NabVariants.parse(base, vectors, p.get(VARIANTS));
            } catch (IllegalArgumentException e) {
                throw new UsageException("nab", "--variants: " + e.getMessage());
            }
            forecasters = forecasters(p, forecaster);
        }
        out.println("nab: " + detector.params().describe() + ", " + detector.stateSize() + " floats of state per key");
        for (int w : widths) {
            if (w > 1) {
                out.printf(Locale.ROOT, "nab: keys of %d metrics: %s, %,d floats of state per key%n", w, vectors.describe(),
                        detectors.model(w).stateSize());
            }
        }
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(p.get(PARALLELISM));
        DataStream<KeyedEvent> in = env.fromData(TypeInformation.of(KeyedEvent.class), events.toArray(new KeyedEvent[0]))
                .name("nab-rows").setParallelism(1);
        // one operator per width of the files' rows (a value, or a machine's metrics), each with its model
        DataStream<io.flinkrecurrent.flink.RecurrentOutput> results = null;
        for (int w : widths) {
            DataStream<io.flinkrecurrent.flink.RecurrentOutput> r = Recurrent.builder(detectors.model(w))
                    .name(w == 1 ? "anomaly" : "anomaly-" + w).uid(w == 1 ? "anomaly" : "anomaly-" + w)
                    .apply(widths.size() == 1 ? in
                            // at the source's parallelism 1: a rebalance would mix each key's rows out of order
                            : in.filter(e -> e.input.length == w).name("width-" + w).setParallelism(1));
            results = results == null ? r : results.union(r);
        }
        Map<String, double[]> scores = new LinkedHashMap<>();
        Map<String, int[]> causes = new LinkedHashMap<>();
        corpus.forEach((f, lf) -> {
            scores.put(f, new double[lf.timestamps().size()]);
            causes.put(f, new int[lf.timestamps().size()]);
        });
        long t1 = System.nanoTime();
        long n = 0;
        out.printf("nab: running the detector on Flink (parallelism %d) ...%n", env.getParallelism());
        try (CloseableIterator<io.flinkrecurrent.flink.RecurrentOutput> it =
                     results.executeAndCollect("nab")) {
            while (it.hasNext()) {
                var o = it.next();
                scores.get(o.key)[(int) o.id] = o.output[0];
                causes.get(o.key)[(int) o.id] = (int) o.output[2];
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
        double threshold = printScores(nab, corpus, !p.has(FILES), scores, out);
        report(DETECTOR, outDir, corpus, scores, threshold, out);
        out.println("nab: " + DETECTOR + " at its standard threshold, what raised them: " + attribution(corpus, scores, causes, threshold));
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
                io.flinkrecurrent.nab.NabPlot.draw(png, lf.name() + " - " + DETECTOR, lf, NabData.column(values.get(lf.name()), 0),
                        scores.get(lf.name()), threshold);
                out.println("nab: drew " + png);
            }
        }
        if (p.get(ABLATION) || p.has(VARIANTS)) {
            List<NabAblation.Corpus> corpora = new ArrayList<>();
            corpora.add(new NabAblation.Corpus(nab.getFileName().toString(), corpus, values));
            if (p.has(DEV_DIR)) {
                corpora.add(NabAblation.Corpus.read(p.get(DEV_DIR).getFileName().toString(), p.get(DEV_DIR),
                        p.has(LEAVE_OUT) ? p.get(LEAVE_OUT) : 0));
            }
            NabAblation.check(detectors, corpora.get(0), scores, out);
            if (p.get(ABLATION)) {
                NabAblation.run(forecaster, corpora, out);
            }
            if (p.has(VARIANTS)) {
                NabVariants.run(variants, forecasters, corpora, out);
            }
        }
        out.printf(Locale.ROOT, "nab: done in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }

    /** --models' forecasters, each under its file's name; without it, the run's own. */
    private static List<NabVariants.Forecaster> forecasters(ParsedOptions p, RecurrentNetwork own) throws IOException {
        if (!p.has(MODELS)) {
            return List.of(new NabVariants.Forecaster(p.has(JobOptions.MODEL) ? p.get(JobOptions.MODEL).getFileName().toString()
                    : "bundled", own));
        }
        List<NabVariants.Forecaster> all = new ArrayList<>();
        for (String f : p.get(MODELS).split(",")) {
            Path file = Path.of(f.trim());
            all.add(new NabVariants.Forecaster(file.getFileName().toString(), ModelLoader.load(file).network()));
        }
        return all;
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
    /** "windows: range 40, error 20, ...; false positives: ...", each cause that raised any. */
    static String attribution(Map<String, NabScorer.LabelledFile> corpus, Map<String, double[]> scores, Map<String, int[]> causes,
                              double threshold) {
        Cause[] all = Cause.values();
        int[][] a = NabScorer.attribution(corpus, scores, causes, all.length, NabScorer.PROFILES.get(0), threshold);
        StringBuilder b = new StringBuilder();
        for (int k = 0; k < 2; k++) {
            b.append(k == 0 ? "windows (first detection)" : "; false positives");
            String sep = " ";
            for (Cause c : all) {
                if (a[k][c.ordinal()] > 0) {
                    b.append(sep).append(c.label()).append(' ').append(a[k][c.ordinal()]);
                    sep = ", ";
                }
            }
        }
        return b.toString();
    }

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

    /**
     * Prints the three profiles' scores (and, for a run over every file, the board if the folder has one);
     * returns the standard profile's threshold.
     */
    static double printScores(Path nab, Map<String, NabScorer.LabelledFile> corpus, boolean full, Map<String, double[]> scores,
                              PrintStream out) throws IOException {
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
