package io.flinkrecurrent.nab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The scorer reproduces the published NAB board from the raw scores in ../shared/nab/results. */
class NabScorerTest {
    static final Path NAB = Path.of("src/test/resources/nab"); // the gzipped copy of NAB (jobs/src/test/resources/nab)
    static Map<String, NabScorer.LabelledFile> corpus;
    static JsonNode published;

    @BeforeAll
    static void load() throws Exception {
        corpus = NabScorer.corpus(NAB);
        published = new ObjectMapper().readTree(NAB.resolve("results/final_results.json").toFile());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"numenta", "windowedGaussian"})
    void reproducesThePublishedRow(String detector) throws Exception {
        assertEquals(58, corpus.size());
        Map<String, double[]> scores = NabScorer.readScores(NAB.resolve("results").resolve(detector), detector, corpus.keySet());
        for (NabScorer.Profile p : NabScorer.PROFILES) {
            double ours = NabScorer.score(corpus, scores, p).score();
            System.out.printf("%s %s: %.2f (published %.2f)%n", detector, p.name(), ours, published.get(detector).get(p.name()).asDouble());
            double theirs = published.get(detector).get(p.name()).asDouble();
            // SCORING.md: an independent implementation gives numenta low-FP 63.21 against the published 63.12
            double tolerance = detector.equals("numenta") && p.name().equals("reward_low_FP_rate") ? 0.15 : 0.1;
            assertEquals(theirs, ours, tolerance, detector + " " + p.name());
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"numenta", "windowedGaussian"})
    void theBreakdownAddsUpToTheScore(String detector) throws Exception {
        Map<String, double[]> scores = NabScorer.readScores(NAB.resolve("results").resolve(detector), detector, corpus.keySet());
        for (NabScorer.Profile p : NabScorer.PROFILES) {
            NabScorer.Result r = NabScorer.score(corpus, scores, p);
            var files = NabScorer.breakdown(corpus, scores, p, r.threshold());
            double raw = 0;
            int windows = 0;
            for (var f : files) {
                assertEquals(f.tpWeight() - (f.windows() - f.detected()) * p.fn() + f.fpCost(), f.raw(), 1e-9, f.name());
                assertTrue(f.detected() <= f.windows() && f.fpCost() <= 0 && (f.falsePositives() > 0 || f.fpCost() == 0));
                raw += f.raw();
                windows += f.windows();
            }
            assertEquals(116, windows);
            assertEquals(r.raw(), raw, 1e-6, detector + " " + p.name());
        }
    }

    /**
     * The attribution counts each detected window once, by the label of its earliest detection, and every
     * false positive by its own: labelling each row 1 if it is the first detection of its window, 2 if it is
     * any other detection, 0 else gives the breakdown's counts exactly.
     */
    @org.junit.jupiter.api.Test
    void theAttributionCountsTheBreakdownsRows() throws Exception {
        Map<String, double[]> scores = NabScorer.readScores(NAB.resolve("results").resolve("numenta"), "numenta", corpus.keySet());
        NabScorer.Profile p = NabScorer.PROFILES.get(0);
        double t = NabScorer.score(corpus, scores, p).threshold();
        Map<String, int[]> labels = new java.util.HashMap<>();
        for (var f : corpus.values()) {
            double[] s = scores.get(f.name());
            int[] l = new int[s.length];
            for (int i = 0; i < s.length; i++) {
                l[i] = s[i] >= t ? 2 : 0;
            }
            for (int[] w : f.windows()) {
                for (int i = Math.max(w[0], NabScorer.probation(s.length)); i <= w[1]; i++) {
                    if (s[i] >= t) {
                        l[i] = 1; // the earliest detection in the window
                        break;
                    }
                }
            }
            labels.put(f.name(), l);
        }
        int[][] a = NabScorer.attribution(corpus, scores, labels, 3, p, t);
        int detected = 0;
        int fps = 0;
        for (var f : NabScorer.breakdown(corpus, scores, p, t)) {
            detected += f.detected();
            fps += f.falsePositives();
        }
        assertEquals(detected, a[0][1], "each window by its earliest detection");
        assertEquals(0, a[0][0] + a[0][2]);
        assertEquals(fps, a[1][2], "every false positive");
        assertEquals(0, a[1][0] + a[1][1]);
        assertTrue(detected > 50 && fps > 50, detected + " windows, " + fps + " false positives");
    }
}
