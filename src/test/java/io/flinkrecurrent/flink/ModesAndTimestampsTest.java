package io.flinkrecurrent.flink;

import io.flinkrecurrent.cell.RecurrentNetwork;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Pins what the operator emits, record timestamps and watermarks included, in every combination of
 * ordering (arrival / event time), where the time comes from (the record's timestamp / the event's
 * field) and mode (per event / micro-batched): the two modes give the same records in the same order.
 *
 * <p>The article's recurrence (h = 2h + x, y = 5 - h) on keys a and b; events a@1000 x=3, b@1500 x=1,
 * a@1800 x=NaN (rejected), a null key (rejected), a@3000 x=3, a@2000 x=1 (out of order), then
 * watermark 10000, then a@500 x=1 (too late when ordering).
 */
class ModesAndTimestampsTest {
    static final RecurrentNetwork ARTICLE = PerEventOperatorTest.ARTICLE;
    static final long LATENESS = 100;

    record Combo(boolean ordered, boolean recordTime, boolean batched) {
        @Override
        public String toString() {
            return (ordered ? "ordered" : "arrival order") + ", " + (recordTime ? "record timestamps" : "field timestamps")
                    + ", " + (batched ? "micro-batched" : "per event");
        }
    }

    static Stream<Combo> combos() {
        List<Combo> all = new ArrayList<>();
        for (boolean ordered : new boolean[] {false, true}) {
            for (boolean recordTime : new boolean[] {true, false}) {
                for (boolean batched : new boolean[] {false, true}) {
                    all.add(new Combo(ordered, recordTime, batched));
                }
            }
        }
        return all.stream();
    }

    /** What the harness emitted: "key seq y @ts" per output, "W ts" per watermark, "reason key @ts" per rejection. */
    record Emitted(List<String> main, List<String> rejected) {}

    static Emitted run(Combo c) throws Exception {
        Recurrent.Builder b = Recurrent.builder(ARTICLE);
        if (c.ordered()) {
            b.orderByEventTime(Duration.ofMillis(LATENESS));
        }
        if (c.batched()) {
            b.microBatch(8, Duration.ofSeconds(60)); // larger than the test's stream: only watermarks and the end flush it
        }
        var h = new KeyedOneInputStreamOperatorTestHarness<>(b.operator(), Recurrent.keySelector(), Types.STRING);
        h.setup();
        h.open();
        send(h, c, "a", 3, 1000);
        send(h, c, "b", 1, 1500);
        send(h, c, "a", Float.NaN, 1800);
        send(h, c, null, 1, 1900);
        send(h, c, "a", 3, 3000);
        send(h, c, "a", 1, 2000);
        h.processWatermark(new Watermark(10_000));
        send(h, c, "a", 1, 500);
        h.endInput();
        List<String> main = new ArrayList<>();
        for (Object o : h.getOutput()) {
            if (o instanceof Watermark w) {
                main.add("W " + w.getTimestamp());
            } else if (o instanceof StreamRecord<?> r && r.getValue() instanceof RecurrentOutput out) {
                main.add(out.key + " " + out.seq + " " + out.output[0] + " @" + (r.hasTimestamp() ? r.getTimestamp() : "-")
                        + " t=" + out.timestamp);
            }
        }
        List<String> rejected = new ArrayList<>();
        var side = h.getSideOutput(Recurrent.REJECTED);
        if (side != null) {
            for (StreamRecord<RejectedEvent> r : side) {
                rejected.add(r.getValue().reason + " " + r.getValue().key + " @" + (r.hasTimestamp() ? r.getTimestamp() : "-"));
            }
        }
        h.close();
        return new Emitted(main, rejected);
    }

    static void send(KeyedOneInputStreamOperatorTestHarness<String, KeyedEvent, RecurrentOutput> h, Combo c,
                     String key, float x, long t) throws Exception {
        KeyedEvent e = new KeyedEvent(key, new float[] {x});
        if (c.recordTime()) {
            h.processElement(e, t);
        } else {
            e.timestamp = t;
            h.processElement(new StreamRecord<>(e));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("combos")
    void outputsTimestampsAndRejectionsArePinned(Combo c) throws Exception {
        Emitted got = run(c);
        String rejectedAt = c.recordTime() ? "@" : "@-";
        if (!c.ordered()) {
            // in arrival order; an output carries its event time
            assertEquals(List.of(
                    "a 0 2.0 @1000 t=1000",
                    "b 0 4.0 @1500 t=1500",
                    "a 1 -4.0 @3000 t=3000",
                    "a 2 -14.0 @2000 t=2000",
                    "W 10000",
                    "a 3 -34.0 @500 t=500"), got.main(), c.toString());
            assertEquals(List.of(
                    "NON_FINITE a " + rejectedAt + (c.recordTime() ? "1800" : ""),
                    "NULL_KEY null " + rejectedAt + (c.recordTime() ? "1900" : "")), got.rejected(), c.toString());
        } else {
            // in event-time order once the watermark passes; stamped with the release time (+ lateness),
            // so no output is behind the watermark that follows it
            assertEquals(List.of(
                    "a 0 2.0 @1100 t=1000",
                    "b 0 4.0 @1600 t=1500",
                    "a 1 -2.0 @2100 t=2000",
                    "a 2 -12.0 @3100 t=3000",
                    "W 10000"), got.main(), c.toString());
            assertEquals(List.of(
                    "NON_FINITE a " + rejectedAt + (c.recordTime() ? "1800" : ""),
                    "NULL_KEY null " + rejectedAt + (c.recordTime() ? "1900" : ""),
                    "LATE a " + rejectedAt + (c.recordTime() ? "500" : "")), got.rejected(), c.toString());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("combos")
    void bothModesEmitTheSameRecords(Combo c) throws Exception {
        if (c.batched()) {
            return; // compared from the per-event side
        }
        Emitted perEvent = run(c);
        Emitted batched = run(new Combo(c.ordered(), c.recordTime(), true));
        assertEquals(perEvent, batched, c.toString());
    }
}
