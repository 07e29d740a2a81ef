package io.flinkrecurrent.nab;

import io.flinkrecurrent.anomaly.AnomalyDetector;
import io.flinkrecurrent.anomaly.DetectorParams;
import io.flinkrecurrent.cell.RecurrentNetwork;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code nab --ablation}: scores variants of the detector, stepped in this JVM without Flink (the same
 * {@code step} the operator calls, one key per file), on one corpus or two, each on all its files and on
 * each half of them.
 */
final class NabAblation {
    /** A variant of the detector; {@code untrained}: over a GRU of random weights; {@code vectors}: for keys of several metrics. */
    record Variant(String name, DetectorParams params, boolean untrained, VectorSpec vectors) {
        Variant(String name, DetectorParams params, boolean untrained) {
            this(name, params, untrained, VectorSpec.DEFAULT);
        }
    }

    /** What a run steps: the forecaster, the detector's parameters, and for keys of several metrics the spec. */
    record Detectors(RecurrentNetwork forecaster, DetectorParams params, VectorSpec vectors) {
        /** The model of a key of {@code width} values a row. */
        io.flinkrecurrent.cell.RecurrentModel model(int width) {
            return vectors.model(forecaster, params, width);
        }
    }

    /** A corpus in NAB's layout, its files' values read. */
    record Corpus(String name, Map<String, NabScorer.LabelledFile> files, Map<String, float[][]> values) {
        /** {@code leaveOutBelow}: as {@link NabData.Table#leaveOut} (0: every metric kept). */
        static Corpus read(String name, Path dir, int leaveOutBelow) throws IOException {
            Map<String, NabScorer.LabelledFile> files = NabScorer.corpus(dir);
            Map<String, float[][]> values = new LinkedHashMap<>();
            for (String f : files.keySet()) {
                NabData.Table t = NabData.read(dir.resolve("data").resolve(f));
                values.put(f, (leaveOutBelow > 0 ? t.leaveOut(leaveOutBelow) : t).rows());
            }
            return new Corpus(name, files, values);
        }
    }

    private NabAblation() {}

    /** The windowed detector's parts, each switched off in turn, and the parts found last at neighbouring settings. */
    static List<Variant> windowed() {
        DetectorParams d = DetectorParams.WINDOWED;
        List<Variant> v = new ArrayList<>();
        DetectorParams noRule = d.toBuilder().tolerance(-1f).level(0).build();
        v.add(new Variant("the windowed detector", d, false));
        v.add(new Variant("without the all-time range rule", d.toBuilder().tolerance(-1f).build(), false));
        v.add(new Variant("no quiet rows: every new extreme, every alarm counts", d.toBuilder().quiet(0).build(), false));
        v.add(new Variant("quiet rows after the range rule's alarms only", d.toBuilder().alarm(Float.POSITIVE_INFINITY).build(), false));
        v.add(new Variant("without the level's z", d.toBuilder().level(0).build(), false));
        v.add(new Variant("without the hidden state's novelty", d.toBuilder().error(true).value(true).novelty(false).build(), false));
        v.add(new Variant("without the forecast error", d.toBuilder().error(false).value(true).novelty(true).build(), false));
        v.add(new Variant("without the value's z", d.toBuilder().error(true).value(false).novelty(true).build(), false));
        v.add(new Variant("without the hold (every z counts)", d.toBuilder().hold(1).build(), false));
        v.add(new Variant("forecast error not averaged", d.toBuilder().smooth(1).build(), false));
        v.add(new Variant("the GRU alone: forecast error and novelty", noRule.toBuilder().error(true).value(false).novelty(true).build(), false));
        v.add(new Variant("the forecast error alone", noRule.toBuilder().error(true).value(false).novelty(false).build(), false));
        v.add(new Variant("the hidden state's novelty alone", noRule.toBuilder().error(false).value(false).novelty(true).build(), false));
        v.add(new Variant("the range rule alone", d.toBuilder().error(false).value(false).novelty(false).level(0).build(), false));
        v.add(new Variant("untrained GRU: novelty alone", noRule.toBuilder().error(false).value(false).novelty(true).build(), true));
        v.add(new Variant("untrained GRU: without the forecast error", d.toBuilder().error(false).value(true).novelty(true).build(), true));
        v.add(new Variant("the last release (no quiet rows, no level)", d.toBuilder().quiet(0).level(0).build(), false));
        v.add(new Variant("the first release (error and value z, hold)", noRule.toBuilder().error(true).value(true).novelty(false).smooth(1).build(), false));
        for (int rows : new int[] {40, 60}) {
            v.add(new Variant("level over " + rows + " rows", d.toBuilder().level(rows).build(), false));
        }
        for (float w : new float[] {2.5f, 3.5f}) {
            v.add(new Variant("level's weight " + w, d.toBuilder().levelWeight(w).build(), false));
        }
        for (float z : new float[] {12f, 14f, 16f, 18f}) {
            v.add(new Variant("alarm at z " + (int) z, d.toBuilder().alarm(z).build(), false));
        }
        for (int q : new int[] {5, 10, 50}) {
            v.add(new Variant(q + " quiet rows", d.toBuilder().quiet(q).build(), false));
        }
        v.add(new Variant("the key's own forecaster, its error not averaged", DetectorParamsSpec.apply(d, "online=0.5,smooth=1"), false));
        return v;
    }

