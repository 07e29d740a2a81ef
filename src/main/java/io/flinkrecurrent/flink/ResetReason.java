package io.flinkrecurrent.flink;

/** Why a key's state was zeroed; each is counted in the metric {@code recurrent.resets.<reason>}. */
@io.flinkrecurrent.annotation.Internal
public enum ResetReason {
    /** The event carried {@code reset = true}. */
    EVENT,
    /** The key's sequence reached the configured number of steps. */
    STEPS,
    /** The key was idle longer than the configured gap (event or processing time). */
    IDLE,
    /** A restored state was written by another model (fingerprint or size differs). */
    MODEL_CHANGED,
    /** A step made the state or the output NaN or infinite, under {@link RecurrentOptions.NonFinitePolicy#RESET}. */
    NON_FINITE
}
