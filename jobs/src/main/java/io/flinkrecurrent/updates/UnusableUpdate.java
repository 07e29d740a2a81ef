package io.flinkrecurrent.updates;

import io.flinkrecurrent.flink.ModelUpdate;

import java.util.Objects;

/**
 * A record of a stream of model updates that is not one: where it was and why it cannot be used, each
 * in a field of its own. It travels on the update stream like any update, in its order, so that every
 * subtask refuses it (it has no {@link #kind}) onto {@code UPDATE_REJECTED}, where the refusal's
 * {@code update} is this record; the job goes on with the model it had. A Flink POJO.
 */
public class UnusableUpdate extends ModelUpdate {
    private static final long serialVersionUID = 1L;

    /** Where the record was: a Kafka partition and offset, a file. */
    public String where;
    /** Why it is not a model update: the rule of {@link ModelUpdateJson} it breaks. */
    public String reason;

    public UnusableUpdate() {
        kind = null;
        policy = null;
    }

    public UnusableUpdate(String where, String reason) {
        this();
        this.where = where;
        this.reason = reason;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof UnusableUpdate u && super.equals(o) && Objects.equals(where, u.where)
                && Objects.equals(reason, u.reason);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), where, reason);
    }

    @Override
    public String toString() {
        return "the record at " + where + " is not a model update: " + reason;
    }
}
