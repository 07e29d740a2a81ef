package io.flinkrecurrent.nab;

import io.flinkrecurrent.nab.NabScorer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ablation's per-half column, on made-up files (the full runs are in NabITCase). */
class NabAblationTest {
    private static final int ROWS = 1000;

    @Test
    void aHalfWithoutLabelledWindowsHasNoScoreRatherThanNaN() {
        Map<String, NabScorer.LabelledFile> quiet = files(file("quiet.csv", List.of()));
        assertEquals("-", printed(quiet, Map.of("quiet.csv", new double[ROWS])));
    }

    @Test
    void aHalfWithWindowsIsScored() {
        NabScorer.LabelledFile labelled = file("labelled.csv", List.of(new int[] {500, 600}));
        double[] early = new double[ROWS];
        early[500] = 1;
        double found = Double.parseDouble(printed(files(labelled), Map.of("labelled.csv", early)));
        assertTrue(found > 95 && found <= 100, "a detection at the window's first row: " + found);
        // no detection at all is the null detector
        assertEquals("0.00", printed(files(labelled), Map.of("labelled.csv", new double[ROWS])));
        // a half with one labelled file among unlabelled ones is scored too
        Map<String, NabScorer.LabelledFile> mixed = files(labelled, file("quiet.csv", List.of()));
        assertEquals(String.format(java.util.Locale.ROOT, "%.2f", found),
                printed(mixed, Map.of("labelled.csv", early, "quiet.csv", new double[ROWS])));
    }

    /** A half's score as the ablation's and the variants' tables print it. */
    private static String printed(Map<String, NabScorer.LabelledFile> files, Map<String, double[]> scores) {
        StringBuilder row = new StringBuilder();
        NabAblation.appendFigures(row, new double[] {NabAblation.halfStandard(files, scores)});
        String[] cells = row.toString().trim().split("\\s+");
        return cells[cells.length - 1];
    }

    private static Map<String, NabScorer.LabelledFile> files(NabScorer.LabelledFile... fs) {
        Map<String, NabScorer.LabelledFile> m = new LinkedHashMap<>();
        for (NabScorer.LabelledFile f : fs) {
            m.put(f.name(), f);
        }
        return m;
    }

    private static NabScorer.LabelledFile file(String name, List<int[]> windows) {
        List<String> ts = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            ts.add(String.format("2026-01-01 %02d:%02d:00", i / 60 % 24, i % 60));
        }
        return new NabScorer.LabelledFile(name, ts, windows);
    }
}
