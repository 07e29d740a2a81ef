package io.flinkrecurrent.savepoint;

import io.flinkrecurrent.annotation.PublicEvolving;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.memory.DataInputViewStreamWrapper;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.state.IncrementalKeyedStateHandle;
import org.apache.flink.runtime.state.KeyGroupsStateHandle;
import org.apache.flink.runtime.state.KeyedBackendSerializationProxy;
import org.apache.flink.runtime.state.KeyedStateHandle;
import org.apache.flink.runtime.state.OperatorStateHandle;
import org.apache.flink.runtime.state.StreamStateHandle;
import org.apache.flink.runtime.state.metainfo.StateMetaInfoSnapshot;
import org.apache.flink.state.api.OperatorIdentifier;
import org.apache.flink.state.api.runtime.SavepointLoader;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * What a savepoint (or retained checkpoint) holds, read from its metadata and its keyed state's headers
 * alone (no state backend, no job): each operator's id, uid and name where Flink recorded them, its
 * parallelism and maximum parallelism, the names of its keyed states (with their serializers, as the
 * savepoint itself records them), timer services and operator states. Used to find the recurrent
 * operator by its uid and to say clearly what a savepoint holds when it is not there.
 */
@PublicEvolving
public final class SavepointContents {
    private final String path;
    private final CheckpointMetadata metadata;
    private final List<Operator> operators;

    private SavepointContents(String path, CheckpointMetadata metadata, List<Operator> operators) {
        this.path = path;
        this.metadata = metadata;
        this.operators = operators;
    }

    /** One operator of the savepoint. */
    @PublicEvolving
    public static final class Operator {
        private final OperatorState state;
        private final TreeSet<String> keyedStates = new TreeSet<>();
        private final TreeSet<String> timerServices = new TreeSet<>();
        private final TreeSet<String> operatorStates = new TreeSet<>();
        private final Map<String, StateMetaInfoSnapshot> keyedMeta = new LinkedHashMap<>();
        private TypeSerializerSnapshot<?> keySerializer;
        private boolean nativeIncremental;
        private String unreadable;

        private Operator(OperatorState state) {
            this.state = state;
        }

        public OperatorID id() { return state.getOperatorID(); }
        public Optional<String> uid() { return state.getOperatorUid(); }
        public Optional<String> name() { return state.getOperatorName(); }
        public int parallelism() { return state.getParallelism(); }
        public int maxParallelism() { return state.getMaxParallelism(); }
        public java.util.SortedSet<String> keyedStates() { return keyedStates; }
        public java.util.SortedSet<String> timerServices() { return timerServices; }
        public java.util.SortedSet<String> operatorStates() { return operatorStates; }
        /** Its keys' serializer as the savepoint records it; null when it has no keyed state. */
        public TypeSerializer<?> keySerializer() { return keySerializer == null ? null : keySerializer.restoreSerializer(); }
        /** A keyed state's value serializer as the savepoint records it (for a list state, the list's), or null. */
        public TypeSerializer<?> valueSerializer(String stateName) {
            StateMetaInfoSnapshot m = keyedMeta.get(stateName);
            if (m == null) {
                return null;
            }
            TypeSerializerSnapshot<?> s = m.getTypeSerializerSnapshot(StateMetaInfoSnapshot.CommonSerializerKeys.VALUE_SERIALIZER);
            return s == null ? null : s.restoreSerializer();
        }
        /** A map state's key serializer as the savepoint records it, or null. */
        public TypeSerializer<?> userKeySerializer(String stateName) {
            StateMetaInfoSnapshot m = keyedMeta.get(stateName);
            TypeSerializerSnapshot<?> s = m == null ? null : m.getTypeSerializerSnapshot(StateMetaInfoSnapshot.CommonSerializerKeys.USER_KEY_SERIALIZER);
            return s == null ? null : s.restoreSerializer();
        }
        /** Whether its keyed state is a native (RocksDB/ForSt files) snapshot rather than the canonical format. */
        public boolean nativeFormat() { return nativeIncremental; }
        /** Whether it is a flink-recurrent operator (the DataStream operator or the SQL function). */
        public boolean isRecurrent() { return keyedStates.contains(OperatorStateLayout.KEY_STATE) || isSqlFunction(); }
        /** Whether it is the SQL function's state (a key state {@code recurrent} and no DataStream key state). */
        public boolean isSqlFunction() {
            return keyedStates.contains(OperatorStateLayout.SQL_KEY_STATE) && !keyedStates.contains(OperatorStateLayout.KEY_STATE);
        }
        OperatorState state() { return state; }

        /** One line: uid, id, name, parallelism, states. */
        public String describe() {
            StringBuilder b = new StringBuilder();
            b.append(uid().map(u -> "uid '" + u + "'").orElse("no uid recorded"));
            b.append(", operator id ").append(id());
            name().ifPresent(n -> b.append(", name '").append(n).append("'"));
            b.append(", parallelism ").append(parallelism()).append(" (max ").append(maxParallelism()).append(")");
            if (!keyedStates.isEmpty()) {
                b.append(", keyed state ").append(keyedStates);
            }
            if (!timerServices.isEmpty()) {
                b.append(", timers ").append(timerServices);
            }
            if (!operatorStates.isEmpty()) {
                b.append(", operator state ").append(operatorStates);
            }
            if (keyedStates.isEmpty() && timerServices.isEmpty() && operatorStates.isEmpty()) {
                b.append(unreadable != null ? ", state names unreadable (" + unreadable + ")" : ", no keyed or operator state");
            }
            return b.toString();
        }
    }

