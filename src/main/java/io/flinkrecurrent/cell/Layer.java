package io.flinkrecurrent.cell;

/**
 * One recurrent layer with PyTorch's weights ({@code weight_ih_l{k}}, {@code weight_hh_l{k}},
 * {@code bias_ih_l{k}}, {@code bias_hh_l{k}}, and for an LSTM with projection {@code weight_hr_l{k}}).
 * Stateless: {@link #step} reads and writes the layer's {@code h} (and {@code c}) inside the caller's
 * state array.
 *
 * <p>The constructor takes the weights row-major in PyTorch's shapes and keeps them transposed
 * (see {@link Kernels}); {@link #weightIh()} and friends give them back in PyTorch's layout.
 */
@io.flinkrecurrent.annotation.PublicEvolving
public abstract sealed class Layer implements java.io.Serializable permits RnnLayer, GruLayer, LstmLayer {
    protected final int inputSize;
    protected final int hiddenSize;
    protected final int rows;
    /** weight_ih by column: [inputSize][rows]. */
    protected final float[][] wihT;
    /** weight_hh by column: [outSize][rows]. */
    protected final float[][] whhT;
    protected final float[] bih;
    protected final float[] bhh;
    /** b_ih + b_hh, summed once: where the products share one buffer, each step starts from it. */
    private final float[] bsum;
    protected final boolean bias;

    Layer(CellType type, int inputSize, int hiddenSize, int hOut,
          float[] weightIh, float[] weightHh, float[] biasIh, float[] biasHh) {
        if (inputSize < 1 || hiddenSize < 1) {
            throw new IllegalArgumentException("input_size and hidden_size must be positive, got "
                    + inputSize + " and " + hiddenSize);
        }
        this.inputSize = inputSize;
        this.hiddenSize = hiddenSize;
        this.rows = type.gates() * hiddenSize;
        checkLength("weight_ih", weightIh, rows, inputSize);
        checkLength("weight_hh", weightHh, rows, hOut);
        if ((biasIh == null) != (biasHh == null)) {
            throw new IllegalArgumentException("bias_ih and bias_hh must be both present or both absent");
        }
        this.bias = biasIh != null;
        if (bias) {
            checkLength("bias_ih", biasIh, rows, 1);
            checkLength("bias_hh", biasHh, rows, 1);
        }
        this.wihT = Kernels.columns(weightIh, rows, inputSize);
        this.whhT = Kernels.columns(weightHh, rows, hOut);
        this.bih = bias ? biasIh.clone() : new float[rows];
        this.bhh = bias ? biasHh.clone() : new float[rows];
        this.bsum = new float[rows];
        Kernels.add(bsum, 0, bih, 0, bhh, 0, rows);
    }

    static void checkLength(String name, float[] a, int rows, int cols) {
        if (a == null) {
            throw new IllegalArgumentException(name + " is missing");
        }
        if (a.length != rows * cols) {
            throw new IllegalArgumentException(name + " has " + a.length + " values, expected "
                    + (cols == 1 ? "[" + rows + "]" : "[" + rows + ", " + cols + "]") + " = " + rows * cols);
        }
    }

    public abstract CellType type();

    public int inputSize() { return inputSize; }

    public int hiddenSize() { return hiddenSize; }

    /** Size of this layer's {@code h}: proj_size for a projected LSTM, else hidden_size. */
    public int outSize() { return hiddenSize; }

    /** Size of this layer's {@code c}: hidden_size for an LSTM, else 0. */
    public int cellSize() { return 0; }

    public boolean hasBias() { return bias; }

    /** Sizes of the {@link Scratch} buffers one step needs: gates, gates2, hidden. */
    abstract int[] scratchSizes();

    /** Number of trainable parameters, as PyTorch counts them. */
    public int parameterCount() {
        return rows * (wihT.length + whhT.length) + (bias ? 2 * rows : 0);
    }

    /**
     * One step of this layer, in place.
     *
     * <pre>// x[xOff..+inputSize), h = state[hOff..+outSize), c = state[cOff..+cellSize) -> new h, c</pre>
     */
    public final void step(float[] state, int hOff, int cOff, float[] x, int xOff, Scratch scratch) {
        float[] gi = scratch.gates;
        float[] gh = splitGates() ? scratch.gates2 : gi;
        initGates(gi, gh);
        Kernels.gemvTAcc(gi, wihT, x, xOff, rows);
        Kernels.gemvTAcc(gh, whhT, state, hOff, rows);
        finish(state, hOff, cOff, gi, gh, scratch.hidden);
    }

    /**
     * One step of this layer for n keys at once: the gate products of all n as one matrix-matrix
     * product (the weights stay in cache across the batch), then each key's nonlinear part.
     *
     * <pre>// xs[b][xOff..+inputSize), states[b] (h at hOff, c at cOff) -> new h, c, for b < n</pre>
     */
    public final void stepBatch(float[][] states, int hOff, int cOff, float[][] xs, int xOff, int n, BatchScratch scratch) {
        float[][] gi = scratch.gates;
        float[][] gh = splitGates() ? scratch.gates2 : gi;
        for (int b = 0; b < n; b++) {
            initGates(gi[b], gh[b]);
        }
        Kernels.gemmTAcc(gi, wihT, xs, xOff, n, rows);
        Kernels.gemmTAcc(gh, whhT, states, hOff, n, rows);
        for (int b = 0; b < n; b++) {
            finish(states[b], hOff, cOff, gi[b], gh[b], scratch.hidden);
        }
    }

    /** True when the recurrent products must stay apart from the input products (GRU: b_hn inside r * (...)). */
    boolean splitGates() {
        return false;
    }

    /** {@code // gi = b_ih + b_hh (one buffer), or gi = b_ih and gh = b_hh (split)} */
    private void initGates(float[] gi, float[] gh) {
        if (gi == gh) {
            System.arraycopy(bsum, 0, gi, 0, rows);
        } else {
            System.arraycopy(bih, 0, gi, 0, rows);
            System.arraycopy(bhh, 0, gh, 0, rows);
        }
    }

    /**
     * The nonlinear part of a step, from the gate pre-activations to the new h (and c).
     *
     * <pre>// gi (rows) = W_ih x + b, gh (rows) = W_hh h + b (the same array unless split) -> state's h, c; hidden (H) scratch</pre>
     */
    abstract void finish(float[] state, int hOff, int cOff, float[] gi, float[] gh, float[] hidden);

    /** weight_ih in PyTorch's layout (G*H, input). */
    public float[] weightIh() { return Kernels.rowMajor(wihT, rows); }

    /** weight_hh in PyTorch's layout (G*H, h size). */
    public float[] weightHh() { return Kernels.rowMajor(whhT, rows); }

    /** bias_ih (G*H), or null without bias. */
    public float[] biasIh() { return bias ? bih.clone() : null; }

    /** bias_hh (G*H), or null without bias. */
    public float[] biasHh() { return bias ? bhh.clone() : null; }
}
