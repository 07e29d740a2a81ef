package io.flinkrecurrent.flink;

import io.flinkrecurrent.annotation.Internal;

/**
 * One accepted model update as the operator checkpoints it, in its broadcast state (identical in every
 * subtask): the update (the reference and hash, never the weights), its generation, and the tag the
 * keys' states written by that model carry ({@link KeyState#fingerprint}). A Flink POJO.
 */
@Internal
public class SwapRecord {
    public long generation;
    public long tag;
    /** The update was a shadow model's, not the live one's. */
    public boolean shadow;
    public ModelUpdate update;

    public SwapRecord() {}

    public SwapRecord(long generation, long tag, boolean shadow, ModelUpdate update) {
        this.generation = generation;
        this.tag = tag;
        this.shadow = shadow;
        this.update = update;
    }
}
