package io.flinkrecurrent.cell;

/**
 * torch.nn.LSTM, rows i, f, g, o, with optional projection ({@code proj_size}):
 * <pre>
 * i = sigmoid(W_ii x + b_ii + W_hi h + b_hi)     f = sigmoid(...)     g = tanh(...)     o = sigmoid(...)
 * c' = f * c + i * g
 * h' = o * tanh(c')                 (proj_size = 0)
 * h' = W_hr @ (o * tanh(c'))        (proj_size = P > 0: h has P values, c has hidden_size)
 * </pre>
 * The four gates are one fused matrix-vector product over contiguous rows.
 */
public final class LstmLayer extends Layer {
    private final int projSize;
    /** weight_hr transposed: (hidden, proj), or null. */
    private final float[] whrT;

    /**
     * @param projSize 0 for none
     * @param weightIh (4*hidden, input) row-major, rows i, f, g, o
     * @param weightHh (4*hidden, h size) row-major, h size = projSize if > 0 else hidden
     * @param biasIh   (4*hidden), or null for {@code bias=False} (then biasHh is null too)
     * @param weightHr (projSize, hidden) row-major, or null when projSize is 0
     */
    public LstmLayer(int inputSize, int hiddenSize, int projSize, float[] weightIh, float[] weightHh,
                     float[] biasIh, float[] biasHh, float[] weightHr) {
        super(CellType.LSTM, inputSize, hiddenSize, checkProj(projSize, hiddenSize),
                weightIh, weightHh, biasIh, biasHh);
        this.projSize = projSize;
        if (projSize > 0) {
            checkLength("weight_hr", weightHr, projSize, hiddenSize);
            this.whrT = Kernels.transpose(weightHr, projSize, hiddenSize);
        } else {
            if (weightHr != null) {
                throw new IllegalArgumentException("weight_hr given but proj_size is 0");
            }
            this.whrT = null;
        }
    }

    private static int checkProj(int projSize, int hiddenSize) {
        if (projSize < 0 || projSize >= hiddenSize && projSize != 0) {
            throw new IllegalArgumentException("proj_size must be 0 or in [1, hidden_size) as in PyTorch, got "
                    + projSize + " with hidden_size " + hiddenSize);
        }
        return projSize > 0 ? projSize : hiddenSize;
    }

    @Override public CellType type() { return CellType.LSTM; }

    public int projSize() { return projSize; }

    @Override public int outSize() { return projSize > 0 ? projSize : hiddenSize; }

    @Override public int cellSize() { return hiddenSize; }

    @Override public int scratchSize() { return rows + (projSize > 0 ? hiddenSize : 0); }

    @Override
    public int parameterCount() {
        return super.parameterCount() + (whrT == null ? 0 : whrT.length);
    }

    @Override
    public void step(float[] state, int hOff, int cOff, float[] x, int xOff, float[] scratch) {
        final int h = hiddenSize;
        fusedGates(scratch, x, xOff, state, hOff, outSize());
        // i, f, g, o at scratch[0..H), [H..2H), [2H..3H), [3H..4H)
        final boolean proj = projSize > 0;
        final int hhOff = rows; // o * tanh(c') before the projection
        for (int j = 0; j < h; j++) {
            float i = Kernels.sigmoid(scratch[j]);
            float f = Kernels.sigmoid(scratch[h + j]);
            float g = Kernels.tanh(scratch[2 * h + j]);
            float o = Kernels.sigmoid(scratch[3 * h + j]);
            float c = f * state[cOff + j] + i * g;
            state[cOff + j] = c;
            float hh = o * Kernels.tanh(c);
            if (proj) {
                scratch[hhOff + j] = hh;
            } else {
                state[hOff + j] = hh;
            }
        }
        if (proj) {
            java.util.Arrays.fill(state, hOff, hOff + projSize, 0f);
            Kernels.gemvTAcc(state, hOff, whrT, scratch, hhOff, projSize, h);
        }
    }

    /** weight_hr in PyTorch's layout (proj, hidden), or null. */
    public float[] weightHr() {
        return whrT == null ? null : Kernels.transpose(whrT, hiddenSize, projSize);
    }
}
