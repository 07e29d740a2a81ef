package io.flinkrecurrent.flink;

import io.flinkrecurrent.runtime.RecurrentOperator;
import io.flinkrecurrent.cell.RecurrentNetwork;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.TimeDomain;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.testutils.logging.LoggerAuditingExtension;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Event-time ordering's buffer is bounded per key and per subtask, counted exactly through a snapshot
 * and a rescale, and warns once when events wait with no watermark; each per event and micro-batched.
 */
class OrderingBufferTest {
    static final RecurrentNetwork ARTICLE = PerEventOperatorTest.ARTICLE;

    @RegisterExtension
    final LoggerAuditingExtension log = new LoggerAuditingExtension(RecurrentOperator.class, org.slf4j.event.Level.WARN);

    static KeyedOneInputStreamOperatorTestHarness<String, KeyedEvent, RecurrentOutput> harness(
            Recurrent.Builder b, int batch, int maxParallelism, int parallelism, int subtask) throws Exception {
        if (batch > 1) {
            b.microBatch(batch, Duration.ofSeconds(60));
        }
        var h = new KeyedOneInputStreamOperatorTestHarness<>(b.operator(), Recurrent.keySelector(), Types.STRING,
                maxParallelism, parallelism, subtask);
        h.setup();
        return h;
    }

    static KeyedOneInputStreamOperatorTestHarness<String, KeyedEvent, RecurrentOutput> harness(Recurrent.Builder b, int batch)
            throws Exception {
        return harness(b, batch, 128, 1, 0);
    }

    static List<String> outputs(KeyedOneInputStreamOperatorTestHarness<String, KeyedEvent, RecurrentOutput> h) {
        List<String> l = new ArrayList<>();
        for (RecurrentOutput o : h.extractOutputValues()) {
            l.add(o.key + "@" + o.timestamp + "=" + o.output[0]);
        }
        return l;
    }

    static List<String> rejected(KeyedOneInputStreamOperatorTestHarness<String, KeyedEvent, RecurrentOutput> h) {
        List<String> l = new ArrayList<>();
        var side = h.getSideOutput(Recurrent.REJECTED);
        if (side != null) {
            for (StreamRecord<RejectedEvent> r : side) {
                l.add(r.getValue().reason + " " + r.getValue().key + "@" + r.getValue().event.timestamp);
            }
        }
        return l;
    }

    static KeyedEvent ev(String key, float x, long t) {
        return new KeyedEvent(key, new float[] {x}, false, t);
    }

    @SuppressWarnings("unchecked")
    static long buffered(KeyedOneInputStreamOperatorTestHarness<String, KeyedEvent, RecurrentOutput> h) {
        return ((RecurrentOperator<String, KeyedEvent, RecurrentOutput, RejectedEvent>) h.getOperator()).bufferedEvents();
    }

    @ParameterizedTest(name = "bundle of {0}")
    @ValueSource(ints = {1, 16})
    void aFullKeyRejectsAsBufferFullAndTheRestWaitsForTheWatermark(int batch) throws Exception {
        var h = harness(Recurrent.builder(ARTICLE).options(o -> o.orderByEventTime(Duration.ZERO)
                .bufferLimits(3, 1_000, RecurrentOptions.BufferFullPolicy.REJECT)), batch);
        h.open();
        h.processElement(new StreamRecord<>(ev("a", 3, 30)));
        h.processElement(new StreamRecord<>(ev("a", 3, 10)));
        h.processElement(new StreamRecord<>(ev("a", 3, 10))); // same timestamp: one namespace, two events
        h.processElement(new StreamRecord<>(ev("a", 1, 20)));  // the key's fourth: full
        h.processElement(new StreamRecord<>(ev("b", 1, 5)));   // another key has room
        assertEquals(4, buffered(h));
        assertEquals(List.of("BUFFER_FULL a@20"), rejected(h));
        assertEquals(List.of(), outputs(h));
        h.processWatermark(new Watermark(100));
        // a: 10 (h=3, y=2), 10 (h=9, y=-4), 30 (h=21, y=-16); b: 5 (h=1, y=4)
        assertEquals(List.of("b@5=4.0", "a@10=2.0", "a@10=-4.0", "a@30=-16.0"), outputs(h));
        assertEquals(0, buffered(h));
        h.close();
    }

    @ParameterizedTest(name = "bundle of {0}")
    @ValueSource(ints = {1, 16})
    void releaseAppliesTheKeysBufferInOrderThenTheEvent(int batch) throws Exception {
        var h = harness(Recurrent.builder(ARTICLE).options(o -> o.orderByEventTime(Duration.ZERO)
                .bufferLimits(2, 1_000, RecurrentOptions.BufferFullPolicy.RELEASE)), batch);
        h.open();
        h.processElement(new StreamRecord<>(ev("a", 3, 20)));
        h.processElement(new StreamRecord<>(ev("a", 3, 10)));
        h.processElement(new StreamRecord<>(ev("a", 1, 25)));  // full: 10 and 20 now, then 25
        h.processElement(new StreamRecord<>(ev("a", 1, 15)));  // older than what was applied: late
        h.processElement(new StreamRecord<>(ev("a", 1, 40)));  // buffered again
        h.endInput();
        assertEquals(List.of("a@10=2.0", "a@20=-4.0", "a@25=-14.0"), outputs(h));
        assertEquals(List.of("LATE a@15"), rejected(h));
        assertEquals(1, buffered(h));
        h.processWatermark(new Watermark(100));
        assertEquals(List.of("a@10=2.0", "a@20=-4.0", "a@25=-14.0", "a@40=-34.0"), outputs(h));
        h.close();
    }

