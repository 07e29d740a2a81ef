package io.flinkrecurrent.nab;


import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * A data file of a corpus in NAB's layout, read as one key's events: {@code timestamp,value} (one value a
 * row) or {@code timestamp,m01,m02,...} (several metrics of one machine: a vector a row, one key for the
 * whole file). NAB's scorer reads only the timestamps, so a file of either form is scored alike.
 */
final class NabData {
    /** Rows of the file, each {@code width} values wide (a metric a column). */
    record Table(List<String> columns, float[][] rows) {
        int width() {
            return columns.size();
        }

        /** Column {@code j}'s values, row by row. */
        float[] column(int j) {
            return NabData.column(rows, j);
        }

        /**
         * With several metrics: the table without the metrics with fewer than {@code minDistinct} distinct values
         * in the whole file (at least one metric is kept). A look-ahead over the file that only a benchmark can
         * make; the rule of anomaly-mv-dev's per-metric baseline (20). One column: unchanged.
         */
        Table leaveOut(int minDistinct) {
            if (width() == 1) {
                return this;
            }
            List<Integer> kept = new java.util.ArrayList<>();
            for (int j = 0; j < width(); j++) {
                java.util.Set<Float> seen = new java.util.HashSet<>();
                for (float[] r : rows) {
                    if (seen.add(r[j]) && seen.size() >= minDistinct) {
                        break;
                    }
                }
                if (seen.size() >= minDistinct) {
                    kept.add(j);
                }
            }
            if (kept.isEmpty()) {
                kept.add(0);
            }
            float[][] narrow = new float[rows.length][kept.size()];
            for (int i = 0; i < rows.length; i++) {
                for (int k = 0; k < kept.size(); k++) {
                    narrow[i][k] = rows[i][kept.get(k)];
                }
            }
            return new Table(kept.stream().map(columns::get).toList(), narrow);
        }
    }

    /** Column {@code j} of rows, row by row. */
    static float[] column(float[][] rows, int j) {
        float[] c = new float[rows.length];
        for (int i = 0; i < rows.length; i++) {
            c[i] = rows[i][j];
        }
        return c;
    }

    private NabData() {}

    /** Reads a data file (or its {@code .gz}); a bad row is an error naming the file, its line and column. */
    static Table read(Path csv) throws IOException {
        List<String> lines = NabScorer.readLines(csv);
        if (lines.isEmpty()) {
            throw new IllegalArgumentException(csv + ": empty, expected a header timestamp,value or timestamp,m01,...");
        }
        String[] header = lines.get(0).split(",", -1);
        if (header.length < 2 || !header[0].trim().equals("timestamp")) {
            throw new IllegalArgumentException(csv + ": header '" + lines.get(0) + "', expected timestamp,value or timestamp,m01,...");
        }
        List<String> columns = Arrays.stream(header, 1, header.length).map(String::trim).toList();
        final int width = columns.size();
        float[][] rows = new float[lines.size() - 1][];
        int n = 0;
        for (int i = 1; i < lines.size(); i++) {
            String l = lines.get(i);
            if (l.isBlank()) {
                continue;
            }
            String[] f = l.split(",", -1);
            if (f.length != width + 1) {
                throw new IllegalArgumentException(csv + ", line " + (i + 1) + ": " + (f.length - 1) + " values, the header names "
                        + width);
            }
            float[] row = new float[width];
            for (int j = 0; j < width; j++) {
                try {
                    row[j] = Float.parseFloat(f[j + 1].trim());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(csv + ", line " + (i + 1) + ", column " + columns.get(j) + ": not a number: '"
                            + f[j + 1] + "'");
                }
            }
            rows[n++] = row;
        }
        return new Table(columns, Arrays.copyOf(rows, n));
    }
}
