package io.flinkrecurrent.runtime;

import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.Scratch;
import io.flinkrecurrent.flink.KeyState;
import io.flinkrecurrent.flink.RecurrentOptions;

/**
 * The per-key step, one piece of code for the DataStream operator and the SQL function: the key's
 * state prepared (created, checked against the model, reset as the options say), stepped, guarded
 * ({@link StepGuard}) and advanced (its counters and latest event time). The caller reads the key's
 * state before and writes it after; the stepper holds the model's buffers, made once per model.
 *
 * <p>Micro-batched, the operator steps many keys at once: it calls {@link #prepare} for each, steps
 * them together, and {@link #conclude}s each.
 */
@Internal
public final class KeyStepper {
    /** Every 64th step is timed for the step-time gauge (System.nanoTime costs about 20 ns a call). */
    private static final int TIMING_MASK = 63;

    private final RecurrentOptions options;
    private final OperatorMetrics metrics;
    private final StepGuard guard;
    private RecurrentModel model;
    private long fingerprint;
    private Scratch scratch;
    private float[] before;
    private long steps;
    private String refusal;

    public KeyStepper(RecurrentOptions options, OperatorMetrics metrics, Admission.Form form) {
        this.options = options;
        this.metrics = metrics;
        this.guard = new StepGuard(options.nonFinitePolicy(), metrics, form.noun());
    }

    /** The model to step with from now on, and the tag its states carry (its fingerprint, or a generation's). */
    public void use(RecurrentModel model, long fingerprint) {
        this.model = model;
        this.fingerprint = fingerprint;
        this.scratch = model.newScratch();
        this.before = new float[model.stateSize()];
    }

    public RecurrentModel model() {
        return model;
    }

    public long fingerprint() {
        return fingerprint;
    }

    /**
     * The key's state ready for this input's step ({@code ks} null for a new key): see
     * {@link KeyStates#prepare}. {@code ts} is the input's event time, {@code now} the processing time.
     */
    public KeyState prepare(KeyState ks, boolean reset, long ts, long now) {
        return KeyStates.prepare(ks, reset, fingerprint, model.stateSize(), options, ts, now, metrics);
    }

    /**
     * One prepared key stepped with one input: the key's seq for the output, or -1 when the guard
     * refused the step ({@link #refusal()}; the key's state is then as the policy says).
     *
     * <pre>// y (outputSize) <- model(ks.state (stateSize), x (inputSize))</pre>
     */
    public long step(float[] y, KeyState ks, float[] x, long ts, long now) {
        System.arraycopy(ks.state, 0, before, 0, before.length);
        if ((++steps & TIMING_MASK) == 0) {
            long t0 = System.nanoTime();
            model.step(y, ks.state, x, scratch);
            metrics.stepNanos = System.nanoTime() - t0;
        } else {
            model.step(y, ks.state, x, scratch);
        }
        return conclude(y, ks, before, ts, now);
    }

    /**
     * After a key's step (alone or in a batch): the guard, then the counters advanced. Returns the
     * key's seq for the output, or -1 when the step was refused ({@link #refusal()}).
     *
     * <pre>// y (outputSize), ks.state (stateSize), before (stateSize): the key's state before the step</pre>
     */
    public long conclude(float[] y, KeyState ks, float[] before, long ts, long now) {
        refusal = guard.check(y, ks, before);
        return refusal != null ? -1 : KeyStates.advance(ks, ts, now);
    }

    /** A batch's step time per key, for the step-time gauge. */
    public void timed(long nanosPerKey) {
        metrics.stepNanos = nanosPerKey;
    }

    /** Why the last refused step was refused. */
    public String refusal() {
        return refusal;
    }
}
