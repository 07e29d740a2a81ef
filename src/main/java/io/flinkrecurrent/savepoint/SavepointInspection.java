package io.flinkrecurrent.savepoint;

import io.flinkrecurrent.annotation.PublicEvolving;
import io.flinkrecurrent.flink.SwapRecord;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.base.ListSerializer;
import org.apache.flink.api.common.typeutils.base.MapSerializer;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.state.api.OperatorIdentifier;
import org.apache.flink.state.api.SavepointReader;
import org.apache.flink.state.api.input.KeyedStateInputFormat;
import org.apache.flink.state.api.input.SourceBuilder;
import org.apache.flink.state.api.runtime.MutableConfig;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a recurrent operator's state from a savepoint or retained checkpoint, by the operator's uid:
 * every key's {@link InspectedKey} (its counters, times, model fingerprint, state, shadow, kept inputs,
 * events waiting in the ordering buffer or for a first model), and for a swappable operator the model
 * generations its broadcast state records ({@link ModelGeneration}). Works on savepoints of the hashmap
 * and RocksDB backends (canonical and native) and on the SQL function's state.
 *
 * <pre>{@code
 * // all keys, their type as the savepoint records it
 * List<InspectedKey> keys = SavepointInspection.read("file:///savepoints/savepoint-1a2b", "sensor-rnn");
 * // typed keys
 * Map<Long, InspectedKey> byDevice = SavepointInspection.read(path, "sensor-rnn", Types.LONG);
 * // or as a DataStream in a job of your own
 * DataStream<InspectedKey> s = SavepointInspection.open(path).keys(env, "sensor-rnn");
 * }</pre>
 *
 * A uid the savepoint does not hold, or an operator that is not a recurrent one, is an
 * {@link IllegalArgumentException} naming the savepoint's operators (uids, ids, state names).
 */
@PublicEvolving
public final class SavepointInspection {
    private final SavepointContents contents;

    private SavepointInspection(SavepointContents contents) {
        this.contents = contents;
    }

    /** Reads the savepoint's metadata (not its state yet). */
    public static SavepointInspection open(String path) throws IOException {
        return new SavepointInspection(SavepointContents.load(path));
    }

    public SavepointContents contents() {
        return contents;
    }

    /** Every key of the recurrent operator {@code uid}, the key type as the savepoint records it. */
    public DataStream<InspectedKey> keys(StreamExecutionEnvironment env, String uid) throws IOException {
        SavepointContents.Operator op = contents.recurrent(uid);
        @SuppressWarnings("unchecked") TypeSerializer<Object> ks = (TypeSerializer<Object>) op.keySerializer();
        if (ks == null) {
            throw new IllegalArgumentException(contents.path() + ": the operator with uid '" + uid + "' holds no keyed state");
        }
        return keys(env, uid, new SerializerTypeInfo<>(ks));
    }

    /** Every key of the recurrent operator {@code uid}, its keys of type {@code keyType} (the job's key type). */
    public <K> DataStream<InspectedKey> keys(StreamExecutionEnvironment env, String uid, TypeInformation<K> keyType)
            throws IOException {
        SavepointContents.Operator op = contents.recurrent(uid);
        RecurrentStateReader.Spec spec = spec(op);
        KeyedStateInputFormat<K, VoidNamespace, InspectedKey> format = new KeyedStateInputFormat<>(op.state(), null,
                MutableConfig.of(env.getConfiguration()), new RecurrentStateReader<>(keyType, spec), env.getConfig());
        return SourceBuilder.fromFormat(env, format, TypeInformation.of(InspectedKey.class)).name("savepoint " + uid);
    }

    /** What to read, from the operator's state names and the serializers the savepoint records. */
    static RecurrentStateReader.Spec spec(SavepointContents.Operator op) {
        RecurrentStateReader.Spec s = new RecurrentStateReader.Spec();
        var names = op.keyedStates();
        s.sql = op.isSqlFunction();
        String main = s.sql ? OperatorStateLayout.SQL_KEY_STATE : OperatorStateLayout.KEY_STATE;
        TypeSerializer<?> v = op.valueSerializer(main);
        s.ttl = v != null && org.apache.flink.runtime.state.ttl.TtlStateFactory.TtlSerializer.isTtlStateSerializer(v);
        if (s.sql) {
            // a map state's snapshot records one MapSerializer (user key and value)
            MapSerializer<?, ?> m = (MapSerializer<?, ?>) unTtl(v);
            s.ttl = org.apache.flink.runtime.state.ttl.TtlStateFactory.TtlSerializer.isTtlStateSerializer(m.getValueSerializer());
            s.sqlMapKey = m.getKeySerializer();
            s.sqlMapValue = unTtl(m.getValueSerializer());
            if (names.contains(OperatorStateLayout.SQL_WAITING) && names.contains(OperatorStateLayout.SQL_WAITING_ROWS)) {
                s.sqlWaiting = unTtl(op.valueSerializer(OperatorStateLayout.SQL_WAITING));
                MapSerializer<?, ?> w = (MapSerializer<?, ?>) unTtl(op.valueSerializer(OperatorStateLayout.SQL_WAITING_ROWS));
                s.sqlWaitingRowsKey = w.getKeySerializer();
                s.sqlWaitingRowsValue = unTtl(w.getValueSerializer());
            }
        }
        s.shadow = names.contains(OperatorStateLayout.SHADOW_STATE);
        s.keptInputs = names.contains(OperatorStateLayout.RECENT_INPUTS);
        s.keptInputsBehind = names.contains(OperatorStateLayout.KEPT_INPUTS);
        s.ordered = names.contains(OperatorStateLayout.PENDING_TIMES);
        if (names.contains(OperatorStateLayout.PENDING)) {
            s.pendingEvents = elements(op.valueSerializer(OperatorStateLayout.PENDING));
        }
        s.awaiting = names.contains(OperatorStateLayout.AWAITING);
        if (s.awaiting) {
            s.awaitingEvents = elements(op.valueSerializer(OperatorStateLayout.AWAITING));
        }
        s.idleTimers = op.timerServices().contains(OperatorStateLayout.IDLE_TIMERS);
        return s;
    }

