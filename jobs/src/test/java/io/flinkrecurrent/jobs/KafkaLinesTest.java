package io.flinkrecurrent.jobs;

import io.flinkrecurrent.io.NumberedLine;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A Kafka record keeps its partition and offset, so a rejection names where it is, not "line 0". */
class KafkaLinesTest {
    @Test
    void recordsCarryPartitionAndOffset() {
        List<NumberedLine> out = new ArrayList<>();
        new JobSources.KafkaLines().deserialize(new ConsumerRecord<>("symbols", 3, 1200L, null,
                "not json".getBytes(StandardCharsets.UTF_8)), new org.apache.flink.api.common.functions.util.ListCollector<>(out));
        assertEquals(1, out.size());
        NumberedLine l = out.get(0);
        assertEquals(3, l.partition);
        assertEquals(1200L, l.line);
        assertEquals("partition 3 offset 1200", l.where());
        assertEquals("line 7", new NumberedLine(7, "x").where());
    }
}
