package io.flinkrecurrent.savepoint;

import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.flink.KeyState;
import io.flinkrecurrent.runtime.KeptInputs;
import org.apache.flink.api.common.functions.Function;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.StateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.runtime.state.internal.InternalListState;
import org.apache.flink.state.api.input.MultiStateKeyIterator;
import org.apache.flink.state.api.input.operator.StateReaderOperator;
import org.apache.flink.state.api.runtime.SavepointRuntimeContext;
import org.apache.flink.streaming.api.operators.InternalTimerService;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.Collector;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads every key of a recurrent operator from a savepoint: a State Processor API reader operator (the
 * lower-level form of a {@code KeyedStateReaderFunction}), because a keyed state reader function sees
 * only void-namespace state, and the ordering buffer {@code recurrent-pending} is a list state whose
 * namespace is the event's timestamp. Here the keyed state backend itself is at hand: the buffer's
 * timestamps come from {@code recurrent-pending-times} and each one's events from the list state in
 * that namespace ({@link org.apache.flink.runtime.state.internal.InternalKvState#setCurrentNamespace}).
 * The events are read with the serializer the savepoint records for them, so their type need not be known.
 */
@Internal
public final class RecurrentStateReader<K> extends StateReaderOperator<RecurrentStateReader.NoFunction, K, VoidNamespace, InspectedKey> {
    private static final long serialVersionUID = 1L;
    /** A TTL long enough that reading never hides an entry as expired; the TTL only has to be there for the layout. */
    static final Duration READ_TTL = Duration.ofDays(365L * 1000);

    /** The reader has no user function; the base class wants one. */
    @Internal
    public static final class NoFunction implements Function {
        private static final long serialVersionUID = 1L;
    }

    /** What the savepoint's operator holds, found from its metadata before the read. */
    @Internal
    public static final class Spec implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        boolean sql;
        boolean ttl;
        boolean shadow;
        /** Release 0.1's ring state is there (registered by every operator with kept inputs since). */
        boolean keptInputs;
        /** The written-behind ring state is there. */
        boolean keptInputsBehind;
        boolean ordered;
        boolean awaiting;
        TypeSerializer<?> pendingEvents;
        TypeSerializer<?> awaitingEvents;
        TypeSerializer<?> sqlMapKey;
        TypeSerializer<?> sqlMapValue;
        /** The SQL function's waiting rows (with on_time): its {@code waiting} row and {@code waiting_rows} map, as recorded. */
        TypeSerializer<?> sqlWaiting;
        TypeSerializer<?> sqlWaitingRowsKey;
        TypeSerializer<?> sqlWaitingRowsValue;
        boolean idleTimers;
    }

    private final Spec spec;

    private transient ValueState<KeyState> keyState;
    private transient ValueState<KeyState> shadowState;
    private transient ValueState<float[]> recentInputs;
    private transient ValueState<float[]> keptInputs;
    private transient ValueState<long[]> pendingTimes;
    private transient InternalListState<K, Long, Object> pending;
    private transient ListState<Object> awaiting;
    private transient ValueState<Integer> awaitingCount;
    private transient org.apache.flink.api.common.state.MapState<Object, Object> sqlState;
    private transient ValueState<Object> sqlWaiting;
    private transient org.apache.flink.api.common.state.MapState<Object, Object> sqlWaitingRows;
    private transient List<StateDescriptor<?, ?>> keyed;
    private transient Map<Object, List<Long>> timers;
    private transient DataOutputSerializer keyOut;

    RecurrentStateReader(TypeInformation<K> keyType, Spec spec) {
        super(new NoFunction(), keyType, VoidNamespaceSerializer.INSTANCE);
        this.spec = spec;
    }

    @Override
    @SuppressWarnings({"unchecked", "rawtypes"})
    public void open() throws Exception {
        super.open();
        KeyedStateBackend<K> b = getKeyedStateBackend();
        keyed = new ArrayList<>();
        Duration ttl = spec.ttl ? READ_TTL : null;
        if (spec.sql) {
            var d = new org.apache.flink.api.common.state.MapStateDescriptor<>(OperatorStateLayout.SQL_KEY_STATE,
                    (TypeSerializer<Object>) spec.sqlMapKey, (TypeSerializer<Object>) spec.sqlMapValue);
            if (ttl != null) {
                d.enableTimeToLive(org.apache.flink.api.common.state.StateTtlConfig.newBuilder(ttl).build());
            }
            sqlState = b.getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, d);
            keyed.add(d);
            if (spec.sqlWaiting != null && spec.sqlWaitingRowsKey != null) {
                var w = new ValueStateDescriptor<>(OperatorStateLayout.SQL_WAITING, (TypeSerializer<Object>) spec.sqlWaiting);
                var wr = new org.apache.flink.api.common.state.MapStateDescriptor<>(OperatorStateLayout.SQL_WAITING_ROWS,
                        (TypeSerializer<Object>) spec.sqlWaitingRowsKey, (TypeSerializer<Object>) spec.sqlWaitingRowsValue);
                if (ttl != null) {
                    w.enableTimeToLive(org.apache.flink.api.common.state.StateTtlConfig.newBuilder(ttl).build());
                    wr.enableTimeToLive(org.apache.flink.api.common.state.StateTtlConfig.newBuilder(ttl).build());
                }
                sqlWaiting = b.getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, w);
                sqlWaitingRows = b.getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, wr);
                keyed.add(w);
            }
        } else {
            keyState = value(b, OperatorStateLayout.keyState(ttl));
        }
        if (spec.shadow) {
            shadowState = value(b, OperatorStateLayout.shadowState(ttl));
        }
        if (spec.keptInputs) {
            recentInputs = value(b, OperatorStateLayout.recentInputs());
        }
        if (spec.keptInputsBehind) {
            keptInputs = value(b, OperatorStateLayout.keptInputs(ttl));
        }
        if (spec.ordered) {
            pendingTimes = value(b, OperatorStateLayout.pendingTimes());
            if (spec.pendingEvents != null) {
                pending = (InternalListState<K, Long, Object>) b.getOrCreateKeyedState(OperatorStateLayout.PENDING_NAMESPACE,
                        OperatorStateLayout.pending((TypeSerializer<Object>) spec.pendingEvents));
            }
        }
        if (spec.awaiting && spec.awaitingEvents != null) {
            var d = OperatorStateLayout.awaiting((TypeSerializer<Object>) spec.awaitingEvents);
            awaiting = b.getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, d);
            keyed.add(d);
            awaitingCount = value(b, OperatorStateLayout.awaitingCount());
        }
        timers = new HashMap<>();
        if (spec.idleTimers) {
            InternalTimerService<VoidNamespace> idle = getInternalTimerService(OperatorStateLayout.IDLE_TIMERS);
            idle.forEachEventTimeTimer((ns, t) -> timers.computeIfAbsent(getCurrentKey(), k -> new ArrayList<>()).add(t));
            idle.forEachProcessingTimeTimer((ns, t) -> timers.computeIfAbsent(getCurrentKey(), k -> new ArrayList<>()).add(t));
        }
        keyOut = new DataOutputSerializer(64);
    }

    private <T> ValueState<T> value(KeyedStateBackend<K> b, ValueStateDescriptor<T> d) throws Exception {
        keyed.add(d);
        return b.getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, d);
    }

    @Override
    public CloseableIterator<Tuple2<K, VoidNamespace>> getKeysAndNamespaces(SavepointRuntimeContext ctx) {
        MultiStateKeyIterator<K> keys = new MultiStateKeyIterator<>(keyed, getKeyedStateBackend());
        return new CloseableIterator<>() {
            @Override public boolean hasNext() { return keys.hasNext(); }
            @Override public Tuple2<K, VoidNamespace> next() { return Tuple2.of(keys.next(), VoidNamespace.INSTANCE); }
            @Override public void close() throws Exception { keys.close(); }
        };
    }

    @Override
    public void processElement(K key, VoidNamespace namespace, Collector<InspectedKey> out) throws Exception {
        InspectedKey r = new InspectedKey();
        keyOut.clear();
        getKeyedStateBackend().getKeySerializer().serialize(key, keyOut);
        r.keyBytes = keyOut.getCopyOfBuffer();
        r.key = spec.sql ? SqlKeys.render(key) : String.valueOf(key);
        KeyState ks = spec.sql ? SqlKeys.keyState(sqlState) : keyState.value();
        if (ks != null) {
            r.hasState = true;
            r.seq = ks.seq;
            r.sinceReset = ks.sinceReset;
            r.lastEventTime = ks.lastEventTime;
            r.lastProcessingTime = ks.lastProcessingTime;
            r.fingerprint = ks.fingerprint;
            r.idleTimer = ks.idleTimer;
            r.state = ks.state;
            r.keptInputs = ks.recentInputs; // KeyStateSerializer's format 2 before the rings were written behind
        }
        List<Long> t = timers.get(key);
        if (t != null) {
            r.idleTimers = t.stream().mapToLong(Long::longValue).sorted().toArray();
        }
        if (shadowState != null) {
            KeyState s = shadowState.value();
            if (s != null) {
                r.hasShadow = true;
                r.shadowSeq = s.seq;
                r.shadowFingerprint = s.fingerprint;
                r.shadowState = s.state;
            }
        }
        if (keptInputs != null && r.keptInputs == null) { // the operator's order (KeptInputs.load)
            float[] stored = keptInputs.value();
            if (stored != null) { // empty when its stamp says it missed some of the key's steps
                r.keptInputs = KeptInputs.fromState(stored, ks == null ? 0 : ks.seq);
            }
        }
        if (recentInputs != null && r.keptInputs == null) {
            r.keptInputs = recentInputs.value(); // release 0.1's, for a key not stepped since
        }
        if (pendingTimes != null) {
            long[] p = pendingTimes.value();
            if (p != null && p.length > 0) {
                r.pendingCount = p[0];
                r.pendingTimes = java.util.Arrays.copyOfRange(p, 1, p.length);
                if (pending != null) {
                    List<Long> times = new ArrayList<>();
                    List<String> events = new ArrayList<>();
                    for (long ts : r.pendingTimes) {
                        pending.setCurrentNamespace(ts);
                        Iterable<Object> es = pending.get();
                        if (es != null) {
                            for (Object e : es) {
                                times.add(ts);
                                events.add(String.valueOf(e));
                            }
                        }
                    }
                    r.pendingEventTimes = times.stream().mapToLong(Long::longValue).toArray();
                    r.pendingEvents = events.toArray(new String[0]);
                }
            }
        }
        if (sqlWaiting != null) {
            Object w = sqlWaiting.value();
            r.pendingCount = SqlKeys.waitingCount(w);
            List<Long> times = new ArrayList<>();
            for (Object at : sqlWaitingRows.keys()) {
                times.add(((Number) at).longValue());
            }
            r.pendingTimes = times.stream().mapToLong(Long::longValue).sorted().toArray();
        }
        if (awaiting != null) {
            Integer n = awaitingCount.value();
            r.awaitingCount = n == null ? 0 : n;
            List<String> events = new ArrayList<>();
            Iterable<Object> es = awaiting.get();
            if (es != null) {
                es.forEach(e -> events.add(String.valueOf(e)));
            }
            r.awaitingEvents = events.toArray(new String[0]);
        }
        out.collect(r);
    }
}
