package io.flinkrecurrent.runtime;

import io.flinkrecurrent.flink.KeyState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.metrics.groups.UnregisteredMetricGroups;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The kept inputs alone, in an operator that does nothing else, on the heap and on RocksDB: a key's
 * ring holds its last inputs since its last reset; a bounded cache evicts the least recently stepped
 * key, writing its ring to state, and reads it back at the key's next event; a checkpoint holds every
 * ring as of its barrier (the cache is written at {@code snapshotState}) and a restore starts from it.
 *
 * <p>Records: {@code "k=v"} appends the input {@code {v, -v}} to k's ring, {@code "k=v!"} does so after a
 * reset (the step started from zeros), {@code "k?"} emits k's ring oldest first as {@code "k:[v1, v2]"}.
 * Each step counts in the key's own count of steps (its {@code seq}); an operator that does not keep
 * ({@code keeping} false) counts the steps and keeps nothing, as the operator without {@code keepInputs}.
 */
class KeptInputsTest {
    static final int CAPACITY = 3;

    static final class KeepOnly extends AbstractStreamOperator<String> implements OneInputStreamOperator<String, String> {
        final long cacheBytes;
        final boolean keeping;
        transient KeptInputs kept;
        transient ValueState<Long> steps;
        final transient Map<String, Metric> metrics = new HashMap<>();

        KeepOnly(long cacheBytes, boolean keeping) {
            this.cacheBytes = cacheBytes;
            this.keeping = keeping;
        }

        @Override
        public void open() throws Exception {
            super.open();
            steps = getRuntimeContext().getState(new ValueStateDescriptor<>("steps", Types.LONG));
            kept = !keeping ? null : new KeptInputs(CAPACITY, 2, cacheBytes, getRuntimeContext().getState(KeptInputs.descriptor(null)),
                    getRuntimeContext().getState(KeptInputs.legacyDescriptor()), this, recording());
        }

        /** A metric group that keeps what is registered under {@code keptInputs}, by name. */
        private MetricGroup recording() {
            return new UnregisteredMetricGroups.UnregisteredOperatorMetricGroup() {
                @Override
                public MetricGroup addGroup(String name) {
                    MetricGroup outer = this;
                    return new UnregisteredMetricGroups.UnregisteredOperatorMetricGroup() {
                        @Override
                        public Counter counter(String n) {
                            Counter c = super.counter(n);
                            metrics.put(n, c);
                            return c;
                        }

                        @Override
                        public <T, G extends Gauge<T>> G gauge(String n, G g) {
                            metrics.put(n, g);
                            return g;
                        }
                    };
                }
            };
        }

        @Override
        public void snapshotState(StateSnapshotContext context) throws Exception {
            super.snapshotState(context);
            if (kept != null) {
                kept.flush();
            }
        }

        /** The current key's count of steps so far. */
        long seq() throws Exception {
            Long n = steps.value();
            return n == null ? 0 : n;
        }

        @Override
        public void processElement(StreamRecord<String> record) throws Exception {
            String r = record.getValue();
            Object key = getCurrentKey();
            if (r.endsWith("?")) {
                KeyState ks = new KeyState();
                ks.seq = seq();
                float[] ring = kept.ring(key, ks);
                List<Float> oldestFirst = new ArrayList<>();
                int n = InputRing.count(ring);
                int next = (int) ring[1];
                for (int k = 0; k < n; k++) {
                    oldestFirst.add(ring[2 + 2 * Math.floorMod(next - n + k, CAPACITY)]);
                }
                output.collect(new StreamRecord<>(key + ":" + oldestFirst));
                return;
            }
            boolean fromZero = r.endsWith("!");
            float v = Float.parseFloat(r.substring(r.indexOf('=') + 1, fromZero ? r.length() - 1 : r.length()));
            long seq = seq();
            if (kept != null) {
                kept.beforeStep(key, null, fromZero, seq);
                kept.append(key, new float[] {v, -v}, seq);
            }
            steps.update(seq + 1);
        }
    }

    static KeyedOneInputStreamOperatorTestHarness<String, String, String> harness(String backend, long cacheBytes,
                                                                                 OperatorSubtaskState restore) throws Exception {
        return harness(backend, cacheBytes, true, restore);
    }

