package io.flinkrecurrent.anomaly;

/**
 * How one metric's row surprises its key: the surprises (the forecast error, the value's distance from the
 * recent mean, the hidden state's novelty, the level; and for the compact form the error's likelihood, the
 * level's novelty and the lasting novelty), each in standard deviations of its own history, the largest of
 * them being the row's z. Measured against the key's earlier rows, then this row joins their history.
 * Two forms: {@link WindowedSurprises} (rings of the last {@code window} rows) and
 * {@link CompactSurprises} (running statistics, every {@code stride}-th hidden state).
 */
interface Surprises extends java.io.Serializable {
    /**
     * The row's z (0 while nothing can be measured yet), its cause's ordinal in {@code cause[0]}; this row
     * then joins the histories in {@code state}.
     *
     * @param net   the forecaster's hidden state after this row
     * @param xn    the row's value, normalised
     * @param err   the forecast error of this row
     * @param pos   the row's position (the rings' index)
     * @param count the rows before it
     */
    double measure(float[] cause, float[] state, float[] net, float xn, float err, int pos, int count);

    /** The form the parameters ask for: compact with a stride, windowed without. */
    static Surprises of(DetectorParams params, StateLayout layout) {
        StateMemory memory = new StateMemory(layout, params.level());
        return params.stride() > 0 ? new CompactSurprises(params, layout, memory) : new WindowedSurprises(params, layout, memory);
    }

    /**
     * The mean of the last {@code level} values, this one ({@code xn}) included, from the values' ring at
     * {@code valOff} of length {@code len}; {@code seen}: the values in the ring.
     */
    static double levelMean(float[] state, int valOff, int len, int level, float xn, int pos, int seen) {
        double lev = 0;
        for (int age = 1, n = Math.min(level - 1, seen); age <= n; age++) {
            lev += state[valOff + StateLayout.ring(pos - age, len)];
        }
        return (lev + xn) / Math.min(level, seen + 1);
    }
}
