package io.flinkrecurrent.sql;

import com.fasterxml.jackson.databind.JsonNode;
import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.flink.Recurrent;
import io.flinkrecurrent.flink.RecurrentOutput;
import io.flinkrecurrent.testing.FlinkTesting;
import io.flinkrecurrent.testing.Golden;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Every golden model through SQL: PyTorch's outputs to 1e-5, and bit for bit the outputs of the
 * DataStream operator on the same events, at parallelism 2.
 */
class SqlGoldenITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = FlinkTesting.miniCluster();

    /** Every golden model, safetensors and ONNX. */
    static List<Path> models() {
        return Golden.allModels();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void sqlGivesPyTorchsOutputsAndTheOperatorsExactly(Path model) throws Exception {
        List<JsonNode> lines = Golden.lines(Golden.stream(model));
        StreamExecutionEnvironment sqlEnv = StreamExecutionEnvironment.getExecutionEnvironment(FlinkTesting.jobConfig("hashmap", null));
        sqlEnv.setParallelism(2);
        StreamTableEnvironment t = SqlTesting.tableEnv(sqlEnv);
        t.createTemporaryView("events", SqlTesting.goldenTable(t, sqlEnv, lines));
        List<Row> rows = SqlTesting.collect(t.executeSql("SELECT * FROM recurrent("
                + "input => TABLE events PARTITION BY k, model => '" + model + "', reset_column => 'restart', uid => 'golden')"));
        assertEquals(lines.size(), rows.size(), "one output row per input row");

        Map<String, float[]> sql = new HashMap<>();
        for (Row r : rows) {
            assertNull(r.getField("error"), "no error: " + r);
            assertEquals(List.of("k", "seq", "output", "error"), List.copyOf(r.getFieldNames(true)));
            sql.put(r.getField("k") + "/" + r.getField("seq"), SqlTesting.floats(r.getField("output")));
        }
        for (JsonNode g : lines) {
            float[] y = sql.get(g.get("key").asText() + "/" + g.get("seq").asLong());
            assertNotNull(y, "an output for " + g.get("key") + " seq " + g.get("seq"));
            Golden.assertClose(g.get("expected_output"), y, g.get("key") + " seq " + g.get("seq"));
        }

        RecurrentNetwork net = io.flinkrecurrent.model.ModelFiles.load(model).network();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(FlinkTesting.jobConfig("hashmap", null));
        env.setParallelism(2);
        List<KeyedEvent> events = Golden.events(lines);
        int n = 0;
        try (CloseableIterator<RecurrentOutput> it = Recurrent.builder(net).name("golden")
                .apply(env.fromData(TypeInformation.of(KeyedEvent.class), events.toArray(new KeyedEvent[0]))).executeAndCollect()) {
            while (it.hasNext()) {
                RecurrentOutput o = it.next();
                assertArrayEquals(o.output, sql.get(o.key + "/" + o.seq), "SQL equals the DataStream operator, " + o.key + " seq " + o.seq);
                n++;
            }
        }
        assertEquals(lines.size(), n);
    }
}
