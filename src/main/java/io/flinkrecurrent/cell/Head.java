package io.flinkrecurrent.cell;

/** The output head, torch.nn.Linear plus an activation: {@code y = act(weight @ h + bias)}. */
@io.flinkrecurrent.annotation.PublicEvolving
public final class Head implements java.io.Serializable {
    private final int inSize;
    private final int outSize;
    /** weight by column: [inSize][outSize]. */
    private final float[][] wT;
    private final float[] bias;
    private final Activation activation;

    /**
     * @param weight (outSize, inSize) row-major, as torch.nn.Linear's {@code weight}
     * @param bias   (outSize), or null for {@code bias=False}
     */
    public Head(int inSize, int outSize, float[] weight, float[] bias, Activation activation) {
        if (inSize < 1 || outSize < 1) {
            throw new IllegalArgumentException("head sizes must be positive, got in " + inSize + ", out " + outSize);
        }
        if (activation == Activation.RELU) {
            throw new IllegalArgumentException("head activation is none, linear, sigmoid, softmax or tanh, not relu");
        }
        Layer.checkLength("head.weight", weight, outSize, inSize);
        if (bias != null) {
            Layer.checkLength("head.bias", bias, outSize, 1);
        }
        this.inSize = inSize;
        this.outSize = outSize;
        this.wT = Kernels.columns(weight, outSize, inSize);
        this.bias = bias == null ? null : bias.clone();
        this.activation = activation;
    }

    public int inSize() { return inSize; }

    public int outSize() { return outSize; }

    public Activation activation() { return activation; }

    public int parameterCount() { return inSize * outSize + (bias == null ? 0 : bias.length); }

    /** {@code // h[hOff..+inSize) -> out (outSize)} */
    public void apply(float[] out, float[] h, int hOff) {
        if (bias != null) {
            System.arraycopy(bias, 0, out, 0, outSize);
        } else {
            java.util.Arrays.fill(out, 0, outSize, 0f);
        }
        Kernels.gemvTAcc(out, wT, h, hOff, outSize);
        activation.applyInPlace(out, 0, outSize);
    }

    /** weight in PyTorch's layout (out, in). */
    public float[] weight() { return Kernels.rowMajor(wT, outSize); }

    /** bias (out), or null. */
    public float[] bias() { return bias == null ? null : bias.clone(); }
}
