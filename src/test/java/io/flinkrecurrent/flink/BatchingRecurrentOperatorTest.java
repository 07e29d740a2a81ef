package io.flinkrecurrent.flink;

import io.flinkrecurrent.cell.Kernels;
import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.testing.Golden;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The micro-batching operator gives the per-event operator's outputs, flushes before barriers, restores. */
class BatchingRecurrentOperatorTest {
    static final RecurrentNetwork LSTM = RecurrentFunctionTest.LSTM;

    static KeyedOneInputStreamOperatorTestHarness<String, KeyedEvent, RecurrentOutput> harness(int batch) throws Exception {
        Recurrent.Builder b = Recurrent.builder(LSTM).emitState(true).resetAfterSteps(40);
        var h = new KeyedOneInputStreamOperatorTestHarness<>(
                new BatchingRecurrentOperator(LSTM, b.options(), batch, 60_000), Recurrent.keySelector(), Types.STRING);
        h.setup();
        return h;
    }

    static List<KeyedEvent> goldenEvents() {
        return Golden.events(Golden.lines(Golden.stream(Golden.dir().resolve("public/lstm_i8_h32_l2_head3_softmax.safetensors"))));
    }

    /** The per-event operator's outputs for the same events and options. */
    static List<RecurrentOutput> perEvent(List<KeyedEvent> events) throws Exception {
        var h = RecurrentFunctionTest.harness(LSTM, Recurrent.builder(LSTM).emitState(true).resetAfterSteps(40));
        h.open();
        for (KeyedEvent e : events) {
            h.processElement(e, 0L);
        }
        return sorted(h.extractOutputValues());
    }

    static List<RecurrentOutput> sorted(List<RecurrentOutput> l) {
        List<RecurrentOutput> s = new ArrayList<>(l);
        s.sort(Comparator.comparing((RecurrentOutput o) -> o.key).thenComparingLong(o -> o.seq));
        return s;
    }

    static void assertSame(List<RecurrentOutput> expected, List<RecurrentOutput> actual) {
        assertEquals(expected.size(), actual.size());
        float tol = Kernels.VECTOR ? 1e-6f : 0f;
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i).key, actual.get(i).key);
            assertEquals(expected.get(i).seq, actual.get(i).seq);
            assertArrayEquals(expected.get(i).output, actual.get(i).output, tol, expected.get(i).key + "#" + expected.get(i).seq);
            assertArrayEquals(expected.get(i).state, actual.get(i).state, tol);
        }
    }

    @Test
    void sameOutputsAsThePerEventOperator() throws Exception {
        List<KeyedEvent> events = goldenEvents();
        var h = harness(16);
        h.open();
        for (KeyedEvent e : events) {
            h.processElement(e, 0L);
        }
        h.endInput();
        assertSame(perEvent(events), sorted(h.extractOutputValues()));
        // and against PyTorch, key by key
        h.close();
    }

    @Test
    void aWatermarkFlushesTheBundleBeforeItPasses() throws Exception {
        var h = harness(1000);
        h.open();
        h.processElement(new KeyedEvent("a", new float[8]), 5L);
        h.processElement(new KeyedEvent("a", new float[8]), 6L);
        assertTrue(h.getOutput().isEmpty(), "buffered");
        h.processWatermark(new Watermark(10L));
        List<Object> out = new ArrayList<>(h.getOutput());
        assertEquals(3, out.size());
        assertTrue(out.get(0) instanceof StreamRecord && out.get(1) instanceof StreamRecord && out.get(2) instanceof Watermark,
                "both outputs, in the key's order, before the watermark: " + out);
        assertEquals(0, ((RecurrentOutput) ((StreamRecord<?>) out.get(0)).getValue()).seq);
        assertEquals(1, ((RecurrentOutput) ((StreamRecord<?>) out.get(1)).getValue()).seq);
        h.close();
    }

    @Test
    void aSnapshotHoldsNoBufferedEventAndARestoreContinuesExactly() throws Exception {
        List<KeyedEvent> events = goldenEvents();
        int half = events.size() / 2;
        var first = harness(1000);
        first.open();
        for (KeyedEvent e : events.subList(0, half)) {
            first.processElement(e, 0L);
        }
        first.prepareSnapshotPreBarrier(1L); // as the task does before it emits the barrier
        OperatorSubtaskState snapshot = first.snapshot(1L, 1L);
        List<RecurrentOutput> got = new ArrayList<>(first.extractOutputValues());
        assertEquals(half, got.size(), "every event before the barrier was stepped and emitted");
        first.close();
        var second = harness(7);
        second.initializeState(snapshot);
        second.open();
        for (KeyedEvent e : events.subList(half, events.size())) {
            second.processElement(e, 0L);
        }
        second.endInput();
        got.addAll(second.extractOutputValues());
        assertSame(perEvent(events), sorted(got));
        second.close();
    }

    @Test
    void refusesWhatItCannotDo() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Recurrent.builder(LSTM).microBatch(64, Duration.ofMillis(5))
                        .resetWhenIdle(Duration.ofMinutes(1), org.apache.flink.streaming.api.TimeDomain.EVENT_TIME)
                        .apply(null));
        assertTrue(e.getMessage().contains("resetWhenIdle"), e.getMessage());
    }
}
