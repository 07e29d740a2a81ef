package io.flinkrecurrent.flink;

import io.flinkrecurrent.annotation.PublicEvolving;

/**
 * Thrown by an {@link InputFiller} for an event it cannot turn into an input: the event goes to the
 * side output with this reason and message, and the job goes on. Cheap: no stack trace.
 */
@PublicEvolving
public final class InputRejected extends Exception {
    private static final long serialVersionUID = 1L;
    private final RejectedEvent.Reason reason;

    public InputRejected(RejectedEvent.Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public RejectedEvent.Reason reason() {
        return reason;
    }
}
