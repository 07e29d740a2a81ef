package io.flinkrecurrent.sql;

import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.flink.RecurrentOutput;
import io.flinkrecurrent.model.ModelLoader;
import io.flinkrecurrent.testing.FailOnce;
import io.flinkrecurrent.testing.FlinkTesting;
import io.flinkrecurrent.testing.Golden;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.BasicArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
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
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The SQL function's state is exactly-once: a query that fails mid-stream recovers from its checkpoint,
 * and a query stopped with a savepoint at parallelism 2 resumes at 1 or 3; every key's outputs are
 * those of an uninterrupted run, none missing and none repeated.
 */
class SqlRecoveryITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = FlinkTesting.miniCluster();

    static final RecurrentNetwork MODEL = ModelLoader.load(Golden.dir().resolve("public/lstm_i8_h32_l2_head3_softmax.safetensors")).network();
    static final String MODEL_PATH = Golden.dir().resolve("public/lstm_i8_h32_l2_head3_softmax.safetensors").toString();
    static final long EVENTS = 4_000;
    static final RowTypeInfo ROW = new RowTypeInfo(new TypeInformation<?>[] {Types.STRING,
            BasicArrayTypeInfo.FLOAT_ARRAY_TYPE_INFO, Types.BOOLEAN, Types.LONG}, new String[] {"k", "input", "restart", "id"});

    @TempDir
    Path dir;

    /** FlinkTesting's deterministic events as rows (k, input, restart, id), from one source task. */
    static DataStream<Row> rows(StreamExecutionEnvironment env, double perSecond, long failAt) {
        return rows(env, perSecond, failAt, EVENTS, "events");
    }

    static DataStream<Row> rows(StreamExecutionEnvironment env, double perSecond, long failAt, long count, String uid) {
        int width = MODEL.inputSize();
        DataGeneratorSource<Row> gen = new DataGeneratorSource<>(i -> {
            KeyedEvent e = FlinkTesting.event(i, width);
            Float[] x = new Float[width];
            for (int j = 0; j < width; j++) {
                x[j] = e.input[j];
            }
            return Row.of(e.key, x, e.reset, e.id);
        }, count, RateLimiterStrategy.perSecond(perSecond), ROW);
        // event time: 10 ms per row, in order
        WatermarkStrategy<Row> time = WatermarkStrategy.<Row>forMonotonousTimestamps()
                .withTimestampAssigner((r, ts) -> 10 * (Long) r.getField(3));
        DataStream<Row> s = env.fromSource(gen, time, uid).uid(uid).setParallelism(1);
        return failAt < 0 ? s : s.map(new FailOnce<Row>(failAt, r -> (Long) r.getField(3))).returns(ROW).uid("fail-once").setParallelism(1);
    }

    /**
     * The query; {@code ordered}: with {@code on_time} and a lateness of 1 s, so that at every checkpoint
     * about 100 rows wait in the keys' state for the watermark, with their timers.
     */
    static DataStream<Row> query(StreamExecutionEnvironment env, DataStream<Row> rows, boolean ordered, String lateness) {
        StreamTableEnvironment t = SqlTesting.tableEnv(env);
        t.createTemporaryView("events", t.fromDataStream(rows, Schema.newBuilder()
                .columnByMetadata("ts", DataTypes.TIMESTAMP_LTZ(3), "rowtime")
                .watermark("ts", "SOURCE_WATERMARK()")
                .build()));
        return t.toDataStream(t.sqlQuery("SELECT k, seq, output, error FROM recurrent(input => TABLE events PARTITION BY k, "
                + "model => '" + MODEL_PATH + "', reset_column => 'restart', uid => 'lstm'"
                + (ordered ? ", on_time => DESCRIPTOR(ts), lateness => " + lateness : "") + ")"));
    }

    static DataStream<Row> query(StreamExecutionEnvironment env, DataStream<Row> rows, boolean ordered) {
        return query(env, rows, ordered, "INTERVAL '1' SECOND");
    }

    static RecurrentOutput output(Row r) {
        assertEquals(null, r.getField("error"), "no error");
        return new RecurrentOutput((String) r.getField("k"), (Long) r.getField("seq"), KeyedEvent.NO_TIMESTAMP,
                KeyedEvent.NO_ID, SqlTesting.floats(r.getField("output")), null);
    }

    /** Every (key, seq) once: nothing repeated. */
    static void assertNoRepeats(List<RecurrentOutput> outs) {
        Set<String> seen = new HashSet<>();
        for (RecurrentOutput o : outs) {
            assertTrue(seen.add(o.key + "#" + o.seq), o.key + "#" + o.seq + " was emitted twice");
        }
    }

    @ParameterizedTest(name = "{0}, in event-time order: {1}")
    @CsvSource({"hashmap, false", "rocksdb, false", "hashmap, true", "rocksdb, true"})
    void failureMidStreamLosesNothingAndRepeatsNothing(String backend, boolean ordered) throws Exception {
        FailOnce.FAILURES.set(0);
        StreamExecutionEnvironment env = SqlTesting.env(2, FlinkTesting.jobConfig(backend, dir.resolve("checkpoints")));
        List<RecurrentOutput> outs = new ArrayList<>();
        try (CloseableIterator<Row> it = query(env, rows(env, 2_000, EVENTS / 2), ordered).executeAndCollect()) {
            it.forEachRemaining(r -> outs.add(output(r)));
        }
        assertEquals(1, FailOnce.FAILURES.get(), "the job failed once, after a checkpoint, and recovered");
        assertNoRepeats(outs);
        FlinkTesting.assertCompleteAndIdentical(FlinkTesting.expected(MODEL, EVENTS), outs);
    }

    @ParameterizedTest(name = "{0}: parallelism 2 -> {1}, in event-time order: {2}")
    @CsvSource({"hashmap, 1, false", "rocksdb, 3, false", "rocksdb, 1, true", "hashmap, 3, true"})
    void savepointAtTwoRestoresAtAnotherParallelism(String backend, int parallelism, boolean ordered) throws Exception {
        List<RecurrentOutput> outs = new ArrayList<>();
        StreamExecutionEnvironment env = SqlTesting.env(2, FlinkTesting.jobConfig(backend, dir.resolve("checkpoints")));
        CloseableIterator<Row> it = query(env, rows(env, 1_000, -1), ordered).collectAsync();
        JobClient job = env.executeAsync("before the savepoint");
        while (outs.size() < EVENTS / 4 && it.hasNext()) {
            outs.add(output(it.next()));
        }
        String savepoint = job.stopWithSavepoint(false, dir.resolve("savepoints").toUri().toString(),
                SavepointFormatType.CANONICAL).get(60, TimeUnit.SECONDS);
        it.forEachRemaining(r -> outs.add(output(r)));
        it.close();
        int before = outs.size();
        assertTrue(before < EVENTS, "stopped part-way (" + before + " outputs)");

        Configuration conf = FlinkTesting.jobConfig(backend, dir.resolve("checkpoints2"));
        conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        conf.set(StateRecoveryOptions.SAVEPOINT_IGNORE_UNCLAIMED_STATE, true); // the test's collect sink only
        StreamExecutionEnvironment env2 = SqlTesting.env(parallelism, conf);
        try (CloseableIterator<Row> it2 = query(env2, rows(env2, 20_000, -1), ordered).executeAndCollect()) {
            it2.forEachRemaining(r -> outs.add(output(r)));
        }
        assertTrue(outs.size() - before < EVENTS, "the resumed query continued, it did not start over");
        assertNoRepeats(outs);
        FlinkTesting.assertCompleteAndIdentical(FlinkTesting.expected(MODEL, EVENTS), outs);
    }

    /**
     * Rows that wait for the watermark when the savepoint is taken are kept with their timers: the
     * query, resumed on another source that has no rows at all (the function's {@code uid} finds its
     * state), applies them when the final watermark passes, though no row reaches the function first.
     */
    @org.junit.jupiter.api.Test
    void rowsWaitingAtASavepointAreAppliedAfterTheRestoreWithoutANewRow() throws Exception {
        StreamExecutionEnvironment env = SqlTesting.env(2, FlinkTesting.jobConfig("hashmap", dir.resolve("checkpoints")));
        // a lateness of an hour (360,000 rows of 10 ms) and a source that does not end: nothing is applied before the savepoint
        CloseableIterator<Row> it = query(env, rows(env, 2_000, -1, 1_000_000, "events"), true, "INTERVAL '1' HOUR").collectAsync();
        JobClient job = env.executeAsync("rows wait");
        Thread.sleep(300);
        while (job.getJobStatus().get() != org.apache.flink.api.common.JobStatus.RUNNING) {
            Thread.sleep(50);
        }
        Thread.sleep(1_000); // about 2,000 rows are in
        String savepoint = job.stopWithSavepoint(false, dir.resolve("savepoints").toUri().toString(),
                SavepointFormatType.CANONICAL).get(60, TimeUnit.SECONDS);
        List<RecurrentOutput> before = new ArrayList<>();
        it.forEachRemaining(r -> before.add(output(r)));
        it.close();
        assertEquals(0, before.size(), "every row was waiting when the savepoint was taken");

        Configuration conf = FlinkTesting.jobConfig("hashmap", dir.resolve("checkpoints2"));
        conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        conf.set(StateRecoveryOptions.SAVEPOINT_IGNORE_UNCLAIMED_STATE, true); // the first source's and the sink's
        StreamExecutionEnvironment env2 = SqlTesting.env(3, conf);
        List<RecurrentOutput> outs = new ArrayList<>();
        try (CloseableIterator<Row> it2 = query(env2, rows(env2, 5_000, -1, 1, "no-rows").filter(r -> false), true, "INTERVAL '1' HOUR").executeAndCollect()) {
            it2.forEachRemaining(r -> outs.add(output(r)));
        }
        // the rows came in id order, so the n waiting rows were rows 0..n-1
        long n = outs.size();
        assertTrue(n > 100, "the waiting rows were applied after the restore (" + n + ")");
        assertNoRepeats(outs);
        FlinkTesting.assertCompleteAndIdentical(FlinkTesting.expected(MODEL, n), outs);
    }
}
