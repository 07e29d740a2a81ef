package io.flinkrecurrent.runtime;

import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.cell.RecurrentModel;

/**
 * Where the operator core hands an admitted event to be stepped: at once ({@link PerEventSink}) or
 * into a bundle of many keys stepped together ({@link MicroBatchSink}). The event's input is written
 * into {@link #nextInput()} before {@link #submit}. A sink that steps later restores the operator's
 * current key itself after stepping other keys.
 */
@Internal
public interface StepSink<T> {
    /** The buffer the next submitted event's input is written into. */
    float[] nextInput();

    /** The event, its input in {@link #nextInput()}, stepped now or bundled. The key is the current key. */
    void submit(T event, Object key, long ts, long now) throws Exception;

    /** Every bundled event stepped now (before a barrier, a watermark, a model change, the end of input). */
    void flush() throws Exception;

    /** Whether events of this key wait in the bundle. */
    boolean holds(Object key);

    /** The model to step with from now on (after {@link #flush()}): its buffers made once. */
    void install(RecurrentModel model);
}
