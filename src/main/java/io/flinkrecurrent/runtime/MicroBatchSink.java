package io.flinkrecurrent.runtime;

import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.cell.BatchedModel;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.Scratch;
import io.flinkrecurrent.flink.KeyState;
import org.apache.flink.streaming.api.operators.KeyContext;
import org.apache.flink.streaming.runtime.tasks.ProcessingTimeService;

import java.util.Arrays;

/**
 * Micro-batched: events are collected per subtask, up to {@code capacity} or for at most
 * {@code maxDelayMs}, and the distinct keys of each round of the bundle ({@link Rounds}) are stepped
 * together ({@link BatchedModel#stepBatch} when the model has it). The sink owns its bundle: it
 * steps it when full, on its delay timer and when the core flushes it, and it restores the
 * operator's current key after stepping other keys.
 */
@Internal
public final class MicroBatchSink<T> implements StepSink<T> {
    private final StepTarget<T> target;
    private final KeyStepper stepper;
    private final KeyContext keys;
    private final ProcessingTimeService time;
    private final int capacity;
    private final long maxDelayMs;
    private final Rounds rounds;

    // the bundle: events, their keys, event times, arrival times (processing time) and inputs
    private final Object[] events;
    private final Object[] eventKeys;
    private final long[] times;
    private final long[] arrivals;
    private final float[][] inputs;
    private int size;
    private boolean flushTimerSet;
    // one round of distinct keys
    private final int[] round;
    private final KeyState[] roundStates;
    private final float[][] states;
    private final float[][] roundInputs;
    private final boolean[] fromZero;
    // per model
    private RecurrentModel model;
    private Scratch scratch;
    private Object batchScratch;
    private float[][] outs;
    private float[][] before;

    public MicroBatchSink(StepTarget<T> target, KeyStepper stepper, KeyContext keys, ProcessingTimeService time,
                          int capacity, long maxDelayMs, int inputSize) {
        this.target = target;
        this.stepper = stepper;
        this.keys = keys;
        this.time = time;
        this.capacity = capacity;
        this.maxDelayMs = maxDelayMs;
        this.rounds = new Rounds(capacity);
        events = new Object[capacity];
        eventKeys = new Object[capacity];
        times = new long[capacity];
        arrivals = new long[capacity];
        inputs = new float[capacity][inputSize];
        round = new int[capacity];
        roundStates = new KeyState[capacity];
        states = new float[capacity][];
        roundInputs = new float[capacity][];
        fromZero = new boolean[capacity];
    }

    @Override
    public void install(RecurrentModel model) {
        this.model = model;
        scratch = model.newScratch();
        outs = new float[capacity][model.outputSize()];
        before = new float[capacity][model.stateSize()];
        batchScratch = model instanceof BatchedModel<?> b ? b.newBatchScratch(capacity) : null;
    }

    /** Whether the model is stepped as one batched product (else one by one within a round). */
    public boolean batchedProduct() {
        return batchScratch != null;
    }

    @Override
    public float[] nextInput() {
        return inputs[size];
    }

    /** Events in the bundle now. */
    public int size() {
        return size;
    }

    @Override
    public void submit(T event, Object key, long ts, long now) throws Exception {
        events[size] = event;
        eventKeys[size] = key;
        times[size] = ts;
        arrivals[size] = now;
        size++;
        if (size == capacity) {
            flush();
        } else if (!flushTimerSet) {
            time.registerTimer(time.getCurrentProcessingTime() + maxDelayMs, t -> flushOnTimer());
            flushTimerSet = true;
        }
    }

    private void flushOnTimer() throws Exception {
        flushTimerSet = false;
        flush();
    }

    @Override
    public boolean holds(Object key) {
        for (int i = 0; i < size; i++) {
            if (eventKeys[i].equals(key)) {
                return true;
            }
        }
        return false;
    }

    /** Steps every bundled event, round by round; the current key is the caller's again afterwards. */
    @Override
    public void flush() throws Exception {
        int n = size;
        if (n == 0) {
            return;
        }
        Object current = keys.getCurrentKey();
        int count = rounds.sort(eventKeys, n);
        for (int r = 0; r < count; r++) {
            int m = 0;
            for (int j = rounds.start(r); j < rounds.end(r); j++) {
                round[m++] = rounds.event(j);
            }
            stepRound(m);
        }
        Arrays.fill(events, 0, n, null);
        Arrays.fill(eventKeys, 0, n, null);
        size = 0;
        if (current != null) {
            keys.setCurrentKey(current);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void stepRound(int n) throws Exception {
        for (int j = 0; j < n; j++) {
            int i = round[j];
            keys.setCurrentKey(eventKeys[i]);
            KeyState ks = target.prepare((T) events[i], eventKeys[i], times[i], arrivals[i]);
            roundStates[j] = ks;
            fromZero[j] = ks.sinceReset == 0;
            states[j] = ks.state;
            roundInputs[j] = inputs[i];
            System.arraycopy(ks.state, 0, before[j], 0, ks.state.length);
        }
        long t0 = System.nanoTime();
        if (batchScratch != null) {
            ((BatchedModel) model).stepBatch(outs, states, roundInputs, n, batchScratch);
        } else {
            for (int j = 0; j < n; j++) {
                model.step(outs[j], states[j], roundInputs[j], scratch);
            }
        }
        stepper.timed((System.nanoTime() - t0) / Math.max(1, n));
        for (int j = 0; j < n; j++) {
            int i = round[j];
            keys.setCurrentKey(eventKeys[i]);
            KeyState ks = roundStates[j];
            long seq = stepper.conclude(outs[j], ks, before[j], times[i], arrivals[i]);
            target.stepped((T) events[i], eventKeys[i], ks, seq, fromZero[j], inputs[i], outs[j], times[i], arrivals[i]);
            roundStates[j] = null;
            states[j] = null;
            roundInputs[j] = null;
        }
    }
}
