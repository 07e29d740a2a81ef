package io.flinkrecurrent.runtime;

import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.flink.KeyState;

/** Per event: each event's key stepped at once, one {@link RecurrentModel#step}. */
@Internal
public final class PerEventSink<T> implements StepSink<T> {
    private final StepTarget<T> target;
    private final KeyStepper stepper;
    private final float[] x;
    private float[] y;

    public PerEventSink(StepTarget<T> target, KeyStepper stepper, int inputSize) {
        this.target = target;
        this.stepper = stepper;
        this.x = new float[inputSize];
    }

    @Override
    public float[] nextInput() {
        return x;
    }

    @Override
    public void submit(T event, Object key, long ts, long now) throws Exception {
        KeyState ks = target.prepare(event, key, ts, now);
        boolean fromZero = ks.sinceReset == 0;
        long seq = stepper.step(y, ks, x, ts, now);
        target.stepped(event, key, ks, seq, fromZero, x, y, ts, now);
    }

    @Override
    public void flush() {}

    @Override
    public boolean holds(Object key) {
        return false;
    }

    @Override
    public void install(RecurrentModel model) {
        y = new float[model.outputSize()];
    }
}
