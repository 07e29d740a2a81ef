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
@io.flinkrecurrent.annotation.PublicEvolving
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

    @Override int[] scratchSizes() { return new int[] {rows, rows, 0}; }

    @Override
    boolean splitGates() {
        return true;
    }

    @Override
    void finish(float[] state, int hOff, int cOff, float[] gi, float[] gh, float[] hidden) {
        final int h = hiddenSize;
        for (int j = 0; j < h; j++) {
            float r = Kernels.sigmoid(gi[j] + gh[j]);
            float z = Kernels.sigmoid(gi[h + j] + gh[h + j]);
            float n = Kernels.tanh(gi[2 * h + j] + r * gh[2 * h + j]);
            state[hOff + j] = (1f - z) * n + z * state[hOff + j];
        }
    }
}
