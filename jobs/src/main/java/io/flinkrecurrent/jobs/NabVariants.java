package io.flinkrecurrent.jobs;

import io.flinkrecurrent.anomaly.AnomalyDetector;
import io.flinkrecurrent.anomaly.AnomalyDetector.Params;
import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.nab.NabScorer;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code nab --variants}: scores the variants a user names, each over several trained forecasters, on one
 * corpus or two, stepped in this JVM without Flink; then each variant's mean over the forecasters, and its
 * difference from the first variant's. A change of a point on one forecaster's weights is within what
 * retraining alone moves (docs/nab.md, "Training seeds"); the mean over several is the evidence.
 */
final class NabVariants {
    /** A trained forecaster and the name it is reported under (its file's name). */
    record Forecaster(String name, RecurrentNetwork network) {}

    private NabVariants() {}

    /**
     * Each of {@code changes} ({@code name=value,...}, or {@code default}) applied to {@code base}: what
     * {@code --variants "a;b;c"} names.
     */
    static List<NabAblation.Variant> parse(Params base, String list) {
        List<NabAblation.Variant> variants = new ArrayList<>();
        for (String v : list.split(";")) {
            String changes = v.trim();
            if (changes.isEmpty()) {
                continue;
            }
            try {
                variants.add(new NabAblation.Variant(changes, changes.equals("default") ? base : base.with(changes), false));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("'" + changes + "': " + e.getMessage(), e);
            }
        }
        if (variants.isEmpty()) {
            throw new IllegalArgumentException("no variant named (expected e.g. 'default;power=0.9')");
        }
        return variants;
    }

    /** Scores every variant with every forecaster on every corpus, a row each as it is done; then the means. */
    static void run(List<NabAblation.Variant> variants, List<Forecaster> forecasters, List<NabAblation.Corpus> corpora,
                    PrintStream out) {
        out.println();
        out.printf("nab: %d variants x %d forecasters on %s, stepped in this JVM ...%n", variants.size(), forecasters.size(),
                String.join(" and ", corpora.stream().map(NabAblation.Corpus::name).toList()));
        int width = Math.max(20, variants.stream().mapToInt(v -> v.name().length()).max().orElse(0));
        int fwidth = Math.max(10, forecasters.stream().mapToInt(f -> f.name().length()).max().orElse(0));
        out.println(header("%-" + width + "s %-" + fwidth + "s %7s", corpora, "variant", "forecaster", "floats"));
        double[][][] sums = new double[variants.size()][corpora.size()][5];
        for (Forecaster f : forecasters) {
            for (int i = 0; i < variants.size(); i++) {
                AnomalyDetector d = new AnomalyDetector(f.network(), variants.get(i).params());
                double[][] s = score(d, corpora);
                StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-" + width + "s %-" + fwidth + "s %7d",
                        variants.get(i).name(), f.name(), d.stateSize()));
                for (int c = 0; c < corpora.size(); c++) {
                    append(row, s[c]);
                    for (int k = 0; k < 5; k++) {
                        sums[i][c][k] += s[c][k];
                    }
                }
                out.println(row);
            }
        }
        out.println();
        out.printf("nab: the mean over %d forecasters, and the difference of each variant's standard score from the first's%n",
                forecasters.size());
        StringBuilder head = new StringBuilder(header("%-" + width + "s", corpora, "variant"));
        for (NabAblation.Corpus c : corpora) {
            head.append(String.format("  %14.14s", "d " + c.name()));
        }
        out.println(head);
        for (int i = 0; i < variants.size(); i++) {
            StringBuilder row = new StringBuilder(String.format("%-" + width + "s", variants.get(i).name()));
            double[][] mean = new double[corpora.size()][5];
            for (int c = 0; c < corpora.size(); c++) {
                for (int k = 0; k < 5; k++) {
                    mean[c][k] = sums[i][c][k] / forecasters.size();
                }
                append(row, mean[c]);
            }
            for (int c = 0; c < corpora.size(); c++) {
                row.append(String.format(Locale.ROOT, "  %+14.2f", (sums[i][c][0] - sums[0][c][0]) / forecasters.size()));
            }
            out.println(row);
        }
    }

    private static String header(String format, List<NabAblation.Corpus> corpora, Object... first) {
        StringBuilder head = new StringBuilder(String.format(format, first));
        for (NabAblation.Corpus c : corpora) {
            head.append(String.format("  | %-12.12s %8s %8s %8s %8s %8s", c.name(), "standard", "low_FP", "low_FN", "odd", "even"));
        }
        return head.toString();
    }

    private static void append(StringBuilder row, double[] s) {
        row.append(String.format("  | %-12.12s", ""));
        for (double x : s) {
            row.append(Double.isNaN(x) ? String.format(" %8s", "-") : String.format(Locale.ROOT, " %8.2f", x));
        }
    }

    /** Per corpus: standard, low FP, low FN, the odd half's and the even half's standard (NaN: no windows). */
    private static double[][] score(AnomalyDetector d, List<NabAblation.Corpus> corpora) {
        double[][] out = new double[corpora.size()][];
        for (int c = 0; c < corpora.size(); c++) {
            NabAblation.Corpus corpus = corpora.get(c);
            Map<String, double[]> scores = NabAblation.scoreAll(d, corpus.values());
            double[] s = new double[5];
            int k = 0;
            for (NabScorer.Profile pr : NabScorer.PROFILES) {
                s[k++] = NabScorer.score(corpus.files(), scores, pr).score();
            }
            for (Map<String, NabScorer.LabelledFile> half : NabAblation.halves(corpus.files())) {
                s[k++] = NabAblation.halfStandard(half, scores);
            }
            out[c] = s;
        }
        return out;
    }
}