    static KeyedOneInputStreamOperatorTestHarness<String, String, String> harness(String backend, long cacheBytes, boolean keeping,
                                                                                 OperatorSubtaskState restore) throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeepOnly(cacheBytes, keeping), r -> r.substring(0, 1), Types.STRING);
        if (backend.equals("rocksdb")) {
            h.setStateBackend(new EmbeddedRocksDBStateBackend());
        }
        h.setup();
        h.initializeState(restore);
        h.open();
        return h;
    }

    static void feed(KeyedOneInputStreamOperatorTestHarness<String, String, String> h, String... records) throws Exception {
        for (String r : records) {
            h.processElement(new StreamRecord<>(r));
        }
    }

    static long count(KeepOnly op, String metric) {
        Metric m = op.metrics.get(metric);
        return m instanceof Counter c ? c.getCount() : ((Number) ((Gauge<?>) m).getValue()).longValue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"hashmap", "rocksdb"})
    void aRingKeepsTheLastInputsSinceTheLastReset(String backend) throws Exception {
        var h = harness(backend, 1 << 20, null);
        feed(h, "a=1", "a=2", "b=7", "a=3", "a=4", "a?", "b?", "a=5!", "a=6", "a?", "c?");
        assertEquals(List.of("a:[2.0, 3.0, 4.0]", "b:[7.0]", "a:[5.0, 6.0]", "c:[]"), h.extractOutputValues());
        h.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"hashmap", "rocksdb"})
    void aFullCacheWritesTheEvictedRingToStateAndReadsItBack(String backend) throws Exception {
        long oneKey = KeptInputs.entryBytes(CAPACITY, 2);
        var h = harness(backend, 2 * oneKey, null);
        KeepOnly op = (KeepOnly) h.getOperator();
        assertEquals(2, op.kept.maxKeys());
        feed(h, "a=1", "b=2", "a=3"); // a, b cached
        assertEquals(2, count(op, "loads"));
        assertEquals(0, count(op, "evictions"));
        feed(h, "c=4"); // b is the least recently stepped: out, written to its state
        assertEquals(1, count(op, "evictions"));
        assertEquals(1, count(op, "writes"));
        assertEquals(2, count(op, "cachedKeys"));
        feed(h, "b=5", "b?", "a?", "c?"); // b read back (a out); then a read back (c out)
        assertEquals(List.of("b:[2.0, 5.0]", "a:[1.0, 3.0]", "c:[4.0]"), h.extractOutputValues());
        assertEquals(6, count(op, "loads"), "a, b, c, then b, a and c again");
        h.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"hashmap", "rocksdb"})
    void aCheckpointHoldsEveryRingAsOfItsBarrier(String backend) throws Exception {
        var h = harness(backend, 1 << 20, null);
        feed(h, "a=1", "a=2", "b=3");
        OperatorSubtaskState first = h.snapshot(1, 1);
        feed(h, "a=9!", "b=4"); // after the barrier: not in the checkpoint
        OperatorSubtaskState second = h.snapshot(2, 2);
        KeepOnly op = (KeepOnly) h.getOperator();
        assertEquals(4, count(op, "writes"), "each changed ring once per checkpoint");
        h.close();

        var restored = harness(backend, 1 << 20, first);
        feed(restored, "a?", "b?", "a=5", "a?");
        assertEquals(List.of("a:[1.0, 2.0]", "b:[3.0]", "a:[1.0, 2.0, 5.0]"), restored.extractOutputValues());
        restored.close();

        var later = harness(backend, 1 << 20, second);
        feed(later, "a?", "b?");
        assertEquals(List.of("a:[9.0]", "b:[3.0, 4.0]"), later.extractOutputValues());
        later.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"hashmap", "rocksdb"})
    void aRingWrittenAtACheckpointIsNotChangedByTheEventsAfterIt(String backend) throws Exception {
        var h = harness(backend, 1 << 20, null);
        KeepOnly op = (KeepOnly) h.getOperator();
        feed(h, "a=1", "a=2");
        h.snapshot(1, 1);
        feed(h, "a=3", "a=4!"); // a stays cached: its state must keep the ring as of the checkpoint
        op.setCurrentKey("a");
        float[] stored = op.getRuntimeContext().getState(KeptInputs.descriptor(null)).value();
        assertEquals(2, InputRing.count(stored), "the heap backend holds the flushed ring, not the cache's own array");
        assertEquals(1f, stored[2]);
        assertEquals(2f, stored[4]);
        h.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"hashmap", "rocksdb"})
    void aReleaseZeroOneRingIsMovedOnce(String backend) throws Exception {
        var h = harness(backend, 1 << 20, null);
        KeepOnly op = (KeepOnly) h.getOperator();
        op.setCurrentKey("a");
        float[] old = InputRing.create(CAPACITY, 2);
        InputRing.push(old, new float[] {8, -8});
        op.getRuntimeContext().getState(KeptInputs.legacyDescriptor()).update(old);
        feed(h, "a=1", "a?");
        assertEquals(List.of("a:[8.0, 1.0]"), h.extractOutputValues());
        op.setCurrentKey("a");
        assertNull(op.getRuntimeContext().getState(KeptInputs.legacyDescriptor()).value(), "0.1's state is cleared");
        OperatorSubtaskState s = h.snapshot(1, 1);
        h.close();
        var restored = harness(backend, 1 << 20, s);
        feed(restored, "a?");
        assertEquals(List.of("a:[8.0, 1.0]"), restored.extractOutputValues());
        restored.close();
    }

    /** A ring that missed some of its key's steps (a run without kept inputs between) is read as empty, never replayed. */
    @ParameterizedTest
    @ValueSource(strings = {"hashmap", "rocksdb"})
    void aRingThatMissedStepsIsReadAsEmpty(String backend) throws Exception {
        var h = harness(backend, 1 << 20, null);
        feed(h, "a=1", "a=2", "b=5");
        OperatorSubtaskState kept = h.snapshot(1, 1);
        h.close();

        var without = harness(backend, 1 << 20, false, kept); // a steps on, nothing kept; b does not
        feed(without, "a=3!", "a=4");
        OperatorSubtaskState missed = without.snapshot(2, 2);
        without.close();

        var again = harness(backend, 1 << 20, missed);
        feed(again, "a?", "b?", "a=6", "a?");
        assertEquals(List.of("a:[]", "b:[5.0]", "a:[6.0]"), again.extractOutputValues(),
                "a's 1 and 2 came before its reset: its ring missed 3 and 4");
        again.close();
    }
}
