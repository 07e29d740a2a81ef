package io.flinkrecurrent.nab;

import io.flinkrecurrent.anomaly.AnomalyDetector;
import io.flinkrecurrent.anomaly.DetectorParams;
import io.flinkrecurrent.cell.RecurrentNetwork;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

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
     * Each of {@code changes} ({@code name=value,...}, or {@code default}) applied to {@code base} and, for the
     * names of {@link VectorSpec#NAMES}, to {@code vectors}: what {@code --variants "a;b;c"} names.
     */
    static List<NabAblation.Variant> parse(DetectorParams base, VectorSpec vectors, String list) {
        List<NabAblation.Variant> variants = new ArrayList<>();
        for (String v : list.split(";")) {
            String changes = v.trim();
            if (changes.isEmpty()) {
                continue;
            }
            try {
                // the vector detector's names (top, rangeMetrics, vectors) apart from the detector's parameters
                String[] parts = changes.equals("default") ? new String[] {"", ""} : VectorSpec.split(changes);
                variants.add(new NabAblation.Variant(changes, parts[0].isEmpty() ? base : DetectorParamsSpec.apply(base, parts[0]),
                        false, parts[1].isEmpty() ? vectors : vectors.with(parts[1])));
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
        out.println(String.format("%-" + width + "s %-" + fwidth + "s %7s", "variant", "forecaster", "floats")
                + NabAblation.figuresHeader(corpora));
        double[][][] sums = new double[variants.size()][corpora.size()][5];
        for (Forecaster f : forecasters) {
            for (int i = 0; i < variants.size(); i++) {
                NabAblation.Detectors d = new NabAblation.Detectors(f.network(), variants.get(i).params(), variants.get(i).vectors());
                StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-" + width + "s %-" + fwidth + "s %7d",
                        variants.get(i).name(), f.name(), d.model(1).stateSize()));
                for (int c = 0; c < corpora.size(); c++) {
                    double[] figures = NabAblation.figures(d, corpora.get(c));
                    NabAblation.appendFigures(row, figures);
                    for (int k = 0; k < figures.length; k++) {
                        sums[i][c][k] += figures[k];
                    }
                }
                out.println(row);
            }
        }
        out.println();
        out.printf("nab: the mean over %d forecasters, and the difference of each variant's standard score from the first's%n",
                forecasters.size());
        StringBuilder head = new StringBuilder(String.format("%-" + width + "s", "variant") + NabAblation.figuresHeader(corpora));
        for (NabAblation.Corpus c : corpora) {
            head.append(String.format("  %14.14s", "d " + c.name()));
        }
        out.println(head);
        for (int i = 0; i < variants.size(); i++) {
            StringBuilder row = new StringBuilder(String.format("%-" + width + "s", variants.get(i).name()));
            for (int c = 0; c < corpora.size(); c++) {
                double[] mean = sums[i][c].clone();
                for (int k = 0; k < mean.length; k++) {
                    mean[k] /= forecasters.size();
                }
                NabAblation.appendFigures(row, mean);
            }
            for (int c = 0; c < corpora.size(); c++) {
                row.append(String.format(Locale.ROOT, "  %+14.2f", (sums[i][c][0] - sums[0][c][0]) / forecasters.size()));
            }
            out.println(row);
        }
    }
}
