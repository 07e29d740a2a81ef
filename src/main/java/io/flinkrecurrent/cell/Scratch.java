package io.flinkrecurrent.cell;

/**
 * Working buffers for one {@link RecurrentModel#step}: made once per thread or operator by
 * {@link RecurrentModel#newScratch()} and reused for every event, so a step allocates nothing.
 * Each buffer is its own array, so the kernels always write from index 0 (see {@link Kernels#gemvTAcc}).
 */
@io.flinkrecurrent.annotation.PublicEvolving
public final class Scratch {
    /** Gate pre-activations (all gates of a layer), or the general recurrence's next state. */
    final float[] gates;
    /** A second gate buffer (GRU: the recurrent part, whose n rows stay inside r * (...)). */
    final float[] gates2;
    /** A hidden-sized buffer (LSTM with projection: o * tanh(c) before W_hr). */
    final float[] hidden;

    /** General buffers for models built on top of others (see {@link #withWork}); none unless asked for. */
    private final float[][] work;

    Scratch(int gates, int gates2, int hidden) {
        this(new float[Math.max(1, gates)], new float[Math.max(1, gates2)], new float[Math.max(1, hidden)], new float[0][]);
    }

    private Scratch(float[] gates, float[] gates2, float[] hidden, float[][] work) {
        this.gates = gates;
        this.gates2 = gates2;
        this.hidden = hidden;
        this.work = work;
    }

    /**
     * A scratch with only work buffers of the given sizes ({@link #work(int)}): what a
     * {@link RecurrentModel} written outside this package returns from {@link RecurrentModel#newScratch()}.
     */
    public static Scratch of(int... workSizes) {
        return new Scratch(0, 0, 0).withWork(workSizes);
    }

    /**
     * The same buffers plus work buffers of the given sizes after the ones it has, for a model that
     * wraps another: it passes this scratch to the inner model and keeps its own values in
     * {@link #work(int)} from index {@link #workCount()} of the inner model's scratch on.
     */
    public Scratch withWork(int... sizes) {
        float[][] w = java.util.Arrays.copyOf(work, work.length + sizes.length);
        for (int i = 0; i < sizes.length; i++) {
            w[work.length + i] = new float[sizes[i]];
        }
        return new Scratch(gates, gates2, hidden, w);
    }

    /** How many work buffers this scratch has. */
    public int workCount() {
        return work.length;
    }

    /** The i-th work buffer made by {@link #withWork}. */
    public float[] work(int i) {
        return work[i];
    }

    /** A scratch large enough for both. */
    static int[] max(int[] a, int[] b) {
        return new int[] {Math.max(a[0], b[0]), Math.max(a[1], b[1]), Math.max(a[2], b[2])};
    }
}
