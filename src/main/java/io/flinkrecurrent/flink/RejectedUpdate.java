package io.flinkrecurrent.flink;

import io.flinkrecurrent.annotation.PublicEvolving;

/**
 * A model update a subtask refused, with the reason, on {@link Recurrent#UPDATE_REJECTED}: the file
 * could not be read or its hash differs, its input width differs from the live model's, {@code KEEP}
 * between different state layouts, {@code WARM_UP} beyond the inputs the operator keeps, a promotion
 * with no shadow. The subtask goes on with the model it had. Each subtask decides for itself, so a
 * refusal comes once per subtask that refused ({@link #subtask}). A Flink POJO.
 */
@PublicEvolving
public class RejectedUpdate {
    public ModelUpdate update;
    public String reason;
    /** The subtask that refused it. */
    public int subtask;

    public RejectedUpdate() {}

    public RejectedUpdate(ModelUpdate update, String reason, int subtask) {
        this.update = update;
        this.reason = reason;
        this.subtask = subtask;
    }

    @Override
    public String toString() {
        return "RejectedUpdate{" + update + ", subtask " + subtask + ": " + reason + "}";
    }
}
