package io.flinkrecurrent.anomaly;

import io.flinkrecurrent.annotation.PublicEvolving;

/**
 * How a key of several metrics turns its metrics' surprises into the key's: the key's z is the mean of the
 * {@code top} largest of its metrics' z values (of all of them when it has fewer), and a row counts as beyond
 * the key's range when at least {@code rangeMetrics} of its metrics (all of them when it has fewer) lie
 * beyond their own all-time range in that row. What set the key's z, and which metric, is the largest
 * z's. With one metric both reduce to the univariate detector: its z, its range rule.
 *
 * <p>Why not the largest z alone ({@link #LARGEST}): on a machine's 19 or 38 metrics, one of them stands out
 * or leaves its range on most days, and each such row raises an alarm; several at once is the machine.
 * Measured on ../shared/anomaly-mv-dev over four trained forecasters (docs/nab.md, "Several metrics per key").
 *
 * @param top          how many of the largest metric z values the key's z averages (at least 1)
 * @param rangeMetrics how many metrics must lie beyond their all-time range in one row for the range rule
 *                     (at least 1)
 */
@PublicEvolving
public record MetricCombination(int top, int rangeMetrics) implements java.io.Serializable {
    /** The key's z the largest of its metrics', the range rule from any one metric. */
    public static final MetricCombination LARGEST = new MetricCombination(1, 1);
    /** The default: the mean of the 3 largest z, the range rule when 3 metrics leave their range at once. */
    public static final MetricCombination TOP_3 = new MetricCombination(3, 3);

    public MetricCombination {
        if (top < 1 || rangeMetrics < 1) {
            throw new IllegalArgumentException("top and rangeMetrics must be at least 1; got top " + top
                    + ", rangeMetrics " + rangeMetrics);
        }
    }

    /** The parameters in a fixed format (part of a vector detector's fingerprint). */
    public String describe() {
        return "top=" + top + ",rangeMetrics=" + rangeMetrics;
    }

    /**
     * Combines one row of {@code n} metrics, metric j's surprises at {@code rows[j * width + zCol]} (its z) and
     * {@code rows[j * width + excessCol]} (positive when its value lies beyond its all-time range). Writes
     * {@code [the key's z, the index of the metric with the largest z, 1 if beyond the key's range else 0]}
     * into {@code out}; {@code best} is a work buffer of at least {@code top} floats. No allocation.
     */
    public void combine(float[] rows, int n, int width, int zCol, int excessCol, float[] best, float[] out) {
        final int k = Math.min(top, n);
        int kept = 0;
        int largest = 0;
        int beyond = 0;
        for (int j = 0; j < n; j++) {
            final float z = rows[j * width + zCol];
            if (z > rows[largest * width + zCol]) {
                largest = j;
            }
            if (rows[j * width + excessCol] > 0f) {
                beyond++;
            }
            // best[0..kept) holds the largest z so far, in descending order
            if (kept < k || z > best[kept - 1]) {
                int i = kept < k ? kept++ : kept - 1;
                while (i > 0 && best[i - 1] < z) {
                    best[i] = best[i - 1];
                    i--;
                }
                best[i] = z;
            }
        }
        double sum = 0;
        for (int i = 0; i < kept; i++) {
            sum += best[i];
        }
        out[0] = kept == 0 ? 0f : (float) (sum / kept);
        out[1] = largest;
        out[2] = n > 0 && beyond >= Math.min(rangeMetrics, n) ? 1f : 0f;
    }
}