    private static TypeSerializer<?> elements(TypeSerializer<?> list) {
        list = unTtl(list);
        return list instanceof ListSerializer<?> l ? l.getElementSerializer() : null;
    }

    /** The value serializer inside a TTL state's wrapper (the reader's descriptor adds the wrapper again). */
    private static TypeSerializer<?> unTtl(TypeSerializer<?> s) {
        if (s != null && org.apache.flink.runtime.state.ttl.TtlStateFactory.TtlSerializer.isTtlStateSerializer(s)) {
            try {
                // CompositeSerializer's fields: [timestamp, value]; the accessor is package-private in Flink
                java.lang.reflect.Field f = org.apache.flink.api.common.typeutils.CompositeSerializer.class.getDeclaredField("fieldSerializers");
                f.setAccessible(true);
                return ((TypeSerializer<?>[]) f.get(s))[1];
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot unwrap the TTL serializer " + s, e);
            }
        }
        return s;
    }

    /** The model generations of a swappable operator's broadcast state {@code recurrent-models}; empty for a fixed model. */
    public List<ModelGeneration> models(StreamExecutionEnvironment env, String uid) throws Exception {
        SavepointContents.Operator op = contents.recurrent(uid);
        List<ModelGeneration> out = new ArrayList<>();
        if (!op.operatorStates().contains(OperatorStateLayout.MODELS)) {
            return out;
        }
        SavepointReader reader = SavepointReader.read(env, contents.path());
        DataStream<Tuple2<Long, SwapRecord>> s = reader.readBroadcastState(OperatorIdentifier.forUid(uid),
                OperatorStateLayout.MODELS, OperatorStateLayout.MODELS_KEY, OperatorStateLayout.MODELS_VALUE);
        Map<Long, ModelGeneration> byGen = new java.util.TreeMap<>();
        try (CloseableIterator<Tuple2<Long, SwapRecord>> it = s.executeAndCollect("read " + OperatorStateLayout.MODELS)) {
            it.forEachRemaining(t -> byGen.putIfAbsent(t.f0, ModelGeneration.of(t.f1)));
        }
        out.addAll(byGen.values());
        return out;
    }

    /** A local environment for reading: batch mode, no Kryo, the backend the savepoint's format needs. */
    public static StreamExecutionEnvironment localEnvironment(SavepointContents contents, String uid) {
        Configuration c = new Configuration();
        c.set(ExecutionOptions.RUNTIME_MODE, RuntimeExecutionMode.BATCH);
        c.set(PipelineOptions.GENERIC_TYPES, false);
        SavepointContents.Operator op = contents.byUid(uid);
        if (op != null && op.nativeFormat()) {
            c.set(StateBackendOptions.STATE_BACKEND, "rocksdb"); // native files are RocksDB's (ForSt: set it in the env)
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(c);
        env.setParallelism(1);
        return env;
    }

    /** Every key of operator {@code uid} in the savepoint at {@code path}, read on a local environment. */
    public static List<InspectedKey> read(String path, String uid) throws Exception {
        SavepointInspection i = open(path);
        StreamExecutionEnvironment env = localEnvironment(i.contents, uid);
        return collect(i.keys(env, uid));
    }

    /** Every key of operator {@code uid}, by its key (of the job's key type). */
    public static <K> Map<K, InspectedKey> read(String path, String uid, TypeInformation<K> keyType) throws Exception {
        SavepointInspection i = open(path);
        StreamExecutionEnvironment env = localEnvironment(i.contents, uid);
        TypeSerializer<K> ser = keyType.createSerializer(env.getConfig().getSerializerConfig());
        Map<K, InspectedKey> out = new LinkedHashMap<>();
        for (InspectedKey k : collect(i.keys(env, uid, keyType))) {
            out.put(k.key(ser), k);
        }
        return out;
    }

    static List<InspectedKey> collect(DataStream<InspectedKey> s) throws Exception {
        List<InspectedKey> out = new ArrayList<>();
        try (CloseableIterator<InspectedKey> it = s.executeAndCollect("savepoint inspection")) {
            it.forEachRemaining(out::add);
        }
        out.sort(java.util.Comparator.comparing((InspectedKey k) -> k.key));
        return out;
    }
}
