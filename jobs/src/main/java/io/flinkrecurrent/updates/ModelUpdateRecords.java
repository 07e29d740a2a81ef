package io.flinkrecurrent.updates;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flinkrecurrent.flink.ModelReference;
import io.flinkrecurrent.flink.ModelUpdate;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Model updates as JSON records of a Kafka topic:
 * {@code {"model": "s3://models/r2.safetensors", "sha256": "...", "version": "r2", "policy": "warm_up",
 * "warm_up": 20, "kind": "swap"}}. Only {@code model} is required: {@code kind} is swap (or shadow,
 * promote, stop_shadow, which need no model), {@code policy} reset, {@code version} the file's name
 * without its extension, and without {@code sha256} the source hashes the file as it reads the record.
 *
 * <p>A record that cannot be used is not dropped: it becomes an update without a kind, which every
 * subtask refuses onto the operator's {@code UPDATE_REJECTED} output with the record's partition,
 * offset and what is wrong, and the job goes on.
 */
public final class ModelUpdateRecords implements KafkaRecordDeserializationSchema<ModelUpdate> {
    private static final long serialVersionUID = 1L;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<ModelUpdate> out) {
        String where = "partition " + record.partition() + " offset " + record.offset();
        String text = record.value() == null ? "" : new String(record.value(), StandardCharsets.UTF_8);
        try {
            out.collect(parse(text));
        } catch (IllegalArgumentException e) {
            ModelUpdate bad = new ModelUpdate();
            bad.kind = null;
            bad.version = "the record at " + where + " is not a model update: " + e.getMessage();
            out.collect(bad);
        }
    }

    /** One record's update; throws naming the field at fault. */
    static ModelUpdate parse(String text) {
        JsonNode n;
        try {
            n = JSON.readTree(text);
        } catch (Exception e) {
            throw new IllegalArgumentException("not JSON");
        }
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        ModelUpdate u = new ModelUpdate();
        u.kind = enumOf(ModelUpdate.Kind.class, n, "kind", ModelUpdate.Kind.SWAP);
        if (u.kind == ModelUpdate.Kind.PROMOTE || u.kind == ModelUpdate.Kind.STOP_SHADOW) {
            return u.kind == ModelUpdate.Kind.PROMOTE ? ModelUpdate.promote() : ModelUpdate.stopShadow();
        }
        if (!n.path("model").isTextual() || n.get("model").asText().isBlank()) {
            throw new IllegalArgumentException("field 'model' (the file's path or URI) is missing");
        }
        u.reference = n.get("model").asText();
        u.policy = enumOf(ModelUpdate.Policy.class, n, "policy", ModelUpdate.Policy.RESET);
        if (n.has("warm_up")) {
            if (!n.get("warm_up").canConvertToInt() || n.get("warm_up").asInt() < 1) {
                throw new IllegalArgumentException("field 'warm_up' must be a positive integer");
            }
            u.warmUp = n.get("warm_up").asInt();
        }
        u.version = n.path("version").isTextual() ? n.get("version").asText() : ModelUpdate.versionOf(u.reference);
        try {
            u.sha256 = n.path("sha256").isTextual() ? n.get("sha256").asText() : ModelReference.sha256(u.reference);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
        return u;
    }

    private static <E extends Enum<E>> E enumOf(Class<E> type, JsonNode n, String field, E dflt) {
        if (!n.has(field)) {
            return dflt;
        }
        try {
            return Enum.valueOf(type, n.get(field).asText().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("field '" + field + "' is '" + n.get(field).asText() + "', not one of "
                    + java.util.Arrays.toString(type.getEnumConstants()).toLowerCase(Locale.ROOT));
        }
    }

    @Override
    public TypeInformation<ModelUpdate> getProducedType() {
        return TypeInformation.of(ModelUpdate.class);
    }
}
