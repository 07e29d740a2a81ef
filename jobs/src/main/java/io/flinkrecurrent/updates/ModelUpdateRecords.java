package io.flinkrecurrent.updates;

import io.flinkrecurrent.flink.ModelUpdate;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.nio.charset.StandardCharsets;

/**
 * Model updates as JSON records of a Kafka topic, read by {@link ModelUpdateJson}. A record that cannot
 * be used is not dropped: it becomes an {@link UnusableUpdate} with the record's partition and offset and
 * the reason, which every subtask refuses onto the operator's {@code UPDATE_REJECTED} output; the job
 * goes on.
 */
public final class ModelUpdateRecords implements KafkaRecordDeserializationSchema<ModelUpdate> {
    private static final long serialVersionUID = 1L;

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<ModelUpdate> out) {
        String text = record.value() == null ? "" : new String(record.value(), StandardCharsets.UTF_8);
        out.collect(ModelUpdateJson.decodeOrUnusable(text, "partition " + record.partition() + " offset " + record.offset()));
    }

    @Override
    public TypeInformation<ModelUpdate> getProducedType() {
        return TypeInformation.of(ModelUpdate.class);
    }
}
