package io.flinkrecurrent.anomaly;

/**
 * {@link Combination#top}: the key's z is the mean of the {@code top} largest of its metrics' z values (of all
 * of them when it has fewer), with the cause and the metric of the largest; a row counts as beyond the key's
 * range when at least {@code rangeMetrics} of its metrics (all of them when it has fewer) lie beyond their
 * own all-time range. With one metric it is {@link Combination#max()}: that metric's z and range rule. No
 * state, no allocation: {@code top} passes over the metrics, {@code O(top x metrics)} a row. A NaN z (a
 * diverged metric) ends the passes early; the key's z is then NaN, which the operator's guard refuses.
 *
 * @param top          how many of the largest metric z values the key's z averages (at least 1)
 * @param rangeMetrics how many metrics must lie beyond their all-time range in one row for the range rule
 *                     (at least 1)
 */
record TopCombination(int top, int rangeMetrics) implements Combination {
    TopCombination {
        if (top < 1 || rangeMetrics < 1) {
            throw new IllegalArgumentException("top and rangeMetrics must be at least 1; got top " + top
                    + ", rangeMetrics " + rangeMetrics);
        }
    }

    @Override
    public void combine(float[] z, float[] cause, int metrics, float[] state, int offset, float[] out) {
        final int k = Math.min(top, metrics);
        int largest = 0;
        for (int m = 1; m < metrics; m++) {
            if (z[m] > z[largest]) {
                largest = m;
            }
        }
        // the sum of the k largest: k passes, each taking the largest below the last taken (ties counted once
        // per metric: a metric is taken when its z is below the last, or equal to it and after it)
        double sum = z[largest];
        int last = largest;
        int taken = 1;
        for (; taken < k; taken++) {
            int next = -1;
            for (int m = 0; m < metrics; m++) {
                final boolean after = z[m] < z[last] || z[m] == z[last] && m > last;
                if (after && (next < 0 || z[m] > z[next] || z[m] == z[next] && m < next)) {
                    next = m;
                }
            }
            if (next < 0) {
                break; // only NaN left: nothing compares below the last taken
            }
            sum += z[next];
            last = next;
        }
        out[0] = k == 1 ? z[largest] : (float) (sum / taken);
        out[1] = cause[largest];
        out[2] = largest;
    }

    @Override
    public boolean beyond(float[] excess, int metrics) {
        final int needed = Math.min(rangeMetrics, metrics);
        int n = 0;
        for (int m = 0; m < metrics; m++) {
            if (excess[m] > 0f && ++n >= needed) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String describe() {
        return "top=" + top + ",rangeMetrics=" + rangeMetrics;
    }
}
