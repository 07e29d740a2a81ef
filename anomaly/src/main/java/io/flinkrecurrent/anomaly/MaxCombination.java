package io.flinkrecurrent.anomaly;

/** {@link Combination#max()}: the key's z is its metrics' largest, with that metric's cause. No state. */
final class MaxCombination implements Combination {
    static final MaxCombination INSTANCE = new MaxCombination();

    private MaxCombination() {}

    @Override
    public void combine(float[] z, float[] cause, int metrics, float[] state, int offset, float[] out) {
        int best = 0;
        for (int m = 1; m < metrics; m++) {
            if (z[m] > z[best]) {
                best = m;
            }
        }
        out[0] = z[best];
        out[1] = cause[best];
        out[2] = best;
    }

    @Override
    public String describe() {
        return "max";
    }

    /** One instance, also after deserialisation. */
    private Object readResolve() {
        return INSTANCE;
    }
}
