package io.flinkrecurrent.flink;

import io.flinkrecurrent.cell.Kernels;
import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.testing.Golden;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.TimeDomain;
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
class MicroBatchOperatorTest {
    static final RecurrentNetwork LSTM = PerEventOperatorTest.LSTM;

    /** The micro-batching operator in a harness: bundles of {@code batch} events or 60 s. */
    static KeyedOneInputStreamOperatorTestHarness<String, KeyedEvent, RecurrentOutput> harness(
            RecurrentNetwork model, Recurrent.Builder b, int batch) throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(
                b.microBatch(batch, java.time.Duration.ofSeconds(60)).operator(), Recurrent.keySelector(), Types.STRING);
        h.setup();
        return h;
    }

    static KeyedOneInputStreamOperatorTestHarness<String, KeyedEvent, RecurrentOutput> harness(int batch) throws Exception {
        return harness(LSTM, Recurrent.builder(LSTM).emitState(true).resetAfterSteps(40), batch);
    }

    static List<KeyedEvent> goldenEvents() {
        return Golden.events(Golden.lines(Golden.stream(Golden.dir().resolve("public/lstm_i8_h32_l2_head3_softmax.safetensors"))));
    }

    /** The per-event operator's outputs for the same events and options. */
    static List<RecurrentOutput> perEvent(List<KeyedEvent> events) throws Exception {
        var h = PerEventOperatorTest.harness(LSTM, Recurrent.builder(LSTM).emitState(true).resetAfterSteps(40));
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

    /** The article's cell: y = 2, -4, -16 ... from a fresh state, 2 again after a reset. */
    static final RecurrentNetwork ARTICLE = PerEventOperatorTest.ARTICLE;

    @Test
    void idleResetsInEventTimeAsThePerEventOperator() throws Exception {
        Recurrent.Builder b = Recurrent.builder(ARTICLE).resetWhenIdle(Duration.ofSeconds(5), TimeDomain.EVENT_TIME);
        var h = harness(ARTICLE, b, 100);
        h.open();
        h.processElement(PerEventOperatorTest.ev("a", 3), 1_000L);
        h.processElement(PerEventOperatorTest.ev("b", 3), 1_000L);
        h.processElement(PerEventOperatorTest.ev("a", 3), 4_000L);     // 3 s gap: continues
        h.processElement(PerEventOperatorTest.ev("a", 3), 9_500L);     // 5.5 s gap: reset before it
        assertTrue(h.extractOutputValues().isEmpty(), "buffered");
        assertEquals(0, h.numEventTimeTimers(), "timers are set when events are stepped");
        h.processWatermark(12_000L);  // flushes the bundle; b's timer (6 001) drops b; a's moves on to 14 501
        assertEquals(List.of(2f, 2f, -4f, 2f), PerEventOperatorTest.firstOutputs(h.extractOutputValues()));
        assertEquals(1, h.numEventTimeTimers(), "one idle timer per key, b's fired");
        h.processElement(PerEventOperatorTest.ev("b", 3), 12_500L); // from zeros: 2
        h.processElement(PerEventOperatorTest.ev("a", 3), 13_000L); // 3.5 s after 9 500: continues, -4
        h.endInput();
        assertEquals(List.of(2f, 2f, -4f, 2f, 2f, -4f), PerEventOperatorTest.firstOutputs(h.extractOutputValues()));
        h.close();
    }

    @Test
    void idleResetsInProcessingTimeCountFromArrivalAndStepThePendingEventFirst() throws Exception {
        Recurrent.Builder b = Recurrent.builder(ARTICLE).resetWhenIdle(Duration.ofSeconds(10), TimeDomain.PROCESSING_TIME);
        var h = harness(ARTICLE, b, 100);
        h.open();
        h.setProcessingTime(0);
        h.processElement(PerEventOperatorTest.ev("a", 3), 0L);
        h.processWatermark(0L);                         // stepped: a's idle timer at 10 001
        h.setProcessingTime(5_000);
        h.processElement(PerEventOperatorTest.ev("a", 3), 0L); // arrives at 5 000, waits in the bundle
        h.setProcessingTime(12_000);                    // the timer fires: the pending event is stepped
        assertEquals(List.of(2f, -4f), PerEventOperatorTest.firstOutputs(h.extractOutputValues()),
                "stepped before the timer looked, counted from its arrival: not idle");
        h.setProcessingTime(16_000);                    // 11 s after the last arrival: dropped
        h.processElement(PerEventOperatorTest.ev("a", 3), 0L);
        h.endInput();
        assertEquals(List.of(2f, -4f, 2f), PerEventOperatorTest.firstOutputs(h.extractOutputValues()));
        h.close();
    }

    @Test
    void anIdleTimerSurvivesASnapshotAndRestore() throws Exception {
        Recurrent.Builder b = Recurrent.builder(ARTICLE).resetWhenIdle(Duration.ofSeconds(5), TimeDomain.EVENT_TIME);
        var first = harness(ARTICLE, b, 100);
        first.open();
        first.processElement(PerEventOperatorTest.ev("a", 3), 1_000L);
        first.processElement(PerEventOperatorTest.ev("c", 3), 1_000L);
        first.prepareSnapshotPreBarrier(1L);
        OperatorSubtaskState snapshot = first.snapshot(1L, 1L);
        first.close();
        var second = harness(ARTICLE, b, 100);
        second.initializeState(snapshot);
        second.open();
        assertEquals(2, second.numEventTimeTimers(), "the idle timers came back with the state");
        second.processElement(PerEventOperatorTest.ev("c", 3), 5_000L); // 4 s: c continues
        second.processWatermark(10_000L);                                // a's timer (6 001) drops a
        second.processElement(PerEventOperatorTest.ev("a", 3), 10_500L); // from zeros
        second.endInput();
        assertEquals(List.of(-4f, 2f), PerEventOperatorTest.firstOutputs(second.extractOutputValues()));
        second.close();
    }

    /** The same input through the per-event operator and through the micro-batching one. */
    static void feedOrdered(KeyedOneInputStreamOperatorTestHarness<String, KeyedEvent, RecurrentOutput> h) throws Exception {
        h.open();
        h.processElement(PerEventOperatorTest.ev("a", 2), 2_000L);
        h.processElement(PerEventOperatorTest.ev("a", 1), 1_000L);     // out of order, within the watermark
        h.processElement(PerEventOperatorTest.ev("a", 3), 3_000L);
        for (int i = 0; i < 5; i++) {
            h.processElement(PerEventOperatorTest.ev("b", i), 1_000L + 200 * (4 - i)); // backwards in time
        }
        h.processWatermark(2_100L);                                      // releases a@1000, a@2000, all of b
        h.processElement(PerEventOperatorTest.ev("a", 9), 1_500L);     // older than the applied 2 000: late
        h.processElement(new StreamRecord<>(new KeyedEvent("a", new float[] {4}))); // no timestamp
        h.processWatermark(5_000L);
        h.endInput();
    }

    @Test
    void ordersByEventTimeAsThePerEventOperator() throws Exception {
        Recurrent.Builder b = Recurrent.builder(ARTICLE).orderByEventTime(Duration.ofMillis(100));
        var perEvent = PerEventOperatorTest.harness(ARTICLE, b);
        feedOrdered(perEvent);
        var batched = harness(ARTICLE, b, 2); // a bundle of 2: the released events fill it several times over
        feedOrdered(batched);
        // a: 1 then 2 then 3 (H = 1, 4, 11: y = 4, 1, -6); b: 4, 3, 2, 1, 0 in time order
        List<RecurrentOutput> got = sorted(batched.extractOutputValues());
        assertEquals(List.of(4f, 1f, -6f, 1f, -6f, -19f, -44f, -93f), PerEventOperatorTest.firstOutputs(got));
        assertEquals(PerEventOperatorTest.firstOutputs(sorted(perEvent.extractOutputValues())),
                PerEventOperatorTest.firstOutputs(got));
        List<RejectedEvent.Reason> reasons = new ArrayList<>();
        batched.getSideOutput(Recurrent.REJECTED).forEach(r -> reasons.add(r.getValue().reason));
        assertEquals(List.of(RejectedEvent.Reason.LATE, RejectedEvent.Reason.NO_TIMESTAMP), reasons);
        // every output the first watermark released is ahead of it
        List<Object> stream = new ArrayList<>(batched.getOutput());
        int mark = -1;
        for (int i = 0; i < stream.size(); i++) {
            if (stream.get(i) instanceof Watermark w && w.getTimestamp() == 2_100L) {
                mark = i;
            }
        }
        assertEquals(7, mark, "a@1000, a@2000 and b's five outputs, then the watermark: " + stream);
        perEvent.close();
        batched.close();
    }
}
