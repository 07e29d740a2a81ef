package io.flinkrecurrent.migration;

import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputViewStreamWrapper;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.state.AbstractIncrementalStateHandle;
import org.apache.flink.runtime.state.KeyGroupsStateHandle;
import org.apache.flink.runtime.state.KeyedBackendSerializationProxy;
import org.apache.flink.runtime.state.KeyedStateHandle;
import org.apache.flink.runtime.state.OperatorBackendSerializationProxy;
import org.apache.flink.runtime.state.OperatorStateHandle;
import org.apache.flink.runtime.state.OperatorStreamStateHandle;
import org.apache.flink.runtime.state.StreamStateHandle;
import org.apache.flink.runtime.state.metainfo.StateMetaInfoSnapshot;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The names a savepoint holds, read from its {@code _metadata} with Flink's own
 * {@link Checkpoints#loadCheckpointMetadata} and its state handles' meta data (the keyed backends'
 * {@link KeyedBackendSerializationProxy}, the operator backends' {@link OperatorBackendSerializationProxy}):
 * per operator (its uid), each state as {@code "<kind> <name>"} with its value serializer's snapshot
 * class. Kinds: {@code keyed} (value, list and map states), {@code timers} (a timer service's queue,
 * {@code event_<name>} and {@code processing_<name>}), {@code operator-union}, {@code operator-split},
 * {@code broadcast}. Reading a serializer snapshot needs its class: a renamed snapshot class fails here,
 * naming it.
 */
final class SavepointNames {
    private SavepointNames() {}

    /** One operator's states: {@code "<kind> <name>"} to its value serializer snapshot's class. */
    record Operator(String uid, String operatorId, Map<String, String> states) {}

    /** The savepoint's operators that hold state, by operator id. */
    static Map<String, Operator> read(Path savepoint) throws IOException {
        ClassLoader cl = SavepointNames.class.getClassLoader();
        CheckpointMetadata meta;
        try (DataInputStream in = new DataInputStream(Files.newInputStream(savepoint.resolve("_metadata")))) {
            meta = Checkpoints.loadCheckpointMetadata(in, cl, savepoint.toUri().toString());
        }
        Map<String, Operator> out = new TreeMap<>();
        for (OperatorState op : meta.getOperatorStates()) {
            Map<String, String> states = new TreeMap<>();
            for (OperatorSubtaskState sub : op.getStates()) {
                for (KeyedStateHandle h : sub.getManagedKeyedState()) {
                    StreamStateHandle stream = h instanceof AbstractIncrementalStateHandle inc ? inc.getMetaDataStateHandle()
                            : h instanceof KeyGroupsStateHandle kg ? kg : null;
                    if (stream == null) {
                        throw new IOException("a keyed state handle of a kind not read here: " + h.getClass().getName());
                    }
                    try (InputStream in = stream.openInputStream()) {
                        KeyedBackendSerializationProxy<?> proxy = new KeyedBackendSerializationProxy<>(cl);
                        proxy.read(new DataInputViewStreamWrapper(in));
                        for (StateMetaInfoSnapshot s : proxy.getStateMetaInfoSnapshots()) {
                            String name = s.getName();
                            String kind = "keyed";
                            if (s.getBackendStateType() == StateMetaInfoSnapshot.BackendStateType.PRIORITY_QUEUE) {
                                kind = "timers";
                                name = name.startsWith("_timer_state/") ? name.substring("_timer_state/".length()) : name;
                            }
                            states.put(kind + " " + name, serializer(s));
                        }
                    }
                }
                for (OperatorStateHandle h : sub.getManagedOperatorState()) {
                    if (!(h instanceof OperatorStreamStateHandle oh)) {
                        continue;
                    }
                    Map<String, String> serializers = new TreeMap<>();
                    try (InputStream in = oh.openInputStream()) {
                        OperatorBackendSerializationProxy proxy = new OperatorBackendSerializationProxy(cl);
                        proxy.read(new DataInputViewStreamWrapper(in));
                        for (StateMetaInfoSnapshot s : proxy.getOperatorStateMetaInfoSnapshots()) {
                            serializers.put(s.getName(), serializer(s));
                        }
                        for (StateMetaInfoSnapshot s : proxy.getBroadcastStateMetaInfoSnapshots()) {
                            serializers.put(s.getName(), serializer(s));
                        }
                    }
                    for (Map.Entry<String, OperatorStateHandle.StateMetaInfo> e : oh.getStateNameToPartitionOffsets().entrySet()) {
                        String kind = switch (e.getValue().getDistributionMode()) {
                            case UNION -> "operator-union";
                            case SPLIT_DISTRIBUTE -> "operator-split";
                            case BROADCAST -> "broadcast";
                        };
                        states.put(kind + " " + e.getKey(), serializers.getOrDefault(e.getKey(), "?"));
                    }
                }
            }
            if (!states.isEmpty()) {
                String id = op.getOperatorID().toHexString();
                out.put(id, new Operator(op.getOperatorUid().orElse(null), id, states));
            }
        }
        return out;
    }

    /** The class of the state's value serializer snapshot (for a map state, its value's; timers: the timer's). */
    private static String serializer(StateMetaInfoSnapshot s) {
        TypeSerializerSnapshot<?> v = s.getTypeSerializerSnapshot(StateMetaInfoSnapshot.CommonSerializerKeys.VALUE_SERIALIZER);
        if (v == null) {
            Map<String, TypeSerializerSnapshot<?>> all = s.getSerializerSnapshotsImmutable();
            v = all.isEmpty() ? null : all.values().iterator().next();
        }
        return v == null ? "?" : v.getClass().getName();
    }

    /** The operators as a JSON-friendly map: uid (or operator id) to its states. */
    static Map<String, Map<String, String>> byUid(Map<String, Operator> ops) {
        Map<String, Map<String, String>> out = new TreeMap<>();
        for (Operator o : ops.values()) {
            out.put(o.uid() != null ? o.uid() : o.operatorId(), o.states());
        }
        return out;
    }
}
