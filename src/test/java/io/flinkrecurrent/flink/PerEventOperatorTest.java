package io.flinkrecurrent.flink;

import com.fasterxml.jackson.databind.JsonNode;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.model.ModelLoader;
import io.flinkrecurrent.testing.Golden;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.TimeDomain;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The keyed operator, one step per event, in Flink's operator test harness: state per key, resets, timers, snapshot and restore. */
class PerEventOperatorTest {
    static final RecurrentNetwork ARTICLE = load("public/article_linear.safetensors");
    static final RecurrentNetwork LSTM = load("public/lstm_i8_h32_l2_head3_softmax.safetensors");

    static RecurrentNetwork load(String name) {
        return ModelLoader.load(Golden.dir().resolve(name)).network();
    }

    static KeyedOneInputStreamOperatorTestHarness<String, KeyedEvent, RecurrentOutput> harness(
            RecurrentModel model, Recurrent.Builder builder) throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, KeyedEvent, RecurrentOutput> h =
                new KeyedOneInputStreamOperatorTestHarness<>(builder.operator(), Recurrent.keySelector(), Types.STRING);
        h.setup();
        return h;
    }

    static KeyedEvent ev(String key, float x) {
        return new KeyedEvent(key, new float[] {x});
    }

    static List<Float> firstOutputs(List<RecurrentOutput> outs) {
        List<Float> l = new ArrayList<>();
        for (RecurrentOutput o : outs) {
            l.add(o.output[0]);
        }
        return l;
    }

    @Test
    void keepsOneStatePerKeyAsPyTorchDoes() throws Exception {
        var h = harness(LSTM, Recurrent.builder(LSTM).emitState(true));
        h.open();
        List<JsonNode> golden = Golden.lines(Golden.stream(Golden.dir().resolve("public/lstm_i8_h32_l2_head3_softmax.safetensors")));
        for (KeyedEvent e : Golden.events(golden)) {
            h.processElement(e, 0L);
        }
        List<RecurrentOutput> outs = h.extractOutputValues();
        assertEquals(golden.size(), outs.size());
        for (int i = 0; i < outs.size(); i++) {
            JsonNode g = golden.get(i);
            RecurrentOutput o = outs.get(i);
            assertEquals(g.get("key").asText(), o.key);
            assertEquals(g.get("seq").asLong(), o.seq, "per-key sequence number, not restarted by resets");
            Golden.assertClose(g.get("expected_output"), o.output, "line " + (i + 1) + " output");
            for (int l = 0; l < 2; l++) {
                Golden.assertClose(g.get("expected_h").get(l), java.util.Arrays.copyOfRange(o.state, LSTM.hOffset(l), LSTM.hOffset(l) + 32), "h" + l);
                Golden.assertClose(g.get("expected_c").get(l), java.util.Arrays.copyOfRange(o.state, LSTM.cOffset(l), LSTM.cOffset(l) + 32), "c" + l);
            }
        }
        h.close();
    }

    @Test
    void snapshotAndRestoreContinueExactlyAsWithoutTheRestore() throws Exception {
        List<JsonNode> golden = Golden.lines(Golden.stream(Golden.dir().resolve("public/lstm_i8_h32_l2_head3_softmax.safetensors")));
        List<KeyedEvent> events = Golden.events(golden);
        var whole = harness(LSTM, Recurrent.builder(LSTM).emitState(true));
        whole.open();
        for (KeyedEvent e : events) {
            whole.processElement(e, 0L);
        }
        List<RecurrentOutput> expected = whole.extractOutputValues();

        int half = events.size() / 2;
        var first = harness(LSTM, Recurrent.builder(LSTM).emitState(true));
        first.open();
        for (KeyedEvent e : events.subList(0, half)) {
            first.processElement(e, 0L);
        }
        OperatorSubtaskState snapshot = first.snapshot(1L, 1L);
        List<RecurrentOutput> got = new ArrayList<>(first.extractOutputValues());
        first.close();

        var second = harness(LSTM, Recurrent.builder(LSTM).emitState(true));
        second.initializeState(snapshot);
        second.open();
        for (KeyedEvent e : events.subList(half, events.size())) {
            second.processElement(e, 0L);
        }
        got.addAll(second.extractOutputValues());
        assertEquals(expected, got, "outputs, seqs and states identical to the bits");
        second.close();
    }

    @Test
    void badInputGoesToTheSideOutputAndTheStreamGoesOn() throws Exception {
        var h = harness(ARTICLE, Recurrent.builder(ARTICLE));
        h.open();
        h.processElement(ev("a", 3), 0L);
        h.processElement(new KeyedEvent("a", new float[] {3, 4}), 0L);
        h.processElement(ev("a", Float.NaN), 0L);
        h.processElement(new KeyedEvent(null, new float[] {3}), 0L);
        h.processElement(new KeyedEvent("a", null), 0L);
        h.processElement(ev("a", Float.POSITIVE_INFINITY), 0L);
        h.processElement(ev("a", 3), 0L);
        assertEquals(List.of(2f, -4f), firstOutputs(h.extractOutputValues()), "the bad events did not step the state");
        List<RejectedEvent.Reason> reasons = new ArrayList<>();
        for (StreamRecord<RejectedEvent> r : h.getSideOutput(Recurrent.REJECTED)) {
            reasons.add(r.getValue().reason);
            assertTrue(r.getValue().message != null && !r.getValue().message.isBlank());
        }
        assertEquals(List.of(RejectedEvent.Reason.INPUT_WIDTH, RejectedEvent.Reason.NON_FINITE, RejectedEvent.Reason.NULL_KEY,
                RejectedEvent.Reason.MISSING_INPUT, RejectedEvent.Reason.NON_FINITE), reasons);
        h.close();
    }

    @Test
    void resetsByEventAndAfterNSteps() throws Exception {
        var h = harness(ARTICLE, Recurrent.builder(ARTICLE).resetAfterSteps(2));
        h.open();
        for (int i = 0; i < 5; i++) {
            h.processElement(ev("a", 3), 0L);
        }
        KeyedEvent r = ev("a", 3);
        r.reset = true;
        h.processElement(r, 0L);
        h.processElement(ev("a", 3), 0L);
        // sequences of two: 2, -4 | 2, -4 | 2 | reset: 2, -4
        assertEquals(List.of(2f, -4f, 2f, -4f, 2f, 2f, -4f), firstOutputs(h.extractOutputValues()));
        List<RecurrentOutput> outs = h.extractOutputValues();
        assertEquals(6, outs.get(6).seq, "seq counts every event of the key");
        h.close();
    }

    @Test
    void resetsAfterAnEventTimeIdleGapAndDropsTheIdleVector() throws Exception {
        var h = harness(ARTICLE, Recurrent.builder(ARTICLE).resetWhenIdle(Duration.ofSeconds(5), TimeDomain.EVENT_TIME));
        h.open();
        h.processElement(ev("a", 3), 1_000L);
        h.processElement(ev("b", 3), 1_000L);
        h.processElement(ev("a", 3), 4_000L);     // 3 s gap: continues
        h.processElement(ev("a", 3), 9_500L);     // 5.5 s gap: reset before it, lazily
        assertEquals(2, h.numEventTimeTimers(), "one idle timer per key (a and b), not one per event");
        h.processWatermark(20_000L);               // b idle: its timer drops its vector
        h.processElement(ev("b", 3), 20_500L);
        assertEquals(List.of(2f, 2f, -4f, 2f, 2f), firstOutputs(h.extractOutputValues()));
        h.close();
    }

    @Test
    void resetsAfterAProcessingTimeIdleGapWithATimer() throws Exception {
        var h = harness(ARTICLE, Recurrent.builder(ARTICLE).resetWhenIdle(Duration.ofSeconds(10), TimeDomain.PROCESSING_TIME));
        h.open();
        h.setProcessingTime(0);
        h.processElement(ev("a", 3), 0L);
        h.setProcessingTime(5_000);
        h.processElement(ev("a", 3), 0L);
        assertEquals(1, h.numProcessingTimeTimers());
        h.setProcessingTime(12_000); // the first timer (10 001) fires early for the last event at 5 000: moved on
        assertEquals(1, h.numProcessingTimeTimers());
        h.setProcessingTime(16_000); // now idle: dropped
        assertEquals(0, h.numProcessingTimeTimers());
        h.processElement(ev("a", 3), 0L);
        assertEquals(List.of(2f, -4f, 2f), firstOutputs(h.extractOutputValues()));
        h.close();
    }

    @Test
    void ordersByEventTimeAndRejectsWhatComesTooLate() throws Exception {
        RecurrentModel counter = io.flinkrecurrent.cell.Recurrence.of("counter", 1, 1, 1, 1,
                (next, s, x) -> next[0] = s[0] * 10 + x[0], (y, s) -> y[0] = s[0]); // digits in order of application
        var h = harness(counter, Recurrent.builder(counter).orderByEventTime(Duration.ofMillis(100)));
        h.open();
        h.processElement(ev("a", 2), 2_000L);
        h.processElement(ev("a", 1), 1_000L);     // out of order, within the watermark: reordered
        h.processElement(ev("a", 3), 3_000L);
        assertTrue(h.extractOutputValues().isEmpty(), "nothing is applied before the watermark");
        h.processWatermark(2_100L);               // 1 000 and 2 000 (+100 ms lateness) are due
        assertEquals(List.of(1f, 12f), firstOutputs(h.extractOutputValues()));
        h.processElement(ev("a", 9), 1_500L);     // older than the applied 2 000: late
        h.processElement(new StreamRecord<>(new KeyedEvent("a", new float[] {4}))); // no timestamp
        h.processWatermark(5_000L);
        assertEquals(List.of(1f, 12f, 123f), firstOutputs(h.extractOutputValues()));
        List<RejectedEvent.Reason> reasons = new ArrayList<>();
        h.getSideOutput(Recurrent.REJECTED).forEach(r -> reasons.add(r.getValue().reason));
        assertEquals(List.of(RejectedEvent.Reason.LATE, RejectedEvent.Reason.NO_TIMESTAMP), reasons);
        h.close();
    }

    @Test
    void stateTtlDropsKeysThatWentQuiet() throws Exception {
        var h = harness(ARTICLE, Recurrent.builder(ARTICLE).stateTtl(Duration.ofSeconds(10)));
        h.open();
        h.setStateTtlProcessingTime(0);
        h.processElement(ev("a", 3), 0L);
        h.processElement(ev("b", 3), 0L);
        h.setStateTtlProcessingTime(8_000);
        h.processElement(ev("a", 3), 0L);          // a written at 8 s: lives on
        h.setStateTtlProcessingTime(15_000);       // b last written at 0: expired
        h.processElement(ev("a", 3), 0L);
        h.processElement(ev("b", 3), 0L);
        List<RecurrentOutput> outs = h.extractOutputValues();
        assertEquals(List.of(2f, 2f, -4f, -16f, 2f), firstOutputs(outs));
        assertEquals(0, outs.get(4).seq, "an expired key starts over, as a new key");
        h.close();
    }

    @Test
    void aStateWrittenByAnotherModelIsResetNotMisread() throws Exception {
        var first = harness(ARTICLE, Recurrent.builder(ARTICLE));
        first.open();
        first.processElement(ev("a", 3), 0L);
        first.processElement(ev("a", 3), 0L);
        OperatorSubtaskState snapshot = first.snapshot(1L, 1L);
        first.close();

        // same architecture, another weight: W_hh = 3 instead of 2
        RecurrentNetwork other = RecurrentNetwork.builder(io.flinkrecurrent.cell.CellType.RNN, 1, 1)
                .nonlinearity(io.flinkrecurrent.cell.Activation.IDENTITY)
                .layer(new float[] {1}, new float[] {3}, new float[] {0}, new float[] {0})
                .head(new float[] {-1}, new float[] {5}, io.flinkrecurrent.cell.Activation.IDENTITY).build();
        var second = harness(other, Recurrent.builder(other));
        second.initializeState(snapshot);
        second.open();
        second.processElement(ev("a", 3), 0L);
        second.processElement(ev("a", 3), 0L);
        List<RecurrentOutput> outs = second.extractOutputValues();
        assertEquals(List.of(2f, -7f), firstOutputs(outs), "from zeros: 5 - 3, then 5 - (3*3 + 3)");
        assertEquals(2, outs.get(0).seq, "the key's counters survive the reset");
        second.close();

        // and the same model restores the state itself
        var same = harness(ARTICLE, Recurrent.builder(ARTICLE));
        same.initializeState(snapshot);
        same.open();
        same.processElement(ev("a", 3), 0L);
        assertArrayEquals(new float[] {-16f}, same.extractOutputValues().get(0).output);
        same.close();
    }

    /** Issue 13's reproduction: the same sizes, other functions; the old state must not be read as the new one's. */
    @Test
    void aRecurrenceOfAnotherVersionDoesNotContinueTheOldState() throws Exception {
        RecurrentModel v1 = io.flinkrecurrent.cell.Recurrence.of("sum", 1, 1, 1, 1,
                (next, h, x) -> next[0] = h[0] + x[0], (y, h) -> y[0] = h[0]);
        var first = harness(v1, Recurrent.builder(v1));
        first.open();
        first.processElement(ev("a", 5000), 0L);
        OperatorSubtaskState snapshot = first.snapshot(1L, 1L);
        first.close();

        // new functions of the same sizes, so a new version: a decaying sum, from zeros 1 (from 5000: 2501)
        RecurrentModel v2 = io.flinkrecurrent.cell.Recurrence.of("sum", 2, 1, 1, 1,
                (next, h, x) -> next[0] = 0.5f * h[0] + x[0], (y, h) -> y[0] = h[0]);
        var second = harness(v2, Recurrent.builder(v2));
        second.initializeState(snapshot);
        second.open();
        second.processElement(ev("a", 1), 0L);
        assertArrayEquals(new float[] {1f}, second.extractOutputValues().get(0).output);
        second.close();

        // the same identity continues it
        RecurrentModel again = io.flinkrecurrent.cell.Recurrence.of("sum", 1, 1, 1, 1,
                (next, h, x) -> next[0] = h[0] + x[0], (y, h) -> y[0] = h[0]);
        var same = harness(again, Recurrent.builder(again));
        same.initializeState(snapshot);
        same.open();
        same.processElement(ev("a", 1), 0L);
        assertArrayEquals(new float[] {5001f}, same.extractOutputValues().get(0).output);
        same.close();
    }
}
