package io.flinkrecurrent.flink;

import io.flinkrecurrent.annotation.PublicEvolving;

import java.io.Serializable;

/**
 * Builds the operator's output for one applied event from the user's event and the model's output:
 * {@code (reading, y, ctx) -> new Alert(reading, y[0], ctx.seq())}. {@code y} and {@code ctx.state()}
 * are the operator's buffers, valid during the call only: copy what the result keeps. Returning null
 * emits nothing for this event (its state was stepped all the same).
 */
@PublicEvolving
@FunctionalInterface
public interface OutputEmitter<T, K, R> extends Serializable {
    /** {@code // event, y (the model's outputSize), ctx -> the result, or null} */
    R emit(T event, float[] y, StepContext<K> ctx) throws Exception;
}
