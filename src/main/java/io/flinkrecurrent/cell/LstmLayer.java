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
@io.flinkrecurrent.annotation.PublicEvolving
public final class LstmLayer extends Layer {
    private final int projSize;
    /** weight_hr by column: [hidden][proj], or null. */
    private final float[][] whrT;

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
            this.whrT = Kernels.columns(weightHr, projSize, hiddenSize);
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

    @Override int[] scratchSizes() { return new int[] {rows, 0, hiddenSize}; }

    @Override
    public int parameterCount() {
        return super.parameterCount() + (whrT == null ? 0 : projSize * hiddenSize);
    }

    @Override
    void finish(float[] state, int hOff, int cOff, float[] gates, float[] unused, float[] t) {
        final int h = hiddenSize;
        // i, f, g, o at gates[0..H), [H..2H), [2H..3H), [3H..4H)
        Kernels.sigmoidInPlace(gates, 0, 2 * h);
        Kernels.tanhInPlace(gates, 2 * h, h);
        Kernels.sigmoidInPlace(gates, 3 * h, h);
        // c' = f * c + i * g, kept in the state and in t, where it becomes tanh(c') in one pass
        Kernels.lstmCell(state, cOff, t, gates, 0, h, 2 * h, h);
        Kernels.tanhInPlace(t, 0, h);
        if (projSize == 0) {
            Kernels.mul(state, hOff, gates, 3 * h, t, 0, h); // h' = o * tanh(c')
        } else {
            Kernels.mul(t, 0, t, 0, gates, 3 * h, h);
            // h' = W_hr @ (o * tanh(c')), built in gates (free now) and copied into the state
            java.util.Arrays.fill(gates, 0, projSize, 0f);
            Kernels.gemvTAcc(gates, whrT, t, 0, projSize);
            System.arraycopy(gates, 0, state, hOff, projSize);
        }
    }

    /** weight_hr in PyTorch's layout (proj, hidden), or null. */
    public float[] weightHr() {
        return whrT == null ? null : Kernels.rowMajor(whrT, projSize);
    }
}
