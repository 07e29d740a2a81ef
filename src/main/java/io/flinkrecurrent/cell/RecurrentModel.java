package io.flinkrecurrent.cell;

import java.io.Serializable;

/**
 * A recurrent model as the operator and the CLI see it: a stateless step function over a state that
 * the caller owns. One instance serves every key; each key's state is one flat {@code float[]}.
 *
 * <p>Implementations must be thread-safe for concurrent {@link #step} calls with distinct state and
 * scratch arrays, and must not allocate in {@link #step}. They are {@link Serializable} so that a
 * stream processor can ship one to its workers with the job.
 */
@io.flinkrecurrent.annotation.PublicEvolving
public interface RecurrentModel extends Serializable {

    /** Width of one input vector. */
    int inputSize();

    /** Width of one output vector. */
    int outputSize();

    /** Floats of state per key. A key's state starts (and after a reset restarts) at all zeros. */
    int stateSize();

    /**
     * Applies one event: updates {@code state} in place and writes the output.
     *
     * <pre>// x (inputSize), state (stateSize) -> state (stateSize), out (outputSize)</pre>
     */
    void step(float[] out, float[] state, float[] x, Scratch scratch);

    /** A zero state (a key never seen, or just reset). */
    default float[] newState() {
        return new float[stateSize()];
    }

    /** A scratch buffer for {@link #step}: allocate once per thread or operator, reuse for every event. */
    Scratch newScratch();

    /**
     * A hash of the architecture and the weights: state written by one model is only read back by a
     * model with the same fingerprint (a restored state that does not fit is reset, not misread).
     */
    long fingerprint();

    /** A one-line human-readable description of the architecture. */
    String describe();
}
