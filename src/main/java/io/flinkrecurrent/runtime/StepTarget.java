package io.flinkrecurrent.runtime;

import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.flink.KeyState;

/**
 * What a {@link StepSink} steps for: the operator core, which reads a key's state before the step and
 * writes it, with the output, after. Both are called with the event's key as the current key.
 */
@Internal
public interface StepTarget<T> {
    /** The key's state, read and made ready for the event's step ({@link KeyStepper#prepare}). */
    KeyState prepare(T event, Object key, long ts, long now) throws Exception;

    /**
     * After the step: {@code seq} is the output's seq, or -1 when the guard refused the step. The key's
     * state is written back and the output (or the refusal) emitted.
     *
     * <pre>// x (inputSize): the event's input; y (outputSize): the step's output</pre>
     */
    void stepped(T event, Object key, KeyState ks, long seq, boolean fromZero, float[] x, float[] y, long ts, long now)
            throws Exception;
}
