package io.flinkrecurrent.anomaly.sql;

import io.flinkrecurrent.anomaly.flink.AnomalyDetection;
import io.flinkrecurrent.anomaly.flink.AnomalyResult;
import io.flinkrecurrent.testing.FlinkTesting;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The SQL function and the typed DataStream API ({@link AnomalyDetection}) give the same results on the
 * same rows: every file of a corpus as a key, its rows from one source task (the files' rows interleaved),
 * both at parallelism 2 with their defaults; each key's scores, causes, metrics and alerts are equal, row by
 * row. NAB's artificial files with anomalies (one metric) and the ASD servers of the multivariate
 * development corpus (19).
 */
class SqlAndTypedApiITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = FlinkTesting.miniCluster();

    static Path corpus(String name) {
        return name.equals("nab") ? Series.NAB.resolve("artificialWithAnomaly") : Series.shared("anomaly-mv-dev").resolve("data/asd");
    }

    static StreamExecutionEnvironment env() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(FlinkTesting.jobConfig("hashmap", null));
        env.setParallelism(2);
        return env;
    }

    static DataStream<Row> rows(StreamExecutionEnvironment env, Path dir, List<Series> files, RowTypeInfo type) {
        long rows = files.stream().mapToLong(Series::rows).sum();
        return env.fromSource(new DataGeneratorSource<>(new CorpusRows(dir), rows, type), WatermarkStrategy.noWatermarks(), "corpus")
                .setParallelism(1);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"nab, 6, 1", "asd, 6, 19"})
    void theSqlFunctionScoresAsTheTypedApi(String name, int files, int width) throws Exception {
        Path dir = corpus(name);
        List<Series> corpus = Series.corpus(dir);
        assertEquals(files, corpus.size());
        List<String> metrics = new ArrayList<>();
        for (int m = 1; m <= width; m++) {
            metrics.add(width == 1 ? "value" : String.format("m%02d", m));
        }
        RowTypeInfo type = CorpusRows.type(metrics);

        StreamExecutionEnvironment env = env();
        StreamTableEnvironment t = StreamTableEnvironment.create(env);
        t.createTemporarySystemFunction(AnomalyFunction.NAME, AnomalyFunction.class);
        t.createTemporaryView("corpus", t.fromDataStream(rows(env, dir, corpus, type)));
        List<Row> sql = new ArrayList<>();
        try (CloseableIterator<Row> it = t.sqlQuery("SELECT * FROM anomaly(input => TABLE corpus PARTITION BY k, features => DESCRIPTOR("
                + metrics.stream().map(m -> "`" + m + "`").reduce((a, b) -> a + ", " + b).orElseThrow() + "))").execute().collect()) {
            it.forEachRemaining(sql::add);
        }

        StreamExecutionEnvironment env2 = env();
        DataStream<AnomalyResult<Row, String>> typed = AnomalyDetection.<Row, String>keyBy(r -> (String) r.getField(0), Types.STRING)
                .metrics(width, (x, r) -> {
                    for (int m = 0; m < x.length; m++) {
                        x[m] = ((Double) r.getField(2 + m)).floatValue();
                    }
                })
                .metricNames(metrics.toArray(new String[0]))
                .apply(rows(env2, dir, corpus, type));
        Map<String, List<String>> api = new TreeMap<>();
        try (CloseableIterator<AnomalyResult<Row, String>> it = typed.executeAndCollect()) {
            it.forEachRemaining(r -> api.computeIfAbsent(r.key, k -> new ArrayList<>())
                    .add(r.score + " " + r.cause.label() + " " + r.metricName + " " + r.alert + " null"));
        }

        assertEquals(corpus.stream().mapToLong(Series::rows).sum(), sql.size(), "a row per row");
        Map<String, List<String>> bySql = AnomalyFunctionITCase.byKey(sql);
        for (Series s : corpus) {
            assertEquals(api.get(s.name()), bySql.get(s.name()), s.name());
        }
        assertTrue(bySql.values().stream().flatMap(List::stream).anyMatch(l -> l.contains(" true ")), "some rows alert");
    }
}