    /** Reads a savepoint's (or retained checkpoint's) metadata: a directory or its {@code _metadata} file. */
    public static SavepointContents load(String path) throws IOException {
        CheckpointMetadata metadata;
        try {
            metadata = SavepointLoader.loadSavepointMetadata(path);
        } catch (IOException | RuntimeException e) {
            throw new IOException(path + ": not a readable savepoint or checkpoint (" + e.getMessage() + ")", e);
        }
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        List<Operator> ops = new ArrayList<>();
        for (OperatorState s : metadata.getOperatorStates()) {
            Operator op = new Operator(s);
            for (OperatorSubtaskState st : s.getStates()) {
                for (OperatorStateHandle h : st.getManagedOperatorState()) {
                    op.operatorStates.addAll(h.getStateNameToPartitionOffsets().keySet());
                }
                for (KeyedStateHandle h : st.getManagedKeyedState()) {
                    readHeader(op, h, cl);
                }
            }
            ops.add(op);
        }
        ops.sort(Comparator.comparing((Operator o) -> o.uid().orElse("\uffff")).thenComparing(o -> o.id().toHexString()));
        return new SavepointContents(path, metadata, ops);
    }

    /** The state names and serializers of one keyed state handle, from the header every format starts with. */
    private static void readHeader(Operator op, KeyedStateHandle h, ClassLoader cl) {
        StreamStateHandle meta;
        if (h instanceof KeyGroupsStateHandle k) {
            meta = k.getDelegateStateHandle();
        } else if (h instanceof IncrementalKeyedStateHandle i) {
            meta = i.getMetaDataStateHandle();
            op.nativeIncremental = true;
        } else {
            op.unreadable = "keyed state of kind " + h.getClass().getSimpleName();
            return;
        }
        try (FSDataInputStream in = meta.openInputStream()) {
            KeyedBackendSerializationProxy<?> proxy = new KeyedBackendSerializationProxy<>(cl);
            proxy.read(new DataInputViewStreamWrapper(in));
            if (op.keySerializer == null) {
                op.keySerializer = proxy.getKeySerializerSnapshot();
            }
            for (StateMetaInfoSnapshot m : proxy.getStateMetaInfoSnapshots()) {
                if (m.getBackendStateType() == StateMetaInfoSnapshot.BackendStateType.PRIORITY_QUEUE) {
                    op.timerServices.add(timerServiceName(m.getName()));
                } else {
                    op.keyedStates.add(m.getName());
                    op.keyedMeta.putIfAbsent(m.getName(), m);
                }
            }
        } catch (Exception e) {
            op.unreadable = e.toString();
        }
    }

    /** {@code _timer_state/event_recurrent-idle} -> {@code recurrent-idle}. */
    private static String timerServiceName(String queue) {
        String s = queue.startsWith("_timer_state/") ? queue.substring("_timer_state/".length()) : queue;
        if (s.startsWith("event_")) {
            return s.substring("event_".length());
        }
        if (s.startsWith("processing_")) {
            return s.substring("processing_".length());
        }
        return s;
    }

    public String path() { return path; }

    public long checkpointId() { return metadata.getCheckpointId(); }

    public List<Operator> operators() { return operators; }

    CheckpointMetadata metadata() { return metadata; }

    /** The operator with this uid, or null. */
    public Operator byUid(String uid) {
        OperatorID id = OperatorIdentifier.forUid(uid).getOperatorId();
        for (Operator o : operators) {
            if (o.id().equals(id)) {
                return o;
            }
        }
        return null;
    }

    /**
     * The recurrent operator with this uid; a clear error otherwise, naming what the savepoint holds: its
     * operators' uids, ids and state names (and which of them are recurrent operators).
     */
    public Operator recurrent(String uid) {
        Operator o = byUid(uid);
        if (o == null) {
            throw new IllegalArgumentException(path + ": no operator with uid '" + uid + "' (operator id "
                    + OperatorIdentifier.forUid(uid).getOperatorId() + "); " + holds());
        }
        if (!o.isRecurrent()) {
            throw new IllegalArgumentException(path + ": the operator with uid '" + uid + "' is not a flink-recurrent operator"
                    + " (it has no keyed state " + OperatorStateLayout.MARKERS + "): " + o.describe() + "; " + holds());
        }
        return o;
    }

    /** The recurrent operators' uids (where recorded), for a message. */
    public List<String> recurrentUids() {
        List<String> r = new ArrayList<>();
        for (Operator o : operators) {
            if (o.isRecurrent()) {
                r.add(o.uid().orElse("(id " + o.id() + ")"));
            }
        }
        return r;
    }

    /** "it holds N operators: ..." with each one described, the recurrent ones first named. */
    public String holds() {
        StringBuilder b = new StringBuilder("the savepoint holds ").append(operators.size()).append(" operator")
                .append(operators.size() == 1 ? "" : "s");
        List<String> rec = recurrentUids();
        b.append(rec.isEmpty() ? " and no flink-recurrent operator" : ", flink-recurrent operator(s) " + rec);
        b.append(":");
        for (Operator o : operators) {
            b.append("\n  - ").append(o.describe());
        }
        return b.toString();
    }
}
