package io.flinkrecurrent.savepoint;

import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.sql.RecurrentFunction;
import io.flinkrecurrent.testing.FlinkTesting;
import io.flinkrecurrent.testing.Gates;
import io.flinkrecurrent.testing.Golden;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.BasicArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The SQL function's state (a Process Table Function's map state {@code recurrent}, keyed by the
 * PARTITION BY row) read from a savepoint taken mid-stream, with the keys' types as the savepoint records
 * them: every key's state bit for bit the plain engine's; with {@code on_time}, the waiting rows' count
 * and times are exactly the key's rows after its applied ones.
 */
class SqlInspectITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = FlinkTesting.miniCluster();

    static final String MODEL_PATH = Golden.dir().resolve("public/lstm_i8_h32_l2_head3_softmax.safetensors").toString();
    static final long EVENTS = 3_000;
    static final long HOLD_AT = 1_200;
    static final RowTypeInfo ROW = new RowTypeInfo(new TypeInformation<?>[] {Types.STRING,
            BasicArrayTypeInfo.FLOAT_ARRAY_TYPE_INFO, Types.BOOLEAN, Types.LONG}, new String[] {"k", "input", "restart", "id"});

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}, in event-time order: {1}")
    @CsvSource({"hashmap, false", "rocksdb, true"})
    void theSqlFunctionsKeysAsThePlainEngineHasThem(String backend, boolean ordered) throws Exception {
        Gates.reset();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(FlinkTesting.jobConfig(backend, null));
        env.setParallelism(2);
        int width = InspectITCase.MODEL.inputSize();
        DataGeneratorSource<Row> gen = new DataGeneratorSource<>(i -> {
            KeyedEvent e = FlinkTesting.event(i, width);
            Float[] x = new Float[width];
            for (int j = 0; j < width; j++) {
                x[j] = e.input[j];
            }
            return Row.of(e.key, x, e.reset, e.id);
        }, EVENTS, Gates.holdAt(new long[] {HOLD_AT}, new String[] {"hold"}), ROW);
        DataStream<Row> rows = env.fromSource(gen, WatermarkStrategy.<Row>forMonotonousTimestamps()
                .withTimestampAssigner((r, ts) -> 1_000 + (Long) r.getField(3)), "rows").uid("rows").setParallelism(1);
        StreamTableEnvironment t = StreamTableEnvironment.create(env);
        t.createTemporarySystemFunction(RecurrentFunction.NAME, RecurrentFunction.class);
        t.createTemporaryView("events", t.fromDataStream(rows, Schema.newBuilder()
                .columnByMetadata("ts", DataTypes.TIMESTAMP_LTZ(3), "rowtime")
                .watermark("ts", "SOURCE_WATERMARK()").build()));
        DataStream<Row> out = t.toDataStream(t.sqlQuery("SELECT k, seq, output, error FROM recurrent(input => TABLE events PARTITION BY k, "
                + "model => '" + MODEL_PATH + "', reset_column => 'restart', uid => 'sensor-sql'"
                + (ordered ? ", on_time => DESCRIPTOR(ts), lateness => INTERVAL '0.05' SECOND" : "") + ")"));
        CloseableIterator<Row> it = out.collectAsync();
        JobClient job = env.executeAsync("sql before the savepoint");
        long n = 0;
        while (n < (ordered ? HOLD_AT - 60 : HOLD_AT) && it.hasNext()) {
            it.next();
            n++;
        }
        Thread.sleep(500);
        String savepoint = job.stopWithSavepoint(false, dir.resolve("savepoints").toUri().toString(), SavepointFormatType.CANONICAL)
                .get(60, TimeUnit.SECONDS);
        it.close();

        SavepointContents contents = SavepointInspection.open(savepoint).contents();
        SavepointContents.Operator op = contents.recurrent("sensor-sql");
        assertTrue(op.isSqlFunction(), op.describe());
        assertTrue(op.keyedStates().containsAll(List.of(OperatorStateLayout.SQL_KEY_STATE, OperatorStateLayout.SQL_WAITING,
                OperatorStateLayout.SQL_WAITING_ROWS)), "the SQL function's state names: " + op.describe());
        List<InspectedKey> keys = SavepointInspection.read(savepoint, "sensor-sql"); // the key type as recorded: the PARTITION BY row
        Map<String, List<KeyedEvent>> events = InspectITCase.eventsByKey(HOLD_AT);
        Map<String, InspectedKey> got = new TreeMap<>();
        keys.forEach(k -> got.put(k.key, k));
        assertEquals(events.keySet(), got.keySet(), "every key, rendered from its PARTITION BY row");
        long applied = 0;
        for (Map.Entry<String, List<KeyedEvent>> e : events.entrySet()) {
            InspectedKey k = got.get(e.getKey());
            List<KeyedEvent> es = e.getValue();
            int done = (int) k.seq;
            if (!ordered) {
                assertEquals(es.size(), done, e.getKey());
            }
            Object[] p = InspectITCase.plain(es, done);
            assertArrayEquals(InspectITCase.bits((float[]) p[0]), InspectITCase.bits(k.state), e.getKey() + ": state, bit for bit");
            assertEquals((long) p[1], k.sinceReset, e.getKey());
            assertEquals(InspectITCase.MODEL.fingerprint(), k.fingerprint);
            long[] waitingTimes = es.subList(done, es.size()).stream().mapToLong(x -> 1_000 + x.id).toArray();
            assertEquals(waitingTimes.length, k.pendingCount, e.getKey() + ": rows waiting for the watermark");
            assertArrayEquals(waitingTimes, k.pendingTimes, e.getKey() + ": their times");
            applied += done;
        }
        if (ordered) {
            assertTrue(applied < HOLD_AT && applied > 0, "some rows waiting at the savepoint: " + applied + " applied");
        }
    }
}
