package io.flinkrecurrent.nab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Numenta Anomaly Benchmark's scorer, as ../shared/nab/SCORING.md specifies it: row weights from
 * the labelled windows (a scaled sigmoid of the position), the probationary period, one threshold
 * per profile swept over the pooled scores of all files, and normalisation between the null detector
 * (0) and a perfect one (100). No Flink here.
 */
public final class NabScorer {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A scoring profile's weights. */
    public record Profile(String name, double tp, double fp, double fn) {}

    public static final List<Profile> PROFILES = List.of(
            new Profile("standard", 1.0, 0.11, 1.0),
            new Profile("reward_low_FP_rate", 1.0, 0.22, 1.0),
            new Profile("reward_low_FN_rate", 1.0, 0.11, 2.0));

    /** One data file's timestamps (as in the CSV) and its labelled windows as [first row, last row]. */
    public record LabelledFile(String name, List<String> timestamps, List<int[]> windows) {}

    /** A profile's result: the normalised score, the threshold chosen, and the raw score. */
    public record Result(Profile profile, double score, double threshold, double raw) {}

    private NabScorer() {}

    /** Reads NAB's data folder and windows: every file with its timestamps and windows (rows). */
    public static Map<String, LabelledFile> corpus(Path nabDir) throws IOException {
        JsonNode windows = JSON.readTree(nabDir.resolve("labels/combined_windows.json").toFile());
        Map<String, LabelledFile> files = new LinkedHashMap<>();
        for (var it = windows.fields(); it.hasNext(); ) {
            var e = it.next();
            List<String> ts = timestamps(nabDir.resolve("data").resolve(e.getKey()));
            Map<String, Integer> row = new HashMap<>();
            for (int i = 0; i < ts.size(); i++) {
                row.put(ts.get(i), i);
            }
            List<int[]> w = new ArrayList<>();
            for (JsonNode win : e.getValue()) {
                Integer a = row.get(stripMicros(win.get(0).asText()));
                Integer b = row.get(stripMicros(win.get(1).asText()));
                if (a == null || b == null) {
                    throw new IOException(e.getKey() + ": window " + win + " does not match a row's timestamp");
                }
                w.add(new int[] {a, b});
            }
            files.put(e.getKey(), new LabelledFile(e.getKey(), ts, w));
        }
        return files;
    }

