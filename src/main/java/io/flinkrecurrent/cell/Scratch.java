package io.flinkrecurrent.cell;

/**
 * Working buffers for one {@link RecurrentModel#step}: made once per thread or operator by
 * {@link RecurrentModel#newScratch()} and reused for every event, so a step allocates nothing.
 * Each buffer is its own array, so the kernels always write from index 0 (see {@link Kernels#gemvTAcc}).
 */
public final class Scratch {
    /** Gate pre-activations (all gates of a layer), or the general recurrence's next state. */
    final float[] gates;
    /** A second gate buffer (GRU: the recurrent part, whose n rows stay inside r * (...)). */
    final float[] gates2;
    /** A hidden-sized buffer (LSTM with projection: o * tanh(c) before W_hr). */
    final float[] hidden;

    Scratch(int gates, int gates2, int hidden) {
        this.gates = new float[Math.max(1, gates)];
        this.gates2 = new float[Math.max(1, gates2)];
        this.hidden = new float[Math.max(1, hidden)];
    }

    /** A scratch large enough for both. */
    static int[] max(int[] a, int[] b) {
        return new int[] {Math.max(a[0], b[0]), Math.max(a[1], b[1]), Math.max(a[2], b[2])};
    }
}
