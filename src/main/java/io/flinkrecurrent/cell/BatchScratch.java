package io.flinkrecurrent.cell;

/** Working buffers for {@link RecurrentNetwork#stepBatch}: one set of gate rows per key of the batch, made once. */
@io.flinkrecurrent.annotation.PublicEvolving
public final class BatchScratch {
    final float[][] gates;
    final float[][] gates2;
    final float[] hidden;
    final int capacity;

    BatchScratch(int capacity, int gates, int gates2, int hidden) {
        this.capacity = capacity;
        this.gates = new float[capacity][Math.max(1, gates)];
        this.gates2 = new float[capacity][Math.max(1, gates2)];
        this.hidden = new float[Math.max(1, hidden)];
    }

    /** The largest batch these buffers serve. */
    public int capacity() {
        return capacity;
    }
}