    /** The compact detector's parts, each switched off or changed in turn. */
    static List<Variant> compact() {
        DetectorParams c = DetectorParams.COMPACT;
        String alone = "value=false,novelty=false,level=0,levelNovelty=0,levelWeight=3,tolerance=-1";
        List<Variant> v = new ArrayList<>();
        v.add(new Variant("compact: the detector", c, false));
        v.add(new Variant("compact-1: its first version (no power, no lasting novelty)", DetectorParams.COMPACT_1, false));
        v.add(new Variant("compact: values as they come (no power)", DetectorParamsSpec.apply(c, "power=1"), false));
        v.add(new Variant("compact: without the lasting novelty", DetectorParamsSpec.apply(c, "lasting=0"), false));
        for (String p : new String[] {"0.75", "0.9"}) {
            v.add(new Variant("compact: power " + p, DetectorParamsSpec.apply(c, "power=" + p), false));
        }
        for (int rows : new int[] {25, 60}) {
            v.add(new Variant("compact: the lasting novelty over " + rows + " rows", DetectorParamsSpec.apply(c, "lasting=" + rows), false));
        }
        v.add(new Variant("compact: without the all-time range rule", c.toBuilder().tolerance(-1f).build(), false));
        v.add(new Variant("compact: without the level", DetectorParamsSpec.apply(c, "level=0,levelNovelty=0,levelWeight=3"), false));
        v.add(new Variant("compact: the level's z (weight 3), not its novelty", DetectorParamsSpec.apply(c, "levelNovelty=0,levelWeight=3"), false));
        v.add(new Variant("compact: the level's z (weight 3) and its novelty", DetectorParamsSpec.apply(c, "levelWeight=3"), false));
        for (String w : new String[] {"1", "1.5", "2"}) {
            v.add(new Variant("compact: the level's novelty weighted " + w, DetectorParamsSpec.apply(c, "levelNovelty=" + w), false));
        }
        v.add(new Variant("compact: without the hidden state's novelty", c.toBuilder().error(true).value(true).novelty(false).build(), false));
        v.add(new Variant("compact: without the forecast error", c.toBuilder().error(false).value(true).novelty(true).build(), false));
        v.add(new Variant("compact: without the value's z", c.toBuilder().error(true).value(false).novelty(true).build(), false));
        v.add(new Variant("compact: the trained head's error, not the key's own", DetectorParamsSpec.apply(c, "online=0"), false));
        v.add(new Variant("compact: the error averaged over 5 rows", c.toBuilder().smooth(5).build(), false));
        v.add(new Variant("compact: the key's forecaster learning by RLS (0.999)", DetectorParamsSpec.apply(c, "rls=0.999"), false));
        v.add(new Variant("compact: plus the error's likelihood over 10 rows", DetectorParamsSpec.apply(c, "likely=10"), false));
        v.add(new Variant("compact: the key's own forecaster's error alone", DetectorParamsSpec.apply(c, alone), false));
        v.add(new Variant("compact: the trained head's error alone", DetectorParamsSpec.apply(c, alone + ",online=0"), false));
        v.add(new Variant("compact: the error's likelihood alone (10 rows)", DetectorParamsSpec.apply(c, alone + ",error=false,likely=10"), false));
        v.add(new Variant("compact: over an untrained GRU (a random reservoir)", c, true));
        v.add(new Variant("compact: statistics in blocks of 50 rows", DetectorParamsSpec.apply(c, "block=50"), false));
        v.add(new Variant("compact: every hidden state, 1,000 of them", DetectorParamsSpec.apply(c, "stride=1,memory=1000"), false));
        v.add(new Variant("compact: alarm at z 15 (the windowed detector's)", c.toBuilder().alarm(15f).build(), false));
        v.add(new Variant("compact: level over 50 rows (the windowed detector's)", c.toBuilder().level(50).build(), false));
        v.add(new Variant("compact: hold 300 rows", c.toBuilder().hold(300).build(), false));
        return v;
    }

    /**
     * A control: a one-layer GRU of the forecaster's hidden size with random weights (seed 1; input weights
     * N(0, 9), recurrent N(0, 1 / hidden), input biases N(0, 0.25)) and a zero head.
     */
    static RecurrentNetwork untrainedGru(int hidden) {
        return RecurrentNetwork.builder(io.flinkrecurrent.cell.CellType.GRU, 1, hidden).randomLayer(1, 3f)
                .head(new float[hidden], new float[1], io.flinkrecurrent.cell.Activation.IDENTITY).build();
    }

