package io.flinkrecurrent.cell;

/**
 * torch.nn.GRU, rows r, z, n:
 * <pre>
 * r  = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
 * z  = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
 * n  = tanh(W_in x + b_in + r * (W_hn h + b_hn))
 * h' = (1 - z) * n + z * h
 * </pre>
 */
public final class GruLayer extends Layer {

    /**
     * @param weightIh (3*hidden, input) row-major, rows r, z, n
     * @param weightHh (3*hidden, hidden) row-major
     * @param biasIh   (3*hidden), or null for {@code bias=False} (then biasHh is null too)
     */
    public GruLayer(int inputSize, int hiddenSize, float[] weightIh, float[] weightHh, float[] biasIh, float[] biasHh) {
        super(CellType.GRU, inputSize, hiddenSize, hiddenSize, weightIh, weightHh, biasIh, biasHh);
    }

    @Override public CellType type() { return CellType.GRU; }

    @Override public int scratchSize() { return 2 * rows; }

    @Override
    public void step(float[] state, int hOff, int cOff, float[] x, int xOff, float[] scratch) {
        final int h = hiddenSize;
        // scratch[0..3H) = gi = W_ih x + b_ih ; scratch[3H..6H) = gh = W_hh h + b_hh (b_hn must stay inside r * (...))
        System.arraycopy(bih, 0, scratch, 0, rows);
        System.arraycopy(bhh, 0, scratch, rows, rows);
        Kernels.gemvTAcc(scratch, 0, wihT, x, xOff, rows, inputSize);
        Kernels.gemvTAcc(scratch, rows, whhT, state, hOff, rows, h);
        final int gh = rows;
        for (int j = 0; j < h; j++) {
            float r = Kernels.sigmoid(scratch[j] + scratch[gh + j]);
            float z = Kernels.sigmoid(scratch[h + j] + scratch[gh + h + j]);
            float n = Kernels.tanh(scratch[2 * h + j] + r * scratch[gh + 2 * h + j]);
            state[hOff + j] = (1f - z) * n + z * state[hOff + j];
        }
    }
}
