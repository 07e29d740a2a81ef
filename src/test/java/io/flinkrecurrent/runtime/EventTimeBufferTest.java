package io.flinkrecurrent.runtime;

import io.flinkrecurrent.flink.RecurrentOptions;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.KeyGroupRange;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.runtime.state.internal.InternalListState;
import org.apache.flink.api.common.typeutils.base.LongSerializer;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.InternalTimer;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.Triggerable;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The event-time buffer alone, in an operator that does nothing else: events ("key@time") wait per key
 * and timestamp, the watermark releases them in timestamp order (arrival order within a time), a key's
 * whole buffer goes at once, the subtask's count is exact through a snapshot.
 */
class EventTimeBufferTest {
    /** Holds every event in the buffer; emits what it releases as "key@time". */
    static final class BufferOnly extends AbstractStreamOperator<String>
            implements OneInputStreamOperator<String, String>, Triggerable<String, VoidNamespace> {
        transient EventTimeBuffer<String, String> buffer;

        @Override
        public void initializeState(StateInitializationContext context) throws Exception {
            super.initializeState(context);
            buffer = new EventTimeBuffer<>(RecurrentOptions.builder().orderByEventTime(Duration.ofMillis(5)).build(),
                    128, KeyGroupRange.of(0, 127));
            buffer.initializeState(context.getOperatorStateStore().getUnionListState(EventTimeBuffer.countsDescriptor()),
                    context.isRestored());
        }

        @Override
        public void snapshotState(StateSnapshotContext context) throws Exception {
            super.snapshotState(context);
            buffer.snapshotState();
        }

        @Override
        @SuppressWarnings("unchecked")
        public void open() throws Exception {
            super.open();
            buffer.open((InternalListState<String, Long, String>) getOrCreateKeyedState(LongSerializer.INSTANCE,
                            EventTimeBuffer.pendingDescriptor(Types.STRING)),
                    getRuntimeContext().getState(EventTimeBuffer.pendingTimesDescriptor()),
                    getInternalTimerService(EventTimeBuffer.RELEASE_TIMERS, VoidNamespaceSerializer.INSTANCE, this),
                    (e, key, ts) -> output.collect(new StreamRecord<>(e + " at " + ts)), getMetricGroup(), 0);
        }

        @Override
        public void processElement(StreamRecord<String> record) throws Exception {
            String e = record.getValue();
            if (e.endsWith("!")) { // "key!": release the key's whole buffer now
                buffer.releaseAll(getCurrentKey().toString(), buffer.index());
                return;
            }
            buffer.hold(e, getCurrentKey().toString(), Long.parseLong(e.substring(e.indexOf('@') + 1, e.indexOf('#'))),
                    buffer.index(), 0);
        }

        @Override
        public void onEventTime(InternalTimer<String, VoidNamespace> timer) throws Exception {
            buffer.onTimer(timer.getKey(), timer.getTimestamp());
        }

        @Override
        public void onProcessingTime(InternalTimer<String, VoidNamespace> timer) {}
    }

    static KeyedOneInputStreamOperatorTestHarness<String, String, String> harness() throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new BufferOnly(), e -> e.substring(0, e.indexOf(e.contains("@") ? '@' : '!')),
                Types.STRING, 128, 1, 0);
    }

    static List<String> released(KeyedOneInputStreamOperatorTestHarness<String, String, String> h) {
        List<String> out = new ArrayList<>();
        for (Object o : h.getOutput()) {
            if (o instanceof StreamRecord<?> r) {
                out.add((String) r.getValue());
            }
        }
        h.getOutput().clear();
        return out;
    }

    static long buffered(KeyedOneInputStreamOperatorTestHarness<String, String, String> h) {
        return ((BufferOnly) h.getOperator()).buffer.buffered();
    }

    @Test
    void theWatermarkReleasesEachTimeAfterItsLatenessInOrder() throws Exception {
        var h = harness();
        h.open();
        for (String e : List.of("a@20#1", "a@10#2", "b@10#3", "a@20#4", "a@30#5")) {
            h.processElement(new StreamRecord<>(e));
        }
        assertEquals(5, buffered(h));
        h.processWatermark(24);
        List<String> first = released(h);
        first.sort(null); // two keys' timers of one time: in either order
        assertEquals(List.of("a@10#2 at 10", "b@10#3 at 10"), first, "time 20 waits until 25 (lateness 5)");
        h.processWatermark(25);
        assertEquals(List.of("a@20#1 at 20", "a@20#4 at 20"), released(h), "arrival order within a time");
        assertEquals(1, buffered(h));
        h.close();
    }

    @Test
    void aKeysWholeBufferGoesAtOnceInTimestampOrder() throws Exception {
        var h = harness();
        h.open();
        for (String e : List.of("a@30#1", "a@10#2", "b@10#3")) {
            h.processElement(new StreamRecord<>(e));
        }
        h.processElement(new StreamRecord<>("a!"));
        assertEquals(List.of("a@10#2 at 10", "a@30#1 at 30"), released(h), "in timestamp order");
        assertEquals(1, buffered(h));
        h.processWatermark(100);
        assertEquals(List.of("b@10#3 at 10"), released(h), "a's events went with its buffer: nothing twice");
        h.close();
    }

    @Test
    void waitingEventsAndTheirCountSurviveASnapshot() throws Exception {
        var h = harness();
        h.open();
        h.processElement(new StreamRecord<>("a@10#1"));
        h.processElement(new StreamRecord<>("b@12#2"));
        OperatorSubtaskState snapshot = h.snapshot(1, 1);
        h.close();

        var restored = harness();
        restored.initializeState(snapshot);
        restored.open();
        assertEquals(2, buffered(restored), "the count restored from the union state");
        restored.processWatermark(20);
        assertEquals(List.of("a@10#1 at 10", "b@12#2 at 12"), released(restored), "in time order");
        assertEquals(0, buffered(restored));
        restored.close();
    }
}
