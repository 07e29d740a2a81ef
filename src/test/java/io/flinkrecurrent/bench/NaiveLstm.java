package io.flinkrecurrent.bench;

/**
 * The baseline the issue measures against: a textbook LSTM step, one dot product per row and gate
 * over PyTorch's row-major weights, {@link Math#tanh}, no fusion. Only for the benchmark.
 */
final class NaiveLstm {
    private final int in;
    private final int hid;
    private final float[] wih; // (4H, I) row-major
    private final float[] whh; // (4H, H) row-major
    private final float[] bih;
    private final float[] bhh;
    private final float[] gates;

    NaiveLstm(int in, int hid, float[] wih, float[] whh, float[] bih, float[] bhh) {
        this.in = in;
        this.hid = hid;
        this.wih = wih;
        this.whh = whh;
        this.bih = bih;
        this.bhh = bhh;
        this.gates = new float[4 * hid];
    }

    /** state = [h (H), c (H)] updated in place; returns h. */
    void step(float[] state, float[] x) {
        for (int r = 0; r < 4 * hid; r++) {
            float s = bih[r] + bhh[r];
            for (int k = 0; k < in; k++) {
                s += wih[r * in + k] * x[k];
            }
            for (int k = 0; k < hid; k++) {
                s += whh[r * hid + k] * state[k];
            }
            gates[r] = s;
        }
        for (int j = 0; j < hid; j++) {
            float i = (float) (1 / (1 + Math.exp(-gates[j])));
            float f = (float) (1 / (1 + Math.exp(-gates[hid + j])));
            float g = (float) Math.tanh(gates[2 * hid + j]);
            float o = (float) (1 / (1 + Math.exp(-gates[3 * hid + j])));
            float c = f * state[hid + j] + i * g;
            state[hid + j] = c;
            state[j] = o * (float) Math.tanh(c);
        }
    }
}
