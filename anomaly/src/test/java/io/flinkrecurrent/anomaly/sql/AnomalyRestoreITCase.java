package io.flinkrecurrent.anomaly.sql;

import io.flinkrecurrent.anomaly.DetectorParams;
import io.flinkrecurrent.anomaly.Forecasters;
import io.flinkrecurrent.anomaly.VectorDetector;
import io.flinkrecurrent.testing.FlinkTesting;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Rows waiting for the watermark when a savepoint is taken are scored after the restore, though no row
 * reaches the function first: its timers find the call (the detector, its metrics' names, the threshold)
 * in the key's state ({@link AnomalyCall#encode()}), and the scores, causes and metrics are those of the
 * vector detector stepped directly over the rows.
 */
class AnomalyRestoreITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = FlinkTesting.miniCluster();
    /** Two hosts, each two NAB files of 4,032 rows as its cpu and mem. */
    static final String[][] HOSTS = {
            {"host-a", "realAWSCloudwatch/ec2_cpu_utilization_24ae8d", "realAWSCloudwatch/ec2_cpu_utilization_53ea38"},
            {"host-b", "artificialWithAnomaly/art_daily_jumpsup", "realAWSCloudwatch/ec2_network_in_257a54"}};
    static final int ROWS = 4_032;

    @TempDir
    Path dir;

    /** Row i: host i % 2, its row i / 2 (cpu, mem), at i / 2 seconds. */
    static final class HostRows implements GeneratorFunction<Long, Row> {
        private static final long serialVersionUID = 1L;
        private transient double[][][] values;

        @Override
        public void open(SourceReaderContext context) throws Exception {
            values = new double[HOSTS.length][2][];
            for (int h = 0; h < HOSTS.length; h++) {
                for (int m = 0; m < 2; m++) {
                    Series s = Series.read(Series.NAB.resolve(HOSTS[h][1 + m] + ".csv.gz"));
                    values[h][m] = new double[s.rows()];
                    for (int r = 0; r < s.rows(); r++) {
                        values[h][m][r] = s.values()[r][0];
                    }
                }
            }
        }

        @Override
        public Row map(Long i) {
            int h = (int) (i % 2);
            int r = (int) (i / 2);
            return Row.of(HOSTS[h][0], 1_000L * r, values[h][0][r], values[h][1][r]);
        }
    }

    static DataStream<Row> query(StreamExecutionEnvironment env, DataStream<Row> rows) {
        StreamTableEnvironment t = StreamTableEnvironment.create(env);
        t.createTemporarySystemFunction(AnomalyFunction.NAME, AnomalyFunction.class);
        t.createTemporaryView("hosts", t.fromDataStream(rows, Schema.newBuilder()
                .columnByMetadata("ts", DataTypes.TIMESTAMP_LTZ(3), "rowtime")
                .watermark("ts", "SOURCE_WATERMARK()")
                .build()));
        return t.toDataStream(t.sqlQuery("SELECT * FROM anomaly(input => TABLE hosts PARTITION BY k, features => DESCRIPTOR(cpu, mem), "
                + "threshold => 0.6e0, on_time => DESCRIPTOR(ts), lateness => INTERVAL '1' HOUR, uid => 'hosts')"));
    }

    static DataStream<Row> rows(StreamExecutionEnvironment env, double perSecond, String uid) {
        DataGeneratorSource<Row> gen = new DataGeneratorSource<>(new HostRows(), 2L * ROWS, RateLimiterStrategy.perSecond(perSecond),
                CorpusRows.type(List.of("cpu", "mem")));
        return env.fromSource(gen, WatermarkStrategy.<Row>forMonotonousTimestamps().withTimestampAssigner((r, ts) -> (Long) r.getField(1)), uid)
                .uid(uid).setParallelism(1);
    }

    static StreamExecutionEnvironment env(int parallelism, Configuration conf) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(parallelism);
        return env;
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void rowsWaitingAtASavepointAreScoredAfterTheRestoreWithoutANewRow() throws Exception {
        StreamExecutionEnvironment env = env(2, FlinkTesting.jobConfig("hashmap", dir.resolve("checkpoints")));
        // a lateness of an hour (3,600 rows of a host): nothing is scored before the savepoint
        CloseableIterator<Row> it = query(env, rows(env, 1_000, "host-rows")).collectAsync();
        JobClient job = env.executeAsync("rows wait");
        for (JobStatus status = job.getJobStatus().get(); status != JobStatus.RUNNING; status = job.getJobStatus().get()) {
            if (status.isTerminalState()) {
                job.getJobExecutionResult().get(); // its failure
            }
            Thread.sleep(50);
        }
        Thread.sleep(3_000); // some hundreds of rows are in (the rate limiter starts slowly)
        String savepoint = job.stopWithSavepoint(false, dir.resolve("savepoints").toUri().toString(),
                SavepointFormatType.CANONICAL).get(60, TimeUnit.SECONDS);
        List<Row> before = new ArrayList<>();
        it.forEachRemaining(before::add);
        it.close();
        assertEquals(List.of(), before, "every row was waiting when the savepoint was taken");

        Configuration conf = FlinkTesting.jobConfig("hashmap", dir.resolve("checkpoints2"));
        conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        conf.set(StateRecoveryOptions.SAVEPOINT_IGNORE_UNCLAIMED_STATE, true); // the first source's and the sink's
        StreamExecutionEnvironment env2 = env(3, conf);
        List<Row> out = new ArrayList<>();
        try (CloseableIterator<Row> it2 = query(env2, rows(env2, 1_000, "no-rows").filter(r -> false)).executeAndCollect()) {
            it2.forEachRemaining(out::add);
        }
        Map<String, List<String>> got = AnomalyFunctionITCase.byKey(out);
        assertEquals(2, got.size(), "both hosts had rows waiting");
        VectorDetector vector = new VectorDetector(Forecasters.bundled(), DetectorParams.COMPACT, 2);
        for (String[] host : HOSTS) {
            // the rows came in time order, so a host's n waiting rows were its rows 0..n-1
            int n = got.get(host[0]).size();
            assertTrue(n > 50, host[0] + ": its waiting rows were scored after the restore (" + n + ")");
            Series cpu = Series.read(Series.NAB.resolve(host[1] + ".csv.gz"));
            Series mem = Series.read(Series.NAB.resolve(host[2] + ".csv.gz"));
            double[][] values = new double[n][];
            for (int r = 0; r < n; r++) {
                values[r] = new double[] {cpu.values()[r][0], mem.values()[r][0]};
            }
            Series rows = new Series(host[0], java.util.Arrays.copyOf(cpu.times(), n), values);
            assertEquals(AnomalyFunctionITCase.direct(vector, List.of(rows), List.of("cpu", "mem"), 0.6f).get(host[0]), got.get(host[0]),
                    host[0]);
        }
    }
}