    /** Checks that the detector the run used, stepped here, gives the Flink run's scores, row for row. */
    static void check(Detectors ran, Corpus corpus, Map<String, double[]> flinkScores, PrintStream out) {
        Map<String, double[]> again = scoreAll(ran, corpus.values());
        for (var f : flinkScores.entrySet()) {
            if (!java.util.Arrays.equals(f.getValue(), again.get(f.getKey()))) {
                throw new IllegalStateException(f.getKey() + ": the in-process detector differs from the Flink run");
            }
        }
        out.println("nab: the detector stepped in this JVM gives the Flink run's scores, row for row");
    }

    /** Scores every variant of the built-in list on each corpus, a row each as it is done. */
    static void run(RecurrentNetwork forecaster, List<Corpus> corpora, PrintStream out) {
        List<Variant> variants = new ArrayList<>(windowed());
        variants.addAll(compact());
        out.println();
        out.printf("nab: ablation, %d variants on %s, stepped in this JVM ...%n", variants.size(),
                String.join(" and ", corpora.stream().map(Corpus::name).toList()));
        out.println(String.format("%-58s %7s", "variant", "floats") + figuresHeader(corpora));
        RecurrentNetwork untrained = untrainedGru(forecaster.layer(0).hiddenSize());
        for (Variant variant : variants) {
            Detectors d = new Detectors(variant.untrained() ? untrained : forecaster, variant.params(), variant.vectors());
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-58s %7d", variant.name(), d.model(1).stateSize()));
            for (Corpus c : corpora) {
                appendFigures(row, figures(d, c));
            }
            out.println(row);
        }
    }

    /** The columns {@link #appendFigures} fills, for each corpus. */
    static String figuresHeader(List<Corpus> corpora) {
        StringBuilder head = new StringBuilder();
        for (Corpus c : corpora) {
            head.append(String.format("  | %-12.12s %8s %8s %8s %8s %8s", c.name(), "standard", "low_FP", "low_FN", "odd", "even"));
        }
        return head.toString();
    }

    /**
     * A detector's figures on a corpus: the standard, reward_low_FP and reward_low_FN scores, then the standard
     * score of the odd and of the even half ({@link #halfStandard}).
     */
    static double[] figures(Detectors d, Corpus c) {
        Map<String, double[]> scores = scoreAll(d, c.values());
        double[] f = new double[NabScorer.PROFILES.size() + 2];
        int k = 0;
        for (NabScorer.Profile pr : NabScorer.PROFILES) {
            f[k++] = NabScorer.score(c.files(), scores, pr).score();
        }
        for (Map<String, NabScorer.LabelledFile> half : halves(c.files())) {
            f[k++] = halfStandard(half, scores);
        }
        return f;
    }

    /** One corpus's {@link #figures} under {@link #figuresHeader}; "-" for a half without labelled windows. */
    static void appendFigures(StringBuilder row, double[] f) {
        row.append(String.format("  | %-12.12s", ""));
        for (double x : f) {
            row.append(Double.isNaN(x) ? String.format(" %8s", "-") : String.format(Locale.ROOT, " %8.2f", x));
        }
    }

    /** The files at odd and at even places in the corpus's order. */
    static List<Map<String, NabScorer.LabelledFile>> halves(Map<String, NabScorer.LabelledFile> files) {
        List<Map<String, NabScorer.LabelledFile>> halves = List.of(new LinkedHashMap<>(), new LinkedHashMap<>());
        int place = 0;
        for (var e : files.entrySet()) {
            halves.get(place++ % 2).put(e.getKey(), e.getValue());
        }
        return halves;
    }

    /**
     * The standard profile's score of some of the files, with their own threshold; NaN when none of them
     * has a labelled window (as on a --files run): then the null and the perfect detector both score 0.
     */
    static double halfStandard(Map<String, NabScorer.LabelledFile> files, Map<String, double[]> scores) {
        if (files.values().stream().allMatch(f -> f.windows().isEmpty())) {
            return Double.NaN;
        }
        return NabScorer.score(files, scores, NabScorer.PROFILES.get(0)).score();
    }

    /** Every file's scores, the files stepped in parallel. */
    static Map<String, double[]> scoreAll(Detectors d, Map<String, float[][]> values) {
        Map<String, double[]> scores = new ConcurrentHashMap<>();
        values.entrySet().parallelStream().forEach(f -> scores.put(f.getKey(), scoreInProcess(d, f.getValue())));
        return scores;
    }

    /** One key's scores, the model of its rows' width ({@link Detectors#model}) stepped over its rows in order. */
    static double[] scoreInProcess(Detectors d, float[][] rows) {
        io.flinkrecurrent.cell.RecurrentModel m = d.model(rows.length == 0 ? 1 : rows[0].length);
        float[] state = new float[m.stateSize()];
        io.flinkrecurrent.cell.Scratch scratch = m.newScratch();
        float[] o = new float[m.outputSize()];
        double[] s = new double[rows.length];
        for (int i = 0; i < rows.length; i++) {
            m.step(o, state, rows[i], scratch);
            s[i] = o[0];
        }
        return s;
    }
}