    /** A text file's lines; {@code name.csv} may also be stored gzipped as {@code name.csv.gz}. */
    public static List<String> readLines(Path file) throws IOException {
        if (Files.exists(file)) {
            return Files.readAllLines(file);
        }
        Path gz = file.resolveSibling(file.getFileName() + ".gz");
        if (!Files.exists(gz)) {
            throw new java.nio.file.NoSuchFileException(file.toString(), null, "neither it nor " + gz.getFileName() + " exists");
        }
        try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(
                new java.util.zip.GZIPInputStream(Files.newInputStream(gz)), java.nio.charset.StandardCharsets.UTF_8))) {
            return in.lines().toList();
        }
    }

    static String stripMicros(String t) {
        int dot = t.indexOf('.');
        return dot < 0 ? t : t.substring(0, dot);
    }

    /** The first column of a CSV with a header: the timestamps. */
    public static List<String> timestamps(Path csv) throws IOException {
        List<String> lines = readLines(csv);
        List<String> ts = new ArrayList<>(lines.size());
        for (int i = 1; i < lines.size(); i++) {
            String l = lines.get(i);
            if (!l.isBlank()) {
                ts.add(l.substring(0, l.indexOf(',')));
            }
        }
        return ts;
    }

    /** Rows below this index are not scored: {@code min(floor(0.15 n), 0.15 * 5000)}. */
    public static int probation(int n) {
        return (int) Math.min(Math.floor(0.15 * n), 0.15 * 5000);
    }

    static double sigma(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    /** The scaled sigmoid S(p). */
    static double scaled(double p) {
        return p > 3 ? -1 : 2 * sigma(-5 * p) - 1;
    }

    /**
     * Each row's weight under a profile, and the window it lies in (-1 outside).
     *
     * @return {weights[], window index per row (as double)}
     */
    static double[][] rowWeights(LabelledFile f, Profile p) {
        int n = f.timestamps().size();
        double[] weight = new double[n];
        double[] window = new double[n];
        Arrays.fill(window, -1);
        int[] inWindow = new int[n];
        Arrays.fill(inWindow, -1);
        for (int w = 0; w < f.windows().size(); w++) {
            int[] ab = f.windows().get(w);
            for (int i = ab[0]; i <= ab[1]; i++) {
                inWindow[i] = w;
            }
        }
        int lastEnd = -1;
        int lastWidth = 0;
        for (int i = 0; i < n; i++) {
            int w = inWindow[i];
            if (w >= 0) {
                int a = f.windows().get(w)[0];
                int b = f.windows().get(w)[1];
                int width = b - a + 1;
                double pos = -(b - i + 1) / (double) width;
                weight[i] = scaled(pos) * p.tp() / scaled(-1);
                window[i] = w;
                if (i == b) {
                    lastEnd = b;
                    lastWidth = width;
                }
            } else if (lastEnd < 0) {
                weight[i] = -p.fp();
            } else {
                double pos = Math.abs(lastEnd - i) / (double) (lastWidth - 1);
                weight[i] = scaled(pos) * p.fp();
            }
        }
        return new double[][] {weight, window};
    }

    /**
     * Scores a whole corpus under one profile.
     *
     * @param scores each file's anomaly score per row, by the file's name
     */
    public static Result score(Map<String, LabelledFile> corpus, Map<String, double[]> scores, Profile p) {
        List<double[]> rows = new ArrayList<>(); // {score, weight, global window id or -1}
        int windows = 0;
        for (LabelledFile f : corpus.values()) {
            double[] s = scores.get(f.name());
            if (s == null || s.length != f.timestamps().size()) {
                throw new IllegalArgumentException(f.name() + ": " + (s == null ? "no scores" : s.length
                        + " scores for " + f.timestamps().size() + " rows"));
            }
            double[][] wv = rowWeights(f, p);
            for (int i = probation(s.length); i < s.length; i++) {
                rows.add(new double[] {s[i], wv[0][i], wv[1][i] < 0 ? -1 : windows + wv[1][i]});
            }
            windows += f.windows().size();
        }
        rows.sort((a, b) -> Double.compare(b[0], a[0]));
        double[] best = new double[windows];
        boolean[] detected = new boolean[windows];
        double raw = -p.fn() * windows;
        double bestRaw = raw;
        double bestThreshold = rows.isEmpty() ? 1.0 : Math.nextUp(rows.get(0)[0]);
        for (int i = 0; i < rows.size(); ) {
            double threshold = rows.get(i)[0];
            for (; i < rows.size() && rows.get(i)[0] == threshold; i++) {
                double[] r = rows.get(i);
                int w = (int) r[2];
                if (w < 0) {
                    raw += r[1];
                } else if (!detected[w]) {
                    detected[w] = true;
                    best[w] = r[1];
                    raw += r[1] + p.fn();
                } else if (r[1] > best[w]) {
                    raw += r[1] - best[w];
                    best[w] = r[1];
                }
            }
            if (raw > bestRaw) {
                bestRaw = raw;
                bestThreshold = threshold;
            }
        }
        double perfect = windows * p.tp();
        double nul = -windows * p.fn();
        return new Result(p, 100 * (bestRaw - nul) / (perfect - nul), bestThreshold, bestRaw);
    }

    /**
     * What one file's scores detect at a threshold: windows detected (each counted at its earliest detected row's weight,
     * their sum {@code tpWeight}), false positives (rows at or above the threshold outside every window, their weights'
     * sum {@code fpCost}, negative) and the file's raw score.
     */
    public record FileBreakdown(String name, int windows, int detected, double tpWeight, int falsePositives,
                                double fpCost, double raw) {}

    /** Each file's breakdown at one threshold; over the corpus their raw scores sum to the corpus raw score. */
    public static List<FileBreakdown> breakdown(Map<String, LabelledFile> corpus, Map<String, double[]> scores, Profile p,
                                                double threshold) {
        List<FileBreakdown> out = new ArrayList<>();
        for (LabelledFile f : corpus.values()) {
            double[] s = scores.get(f.name());
            double[][] wv = rowWeights(f, p);
            double[] best = new double[f.windows().size()];
            boolean[] hit = new boolean[best.length];
            int fps = 0;
            double fpCost = 0;
            for (int i = probation(s.length); i < s.length; i++) {
                if (s[i] < threshold) {
                    continue;
                }
                int w = (int) wv[1][i];
                if (w < 0) {
                    fps++;
                    fpCost += wv[0][i];
                } else if (!hit[w] || wv[0][i] > best[w]) {
                    hit[w] = true;
                    best[w] = wv[0][i];
                }
            }
            int detected = 0;
            double tp = 0;
            for (int w = 0; w < best.length; w++) {
                if (hit[w]) {
                    detected++;
                    tp += best[w];
                }
            }
            double raw = tp - (best.length - detected) * p.fn() + fpCost;
            out.add(new FileBreakdown(f.name(), best.length, detected, tp, fps, fpCost, raw));
        }
        return out;
    }

    /**
     * What raised the detections at one threshold, by a label per row (codes {@code 0 <= code < kinds}): for
     * each detected window, the label of the row that counts (its earliest detection, the largest weight),
     * and for each false positive, its row's label.
     *
     * @return {@code [windows by label, false positives by label]}
     */
    public static int[][] attribution(Map<String, LabelledFile> corpus, Map<String, double[]> scores, Map<String, int[]> labels,
                                      int kinds, Profile p, double threshold) {
        int[][] out = new int[2][kinds];
        for (LabelledFile f : corpus.values()) {
            double[] s = scores.get(f.name());
            int[] l = labels.get(f.name());
            double[][] wv = rowWeights(f, p);
            int[] first = new int[f.windows().size()];
            java.util.Arrays.fill(first, -1);
            for (int i = probation(s.length); i < s.length; i++) {
                if (s[i] < threshold) {
                    continue;
                }
                int w = (int) wv[1][i];
                if (w < 0) {
                    out[1][l[i]]++;
                } else if (first[w] < 0 || wv[0][i] > wv[0][first[w]]) {
                    first[w] = i;
                }
            }
            for (int i : first) {
                if (i >= 0) {
                    out[0][l[i]]++;
                }
            }
        }
        return out;
    }

    /** Reads a results folder's scores: {@code <dir>/<category>/<detector>_<file>.csv}, column anomaly_score. */
    public static Map<String, double[]> readScores(Path dir, String detector, Iterable<String> files) throws IOException {
        Map<String, double[]> out = new HashMap<>();
        for (String f : files) {
            String[] parts = f.split("/", 2);
            Path csv = dir.resolve(parts[0]).resolve(detector + "_" + parts[1]);
            List<String> lines = readLines(csv);
            String[] header = lines.get(0).split(",");
            int col = Arrays.asList(header).indexOf("anomaly_score");
            if (col < 0) {
                throw new IOException(csv + ": no anomaly_score column in " + lines.get(0));
            }
            double[] s = new double[lines.size() - 1];
            int n = 0;
            for (int i = 1; i < lines.size(); i++) {
                if (!lines.get(i).isBlank()) {
                    s[n++] = Double.parseDouble(lines.get(i).split(",")[col]);
                }
            }
            out.put(f, Arrays.copyOf(s, n));
        }
        return out;
    }
}
