package io.flinkrecurrent.cell;

/** torch.nn.RNN (Elman): {@code h' = act(W_ih @ x + b_ih + W_hh @ h + b_hh)}, act = tanh, relu or identity. */
@io.flinkrecurrent.annotation.PublicEvolving
public final class RnnLayer extends Layer {
    private final Activation nonlinearity;

    /**
     * @param weightIh (hidden, input) row-major
     * @param weightHh (hidden, hidden) row-major
     * @param biasIh   (hidden), or null for {@code bias=False} (then biasHh is null too)
     */
    public RnnLayer(int inputSize, int hiddenSize, Activation nonlinearity,
                    float[] weightIh, float[] weightHh, float[] biasIh, float[] biasHh) {
        super(CellType.RNN, inputSize, hiddenSize, hiddenSize, weightIh, weightHh, biasIh, biasHh);
        if (nonlinearity != Activation.TANH && nonlinearity != Activation.RELU && nonlinearity != Activation.IDENTITY) {
            throw new IllegalArgumentException("an RNN's nonlinearity is tanh, relu or identity, not " + nonlinearity.fileName());
        }
        this.nonlinearity = nonlinearity;
    }

    @Override public CellType type() { return CellType.RNN; }

    public Activation nonlinearity() { return nonlinearity; }

    @Override int[] scratchSizes() { return new int[] {hiddenSize, 0, 0}; }

    @Override
    void finish(float[] state, int hOff, int cOff, float[] pre, float[] unused, float[] hidden) {
        nonlinearity.applyInPlace(pre, 0, hiddenSize);
        System.arraycopy(pre, 0, state, hOff, hiddenSize);
    }
}
