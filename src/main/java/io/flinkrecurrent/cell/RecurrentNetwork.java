package io.flinkrecurrent.cell;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A stack of recurrent layers of one cell type (torch.nn.RNN / GRU / LSTM with {@code num_layers})
 * and an optional output head. Layer 0 reads the event's input; layer l > 0 reads the new h of layer
 * l - 1. Without a head the output is the top layer's new h.
 *
 * <p>State layout, one flat array per key (PyTorch's {@code h_n} then {@code c_n}):
 * <pre>[ h_0 (Ho) | h_1 (Ho) | ... | h_{L-1} (Ho) | c_0 (H) | ... | c_{L-1} (H) ]</pre>
 * with the c blocks for an LSTM only.
 */
@io.flinkrecurrent.annotation.PublicEvolving
public final class RecurrentNetwork implements BatchedModel<BatchScratch> {
    private final CellType type;
    private final Layer[] layers;
    private final Head head;
    private final int[] hOff;
    private final int[] cOff;
    private final int stateSize;
    private final int[] scratchSizes;
    private final long fingerprint;

    /** @param head null for none */
    public RecurrentNetwork(List<? extends Layer> layers, Head head) {
        if (layers == null || layers.isEmpty()) {
            throw new IllegalArgumentException("a network needs at least one layer");
        }
        this.layers = layers.toArray(new Layer[0]);
        this.type = this.layers[0].type();
        this.head = head;
        int n = this.layers.length;
        hOff = new int[n];
        cOff = new int[n];
        int pos = 0;
        int[] scratch = {0, 0, 0};
        for (int l = 0; l < n; l++) {
            Layer layer = Objects.requireNonNull(this.layers[l], "layer " + l);
            if (layer.type() != type) {
                throw new IllegalArgumentException("layer " + l + " is " + layer.type() + " but layer 0 is " + type);
            }
            if (l > 0 && layer.inputSize() != this.layers[l - 1].outSize()) {
                throw new IllegalArgumentException("layer " + l + " reads " + layer.inputSize()
                        + " values but layer " + (l - 1) + " writes an h of " + this.layers[l - 1].outSize());
            }
            hOff[l] = pos;
            pos += layer.outSize();
            scratch = Scratch.max(scratch, layer.scratchSizes());
        }
        for (int l = 0; l < n; l++) {
            cOff[l] = pos;
            pos += this.layers[l].cellSize();
        }
        this.stateSize = pos;
        this.scratchSizes = scratch;
        if (head != null && head.inSize() != top().outSize()) {
            throw new IllegalArgumentException("head reads " + head.inSize() + " values but the top layer's h has "
                    + top().outSize());
        }
        Fingerprint fp = new Fingerprint().add(describe());
        for (Layer layer : this.layers) {
            fp.add(layer.weightIh()).add(layer.weightHh()).add(layer.biasIh()).add(layer.biasHh());
            if (layer instanceof LstmLayer lstm) {
                fp.add(lstm.weightHr());
            }
        }
        if (head != null) {
            fp.add(head.weight()).add(head.bias());
        }
        this.fingerprint = fp.value();
    }

    public CellType cellType() { return type; }

    public int numLayers() { return layers.length; }

    public Layer layer(int l) { return layers[l]; }

    public List<Layer> layers() { return List.of(layers); }

    /** The head, or null. */
    public Head head() { return head; }

    private Layer top() { return layers[layers.length - 1]; }

    /** Offset of layer l's h in the state array. */
    public int hOffset(int l) { return hOff[l]; }

    /** Offset of layer l's c in the state array (LSTM only). */
    public int cOffset(int l) { return cOff[l]; }

    @Override public int inputSize() { return layers[0].inputSize(); }

    @Override public int outputSize() { return head != null ? head.outSize() : top().outSize(); }

    @Override public int stateSize() { return stateSize; }

    @Override public long fingerprint() { return fingerprint; }

    @Override public Scratch newScratch() { return new Scratch(scratchSizes[0], scratchSizes[1], scratchSizes[2]); }

    public int parameterCount() {
        int n = head == null ? 0 : head.parameterCount();
        for (Layer layer : layers) {
            n += layer.parameterCount();
        }
        return n;
    }

    @Override
    public void step(float[] out, float[] state, float[] x, Scratch scratch) {
        float[] in = x;
        int inOff = 0;
        for (int l = 0; l < layers.length; l++) {
            layers[l].step(state, hOff[l], cOff[l], in, inOff, scratch);
            in = state;
            inOff = hOff[l];
        }
        if (head != null) {
            head.apply(out, state, inOff);
        } else {
            System.arraycopy(state, inOff, out, 0, top().outSize());
        }
    }

    /** Buffers for {@link #stepBatch} of up to {@code capacity} keys. */
    @Override
    public BatchScratch newBatchScratch(int capacity) {
        return new BatchScratch(capacity, scratchSizes[0], scratchSizes[1], scratchSizes[2]);
    }

    /**
     * Steps n distinct keys at once: the same result as {@link #step} for each, with the weights read
     * once per batch instead of once per event.
     *
     * <pre>// xs[b] (inputSize), states[b] (stateSize) -> states[b], outs[b] (outputSize), for b < n</pre>
     */
    @Override
    public void stepBatch(float[][] outs, float[][] states, float[][] xs, int n, BatchScratch scratch) {
        if (n > scratch.capacity) {
            throw new IllegalArgumentException("batch of " + n + " keys, scratch made for " + scratch.capacity);
        }
        float[][] in = xs;
        int inOff = 0;
        for (int l = 0; l < layers.length; l++) {
            layers[l].stepBatch(states, hOff[l], cOff[l], in, inOff, n, scratch);
            in = states;
            inOff = hOff[l];
        }
        for (int b = 0; b < n; b++) {
            if (head != null) {
                head.apply(outs[b], states[b], inOff);
            } else {
                System.arraycopy(states[b], inOff, outs[b], 0, top().outSize());
            }
        }
    }

    /** Copies layer l's h out of a state array. */
    public float[] h(float[] state, int l) {
        return Arrays.copyOfRange(state, hOff[l], hOff[l] + layers[l].outSize());
    }

    /** Copies layer l's c out of a state array (empty unless LSTM). */
    public float[] c(float[] state, int l) {
        return Arrays.copyOfRange(state, cOff[l], cOff[l] + layers[l].cellSize());
    }

    @Override
    public String describe() {
        Layer l0 = layers[0];
        StringBuilder sb = new StringBuilder(type.fileName()).append('(');
        if (l0 instanceof RnnLayer r) {
            sb.append("nonlinearity=").append(r.nonlinearity().fileName()).append(", ");
        }
        sb.append("input=").append(inputSize()).append(", hidden=").append(l0.hiddenSize())
                .append(", layers=").append(layers.length);
        if (l0 instanceof LstmLayer lstm && lstm.projSize() > 0) {
            sb.append(", proj=").append(lstm.projSize());
        }
        if (!l0.hasBias()) {
            sb.append(", bias=false");
        }
        sb.append(')');
        if (head != null) {
            sb.append(" -> linear(").append(head.inSize()).append(" -> ").append(head.outSize())
                    .append(", ").append(head.activation().fileName()).append(')');
        }
        return sb.toString();
    }

    /** Builds a network in code from PyTorch-layout weights. See {@link Builder}. */
    public static Builder builder(CellType type, int inputSize, int hiddenSize) {
        return new Builder(type, inputSize, hiddenSize);
    }

    /**
     * Assembles a network layer by layer from weights in PyTorch's layout (row-major, gate order as
     * PyTorch). Example: {@code builder(LSTM, 16, 64).layer(wih, whh, bih, bhh).head(w, b, SOFTMAX).build()}.
     */
    public static final class Builder {
        private final CellType type;
        private final int inputSize;
        private final int hiddenSize;
        private int projSize;
        private Activation nonlinearity = Activation.TANH;
        private final List<Layer> layers = new ArrayList<>();
        private Head head;

        private Builder(CellType type, int inputSize, int hiddenSize) {
            this.type = Objects.requireNonNull(type);
            this.inputSize = inputSize;
            this.hiddenSize = hiddenSize;
        }

        /** RNN only: tanh (default), relu or identity. Set before adding layers. */
        public Builder nonlinearity(Activation a) {
            this.nonlinearity = a;
            return this;
        }

        /** LSTM only: proj_size (0 = none). Set before adding layers. */
        public Builder projSize(int p) {
            this.projSize = p;
            return this;
        }

        /** Adds a layer without projection; biases may be null (bias=False). */
        public Builder layer(float[] weightIh, float[] weightHh, float[] biasIh, float[] biasHh) {
            return layer(weightIh, weightHh, biasIh, biasHh, null);
        }

        /** Adds a layer; weightHr only for an LSTM with proj_size. */
        public Builder layer(float[] weightIh, float[] weightHh, float[] biasIh, float[] biasHh, float[] weightHr) {
            int in = layers.isEmpty() ? inputSize : layers.get(layers.size() - 1).outSize();
            layers.add(switch (type) {
                case RNN -> new RnnLayer(in, hiddenSize, nonlinearity, weightIh, weightHh, biasIh, biasHh);
                case GRU -> new GruLayer(in, hiddenSize, weightIh, weightHh, biasIh, biasHh);
                case LSTM -> new LstmLayer(in, hiddenSize, projSize, weightIh, weightHh, biasIh, biasHh, weightHr);
            });
            return this;
        }

        /**
         * Adds a layer of fixed random weights, a reservoir in the echo-state sense, the same for the same
         * seed on every JVM ({@link java.util.Random}'s algorithm is fixed): input weights N(0, inputScale²),
         * recurrent weights N(0, 1 / hidden), input biases N(0, 0.25), recurrent biases 0. With
         * {@link OnlineReadout} over it, each key learns its own readout of a recurrent state nobody trained.
         */
        public Builder randomLayer(long seed, float inputScale) {
            if (projSize > 0) {
                throw new IllegalStateException("a random layer has no projection (proj_size " + projSize + ")");
            }
            int in = layers.isEmpty() ? inputSize : layers.get(layers.size() - 1).outSize();
            int rows = type.gates() * hiddenSize;
            java.util.Random r = new java.util.Random(seed);
            float[] wih = new float[rows * in];
            float[] whh = new float[rows * hiddenSize];
            float[] bih = new float[rows];
            for (int i = 0; i < wih.length; i++) {
                wih[i] = (float) (inputScale * r.nextGaussian());
            }
            for (int i = 0; i < whh.length; i++) {
                whh[i] = (float) (r.nextGaussian() / Math.sqrt(hiddenSize));
            }
            for (int i = 0; i < bih.length; i++) {
                bih[i] = (float) (0.5 * r.nextGaussian());
            }
            return layer(wih, whh, bih, new float[rows]);
        }

        /** Adds the output head: weight (O, h size), bias (O) or null. */
        public Builder head(float[] weight, float[] bias, Activation activation) {
            if (layers.isEmpty()) {
                throw new IllegalStateException("add the layers before the head");
            }
            int in = layers.get(layers.size() - 1).outSize();
            this.head = new Head(in, weight.length / in, weight, bias, activation);
            return this;
        }

        public RecurrentNetwork build() {
            return new RecurrentNetwork(layers, head);
        }
    }
}
