package io.flinkrecurrent.anomaly.flink;

import io.flinkrecurrent.anomaly.Cause;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeutils.CompositeType;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.GenericTypeInfo;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The results' type information: a POJO of the user's event and key types, nowhere a generic (Kryo) type. */
class AnomalyResultTypeTest {

    /** Every generic type in the tree of {@code type}, by path. */
    static List<String> genericTypes(TypeInformation<?> type, String path, List<String> found) {
        if (type instanceof GenericTypeInfo<?>) {
            found.add(path + ": " + type);
        }
        if (type instanceof CompositeType<?> c) {
            for (int i = 0; i < c.getArity(); i++) {
                genericTypes(c.getTypeAt(i), path + "." + (c instanceof PojoTypeInfo<?> p ? p.getPojoFieldAt(i).getField().getName() : i),
                        found);
            }
        }
        return found;
    }

    @Test
    void theApisResultTypeIsAPojoOfTheEventAndKeyTypes() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        var in = env.fromData(TypeInformation.of(ServerReading.class), ServerReading.servers(1).toArray(new ServerReading[0]));
        TypeInformation<AnomalyResult<ServerReading, String>> byHost = AnomalyDetection
                .keyBy(ServerReading::host).metric(r -> r.cpu).apply(in).getType();
        TypeInformation<AnomalyResult<ServerReading, Long>> byTime = AnomalyDetection
                .keyBy((ServerReading r) -> r.time, Types.LONG).metric(r -> r.cpu).apply(in).getType();

        for (TypeInformation<?> t : List.of(byHost, byTime)) {
            PojoTypeInfo<?> pojo = assertInstanceOf(PojoTypeInfo.class, t);
            assertEquals(List.of(), genericTypes(t, "result", new ArrayList<>()));
            assertEquals(TypeInformation.of(ServerReading.class), pojo.getTypeAt("event"));
            assertEquals(Types.ENUM(Cause.class), pojo.getTypeAt("cause"));
        }
        assertEquals(Types.STRING, ((PojoTypeInfo<?>) byHost).getTypeAt("key"));
        assertEquals(Types.LONG, ((PojoTypeInfo<?>) byTime).getTypeAt("key"));
        assertEquals(AnomalyResult.type(TypeInformation.of(ServerReading.class), Types.STRING), byHost);
    }

    @Test
    void serializesWithGenericTypesDisabled() throws Exception {
        SerializerConfigImpl config = new SerializerConfigImpl();
        config.setGenericTypes(false);
        TypeSerializer<AnomalyResult<ServerReading, String>> serializer =
                AnomalyResult.type(TypeInformation.of(ServerReading.class), Types.STRING).createSerializer(config);
        ServerReading reading = ServerReading.servers(1).get(2);
        for (AnomalyResult<ServerReading, String> r : List.of(
                new AnomalyResult<>(reading, "db-1", 0.97f, Cause.RANGE, 2, "disk", 3.5f, true),
                new AnomalyResult<>(reading, "db-1", 0.5f, Cause.NONE, -1, null, 0.25f, false))) {
            DataOutputSerializer out = new DataOutputSerializer(64);
            serializer.serialize(r, out);
            assertEquals(r, serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer())));
        }
        // the same class through reflection alone would need Kryo for its event and key
        TypeInformation<?> reflected = TypeInformation.of(AnomalyResult.class);
        assertTrue(!genericTypes(reflected, "result", new ArrayList<>()).isEmpty(), reflected.toString());
        assertThrows(UnsupportedOperationException.class, () -> reflected.createSerializer(config));
    }
}