    @ParameterizedTest(name = "bundle of {0}")
    @ValueSource(ints = {1, 16})
    void theSubtaskLimitCountsEveryKey(int batch) throws Exception {
        var h = harness(Recurrent.builder(ARTICLE).options(o -> o.orderByEventTime(Duration.ZERO)
                .bufferLimits(100, 3, RecurrentOptions.BufferFullPolicy.REJECT)), batch);
        h.open();
        for (String k : new String[] {"a", "b", "c", "d", "e"}) {
            h.processElement(new StreamRecord<>(ev(k, 1, 10)));
        }
        assertEquals(3, buffered(h));
        assertEquals(List.of("BUFFER_FULL d@10", "BUFFER_FULL e@10"), rejected(h));
        h.close();
    }

    @ParameterizedTest(name = "bundle of {0}")
    @ValueSource(ints = {1, 16})
    void theCountSurvivesASnapshotAndARescale(int batch) throws Exception {
        var first = harness(Recurrent.builder(ARTICLE).options(o -> o.orderByEventTime(Duration.ZERO)), batch, 128, 1, 0);
        first.open();
        for (int i = 0; i < 40; i++) {
            first.processElement(new StreamRecord<>(ev("k" + i % 10, 1, 100 + i)));
        }
        assertEquals(40, buffered(first));
        OperatorSubtaskState snapshot = first.snapshot(1L, 1L);
        first.close();

        long total = 0;
        List<String> released = new ArrayList<>();
        for (int subtask = 0; subtask < 2; subtask++) {
            var h = harness(Recurrent.builder(ARTICLE).options(o -> o.orderByEventTime(Duration.ZERO)), batch, 128, 2, subtask);
            h.initializeState(AbstractStreamOperatorTestHarness.repartitionOperatorState(snapshot, 128, 1, 2, subtask));
            h.open();
            total += buffered(h);
            h.processWatermark(new Watermark(1_000));
            assertEquals(0, buffered(h), "subtask " + subtask + " released all it restored");
            released.addAll(outputs(h));
            h.close();
        }
        assertEquals(40, total, "each subtask counts the events of its own key groups");
        assertEquals(40, released.size());
    }

    /**
     * Event-time idle resets with ordering: a watermark that releases an event and passes the key's idle
     * deadline at once applies the event first when it came within the gap. a@40, then a@80 (40 ms
     * later, the gap is 50 ms): the watermark 110 releases a@80 (lateness 30) and passes a@40's idle
     * deadline (91); a@80 goes on from a@40's state (-4), it is not reset (2). a@200 comes after a real
     * gap and starts from zeros.
     */
    @ParameterizedTest(name = "bundle of {0}")
    @ValueSource(ints = {1, 16})
    void aWatermarkThatReleasesAnEventAndPassesTheIdleDeadlineAppliesTheEventFirst(int batch) throws Exception {
        var h = harness(Recurrent.builder(ARTICLE).resetWhenIdle(Duration.ofMillis(50), TimeDomain.EVENT_TIME)
                .options(o -> o.orderByEventTime(Duration.ofMillis(30))), batch);
        h.open();
        h.processElement(new StreamRecord<>(ev("a", 3, 40)));
        h.processWatermark(new Watermark(70));
        h.processElement(new StreamRecord<>(ev("a", 3, 80)));
        h.processWatermark(new Watermark(110));
        h.processElement(new StreamRecord<>(ev("a", 3, 200)));
        h.processWatermark(new Watermark(300));
        assertEquals(List.of("a@40=2.0", "a@80=-4.0", "a@200=2.0"), outputs(h));
        h.close();
    }

    @ParameterizedTest(name = "bundle of {0}")
    @ValueSource(ints = {1, 16})
    void eventsWaitingWithoutAWatermarkAreWarnedAboutOnce(int batch) throws Exception {
        var h = harness(Recurrent.builder(ARTICLE).options(o -> o.orderByEventTime(Duration.ZERO)
                .warnWithoutWatermarkAfter(Duration.ofSeconds(30))), batch);
        h.setProcessingTime(0);
        h.open();
        h.processElement(new StreamRecord<>(ev("a", 1, 10)));
        assertEquals(0, log.getMessages().size(), "not yet: " + log.getMessages());
        h.setProcessingTime(31_000);
        h.processElement(new StreamRecord<>(ev("a", 1, 11)));
        h.processElement(new StreamRecord<>(ev("a", 1, 12)));
        assertEquals(1, log.getMessages().size(), log.getMessages().toString());
        assertTrue(log.getMessages().get(0).contains("no watermark has advanced for 31 s"), log.getMessages().get(0));
        h.close();
    }
}
