package io.flinkrecurrent.cell;

import io.flinkrecurrent.annotation.PublicEvolving;

/**
 * A model that can step many distinct keys at once, reading its weights once per batch instead of
 * once per event. The operator's micro-batching uses it when the model has it (and steps the keys one
 * by one otherwise). {@code S} is the model's own batch scratch type, made once and reused.
 */
@PublicEvolving
public interface BatchedModel<S> extends RecurrentModel {

    /** Buffers for {@link #stepBatch} of up to {@code capacity} keys. */
    S newBatchScratch(int capacity);

    /**
     * Steps n distinct keys: the same result as {@link #step} on each, in any order.
     *
     * <pre>// xs[b] (inputSize), states[b] (stateSize) -> states[b], outs[b] (outputSize), for b < n</pre>
     */
    void stepBatch(float[][] outs, float[][] states, float[][] xs, int n, S scratch);
}
