package io.flinkrecurrent.flink;

import io.flinkrecurrent.cell.BatchedModel;
import io.flinkrecurrent.cell.Fingerprint;
import io.flinkrecurrent.cell.Scratch;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A model written outside the cell package: a running sum per key with its own scratch (Scratch.of),
 * its own batch scratch type and a fingerprint from Fingerprint. Micro-batching steps it through its
 * own stepBatch, and gives what one step per event gives.
 */
class OwnModelTest {
    /** y = h = h + x[0]; counts its batched calls. */
    static final class RunningSum implements BatchedModel<float[]> {
        static final AtomicInteger BATCHES = new AtomicInteger();

        @Override public int inputSize() { return 1; }
        @Override public int outputSize() { return 1; }
        @Override public int stateSize() { return 1; }
        @Override public Scratch newScratch() { return Scratch.of(1); }
        @Override public long fingerprint() { return new Fingerprint().add("running-sum/1").value(); }
        @Override public String describe() { return "running sum"; }

        @Override
        public void step(float[] out, float[] state, float[] x, Scratch scratch) {
            scratch.work(0)[0] = state[0] + x[0];
            state[0] = scratch.work(0)[0];
            out[0] = state[0];
        }

        @Override
        public float[] newBatchScratch(int capacity) {
            return new float[capacity];
        }

        @Override
        public void stepBatch(float[][] outs, float[][] states, float[][] xs, int n, float[] scratch) {
            BATCHES.incrementAndGet();
            for (int b = 0; b < n; b++) {
                states[b][0] += xs[b][0];
                outs[b][0] = states[b][0];
            }
        }
    }

    static List<String> run(Recurrent.Builder b) throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(b.operator(), Recurrent.keySelector(), Types.STRING);
        h.setup();
        h.open();
        for (int i = 0; i < 40; i++) {
            h.processElement(new KeyedEvent("k" + i % 3, new float[] {i}), i);
        }
        h.endInput();
        List<String> out = new ArrayList<>();
        for (RecurrentOutput o : h.extractOutputValues()) {
            out.add(o.key + "#" + o.seq + "=" + o.output[0]);
        }
        h.close();
        return out;
    }

    @Test
    void microBatchingUsesTheModelsOwnBatchedStep() throws Exception {
        RunningSum m = new RunningSum();
        List<String> perEvent = run(Recurrent.builder(m));
        assertEquals(0, RunningSum.BATCHES.get(), "one step per event does not batch");
        List<String> batched = run(Recurrent.builder(m).microBatch(16, Duration.ofSeconds(60)));
        assertTrue(RunningSum.BATCHES.get() > 0, "the bundles went through stepBatch");
        assertEquals(perEvent.size(), batched.size());
        assertEquals(new java.util.TreeSet<>(perEvent), new java.util.TreeSet<>(batched));
        assertTrue(perEvent.contains("k0#13=" + (float) (0 + 3 + 6 + 9 + 12 + 15 + 18 + 21 + 24 + 27 + 30 + 33 + 36 + 39)));
    }
}
