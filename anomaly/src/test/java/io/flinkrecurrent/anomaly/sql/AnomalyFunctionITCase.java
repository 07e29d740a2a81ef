package io.flinkrecurrent.anomaly.sql;

import io.flinkrecurrent.anomaly.AnomalyDetector;
import io.flinkrecurrent.anomaly.Cause;
import io.flinkrecurrent.anomaly.DetectorModels;
import io.flinkrecurrent.anomaly.Combination;
import io.flinkrecurrent.anomaly.DetectorParams;
import io.flinkrecurrent.anomaly.Forecasters;
import io.flinkrecurrent.anomaly.VectorDetector;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.Scratch;
import io.flinkrecurrent.testing.FlinkTesting;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code anomaly} SQL function: its scores are the detector's stepped directly per key, over every
 * file of NAB (one metric) and every ASD server of the multivariate development corpus (19); with {@code on_time}, rows that arrive out of order are applied in event-time order; a bad
 * row gives a row with its error and the query goes on; mistakes in a call refuse the query when it is
 * planned.
 */
class AnomalyFunctionITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = FlinkTesting.miniCluster();

    StreamExecutionEnvironment env = env();
    StreamTableEnvironment t = tables(env);

    static StreamExecutionEnvironment env() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(FlinkTesting.jobConfig("hashmap", null));
        env.setParallelism(2);
        return env;
    }

    static StreamTableEnvironment tables(StreamExecutionEnvironment env) {
        StreamTableEnvironment t = StreamTableEnvironment.create(env);
        t.createTemporarySystemFunction(AnomalyFunction.NAME, AnomalyFunction.class);
        return t;
    }

    static List<Row> collect(Table table) throws Exception {
        List<Row> out = new ArrayList<>();
        try (CloseableIterator<Row> it = table.execute().collect()) {
            it.forEachRemaining(out::add);
        }
        return out;
    }

    /** A key's results, one line per row: {@code score cause metric alert error}. */
    static Map<String, List<String>> byKey(List<Row> rows) {
        Map<String, List<String>> out = new TreeMap<>();
        for (Row r : rows) {
            out.computeIfAbsent(String.valueOf(r.getField("k")), k -> new ArrayList<>()).add(r.getField("score") + " "
                    + r.getField("cause") + " " + r.getField("metric") + " " + r.getField("alert") + " " + r.getField("error"));
        }
        return out;
    }

    /**
     * The detector stepped directly over each series in one thread, as {@link #byKey} lines.
     *
     * @param metrics the feature columns' names
     */
    static Map<String, List<String>> direct(RecurrentModel detector, List<Series> corpus, List<String> metrics, float threshold) {
        Map<String, List<String>> out = new TreeMap<>();
        Scratch scratch = detector.newScratch();
        float[] y = new float[detector.outputSize()];
        float[] x = new float[detector.inputSize()];
        for (Series s : corpus) {
            float[] state = detector.newState();
            List<String> lines = new ArrayList<>();
            for (int r = 0; r < s.rows(); r++) {
                for (int m = 0; m < x.length; m++) {
                    x[m] = (float) s.values()[r][m];
                }
                detector.step(y, state, x, scratch);
                int metric = DetectorModels.metricOf(x.length, y);
                lines.add(y[0] + " " + Cause.of(y).label() + " " + (metric < 0 ? null : metrics.get(metric)) + " "
                        + (y[0] >= threshold) + " null");
            }
            out.put(s.name(), lines);
        }
        return out;
    }

    /** Every NAB file as a key, its rows interleaved with the other files' from one source task, the function at parallelism 2. */
    @Test
    void theScoresAreTheDetectorsSteppedPerKeyOverEveryNabFile() throws Exception {
        List<Series> nab = Series.corpus(Series.NAB);
        assertEquals(58, nab.size());
        long rows = nab.stream().mapToLong(Series::rows).sum();
        RowTypeInfo type = CorpusRows.type(List.of("value"));
        DataStream<Row> s = env.fromSource(new DataGeneratorSource<>(new CorpusRows(Series.NAB), rows, type),
                WatermarkStrategy.noWatermarks(), "nab").setParallelism(1);
        t.createTemporaryView("nab", t.fromDataStream(s));
        List<Row> out = collect(t.sqlQuery("SELECT * FROM anomaly(input => TABLE nab PARTITION BY k, features => DESCRIPTOR(`value`))"));
        assertEquals(List.of("k", "score", "cause", "metric", "alert", "error"), List.copyOf(out.get(0).getFieldNames(true)));
        assertEquals(rows, out.size(), "a row per row");
        AnomalyDetector compact = AnomalyDetector.compact(Forecasters.bundled());
        Map<String, List<String>> want = direct(compact, nab, List.of("value"), compact.alarmScore());
        Map<String, List<String>> got = byKey(out);
        for (Series f : nab) {
            assertEquals(want.get(f.name()), got.get(f.name()), f.name());
        }
        assertTrue(out.stream().anyMatch(r -> Boolean.TRUE.equals(r.getField("alert"))), "some rows alert");
    }

    /**
     * Every ASD server of the multivariate development corpus (6 files, 19 metrics each: {@code m01..m19}) as a
     * key with a vector: the scores are the vector detector's stepped directly, the metric that set each named.
     */
    @Test
    void theScoresAreTheVectorDetectorsSteppedPerKeyOverEveryAsdServer() throws Exception {
        Path asd = Series.shared("anomaly-mv-dev").resolve("data/asd");
        List<Series> servers = Series.corpus(asd);
        assertEquals(6, servers.size());
        List<String> metrics = new ArrayList<>();
        for (int m = 1; m <= 19; m++) {
            metrics.add(String.format("m%02d", m));
        }
        servers.forEach(s -> assertEquals(19, s.metrics(), s.name()));
        long rows = servers.stream().mapToLong(Series::rows).sum();
        DataStream<Row> s = env.fromSource(new DataGeneratorSource<>(new CorpusRows(asd), rows, CorpusRows.type(metrics)),
                WatermarkStrategy.noWatermarks(), "asd").setParallelism(1);
        t.createTemporaryView("asd", t.fromDataStream(s));
        List<Row> out = collect(t.sqlQuery("SELECT * FROM anomaly(input => TABLE asd PARTITION BY k, features => DESCRIPTOR("
                + String.join(", ", metrics) + "))"));
        assertEquals(rows, out.size(), "a row per row");
        VectorDetector vector = new VectorDetector(Forecasters.bundled(), DetectorParams.COMPACT, 19);
        Map<String, List<String>> want = direct(vector, servers, metrics, vector.alarmScore());
        Map<String, List<String>> got = byKey(out);
        for (Series server : servers) {
            assertEquals(want.get(server.name()), got.get(server.name()), server.name());
        }
        assertTrue(out.stream().map(r -> r.getField("metric")).filter(java.util.Objects::nonNull).distinct().count() > 3,
                "several metrics set scores");

        // another combination, asked for by the call: one server's rows, scored as the vector detector with max()
        Series first = servers.get(0);
        t.executeSql("CREATE TEMPORARY VIEW first_server AS SELECT * FROM asd WHERE k = '" + first.name() + "'");
        List<Row> byMax = collect(t.sqlQuery("SELECT * FROM anomaly(input => TABLE first_server PARTITION BY k, features => "
                + "DESCRIPTOR(" + String.join(", ", metrics) + "), combination => 'max')"));
        VectorDetector max = new VectorDetector(Forecasters.bundled(), DetectorParams.COMPACT, 19, Combination.max());
        List<String> wantMax = direct(max, List.of(first), metrics, max.alarmScore()).get(first.name());
        assertEquals(wantMax, byKey(byMax).get(first.name()), first.name() + " with combination => 'max'");
        assertNotEquals(want.get(first.name()), wantMax, "max scores otherwise than the default here");
    }

    /**
     * The rows (k, v, t) as a table with {@code t} (ms) the event time {@code ts}, from one source task in
     * this order, the watermark {@code behind} the newest row after every row (so that the test decides where it passes).
     */
    Table timed(List<Row> rows, Duration behind) {
        RowTypeInfo type = new RowTypeInfo(new TypeInformation<?>[] {Types.STRING, Types.DOUBLE, Types.LONG}, new String[] {"k", "v", "t"});
        long lag = behind.toMillis();
        DataStream<Row> s = env.fromData(type, rows.toArray(new Row[0])).setParallelism(1)
                .assignTimestampsAndWatermarks(WatermarkStrategy.<Row>forGenerator(c -> new Behind(lag))
                        .withTimestampAssigner((r, ts) -> (Long) r.getField(2)))
                .setParallelism(1);
        return t.fromDataStream(s, Schema.newBuilder()
                .columnByMetadata("ts", DataTypes.TIMESTAMP_LTZ(3), "rowtime")
                .watermark("ts", "SOURCE_WATERMARK()")
                .build());
    }

    /** A watermark {@code lag} ms behind the newest row, after every row. */
    static final class Behind implements WatermarkGenerator<Row> {
        private final long lag;
        private long newest;

        Behind(long lag) {
            this.lag = lag;
            this.newest = Long.MIN_VALUE + lag;
        }

        @Override
        public void onEvent(Row row, long ts, WatermarkOutput out) {
            newest = Math.max(newest, ts);
            out.emitWatermark(new Watermark(newest - lag));
        }

        @Override
        public void onPeriodicEmit(WatermarkOutput out) {}
    }

    /**
     * Three NAB files (a row every 5 minutes, from the same start) whose rows arrive shuffled, up to 7 rows
     * of a key from their place: with {@code on_time}, each key's scores are those of its rows in time
     * order, with the detector and threshold the call names.
     */
    @Test
    void withOnTimeRowsOutOfOrderAreAppliedInEventTimeOrder() throws Exception {
        List<Series> files = new ArrayList<>();
        for (String f : List.of("realKnownCause/nyc_taxi", "realAWSCloudwatch/ec2_cpu_utilization_24ae8d", "artificialWithAnomaly/art_daily_jumpsup")) {
            files.add(Series.read(Series.NAB.resolve(f + ".csv.gz")));
        }
        // each key's rows in blocks of 8, each block shuffled: a row comes up to 7 rows (35 minutes) early or late;
        // then the keys' rows in turn, so that the newest row of any key is at most 8 rows ahead
        java.util.Random random = new java.util.Random(7);
        List<List<Row>> perKey = new ArrayList<>();
        for (Series s : files) {
            List<Row> rows = new ArrayList<>();
            for (int r = 0; r < s.rows(); r++) {
                rows.add(Row.of(s.name(), s.values()[r][0], 1_700_000_000_000L + 300_000L * r));
            }
            for (int at = 0; at < rows.size(); at += 8) {
                java.util.Collections.shuffle(rows.subList(at, Math.min(rows.size(), at + 8)), random);
            }
            perKey.add(rows);
        }
        List<Row> shuffled = new ArrayList<>();
        int[][] order = CorpusRows.order(files);
        for (int i = 0; i < order[0].length; i++) {
            shuffled.add(perKey.get(order[0][i]).get(order[1][i]));
        }
        Map<String, Long> newest = new HashMap<>();
        long early = shuffled.stream().filter(r -> (Long) r.getField(2) < newest.merge((String) r.getField(0), (Long) r.getField(2), Math::max)).count();
        assertTrue(early > order[0].length / 3, early + " rows arrive after a later row of their key");
        t.createTemporaryView("shuffled", timed(shuffled, Duration.ofHours(1)));
        List<Row> out = collect(t.sqlQuery("SELECT k, score, cause, metric, alert, error, rowtime FROM anomaly("
                + "input => TABLE shuffled PARTITION BY k, features => DESCRIPTOR(v), on_time => DESCRIPTOR(ts), "
                + "detector => 'compact-1', threshold => 0.75e0, uid => 'ordered')"));
        AnomalyDetector compact1 = new AnomalyDetector(Forecasters.bundled(), DetectorParams.COMPACT_1);
        Map<String, List<String>> want = direct(compact1, files, List.of("v"), 0.75f);
        assertEquals(want, byKey(out));
        Map<String, Long> last = new HashMap<>();
        for (Row r : out) {
            long ts = ((java.time.Instant) r.getField("rowtime")).toEpochMilli();
            assertTrue(ts >= last.getOrDefault((String) r.getField("k"), Long.MIN_VALUE), "in time order per key: " + r);
            last.put((String) r.getField("k"), ts);
        }
    }

    static Row r(String k, Double v, long t) {
        return Row.of(k, v, t);
    }

    /** A NULL key, a NULL, NaN or infinite metric, a late row: each gives its error row; the key's scores go on as without them. */
    @Test
    void aBadRowGivesARowWithTheErrorAndTheQueryGoesOn() throws Exception {
        Series taxi = Series.read(Series.NAB.resolve("realKnownCause/nyc_taxi.csv.gz"));
        List<Row> rows = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            long ts = taxi.times()[i];
            rows.add(r("taxi", taxi.values()[i][0], ts));
            switch (i) {
                case 100 -> rows.add(r(null, 1.0, ts));
                case 150 -> rows.add(r("taxi", null, ts));
                case 200 -> rows.add(r("taxi", Double.NaN, ts));
                case 250 -> rows.add(r("taxi", Double.POSITIVE_INFINITY, ts));
                case 300 -> rows.add(r("taxi", 5.0, taxi.times()[i - 10])); // 10 rows late, beyond a lateness of 0
                default -> { }
            }
        }
        t.createTemporaryView("taxi", timed(rows, Duration.ZERO));
        List<Row> out = collect(t.sqlQuery("SELECT * FROM anomaly(input => TABLE taxi PARTITION BY k, "
                + "features => DESCRIPTOR(v), on_time => DESCRIPTOR(ts))"));
        assertEquals(rows.size(), out.size(), "a row per row, bad or good");
        Map<String, List<String>> got = byKey(out);
        assertEquals(List.of("null null null null NULL_KEY: the row's PARTITION BY key is NULL"), got.get("null"));
        List<String> taxiRows = got.get("taxi");
        assertEquals(List.of(
                "null null null null MISSING_INPUT: the feature column v is NULL",
                "null null null null NON_FINITE: the feature column v is NaN",
                "null null null null NON_FINITE: the feature column v is Infinity",
                "null null null null LATE: row time " + taxi.times()[290] + " is before " + taxi.times()[300]
                        + ", the key's latest applied row, beyond the allowed lateness of 0 ms"),
                taxiRows.stream().filter(l -> !l.endsWith(" null")).toList());
        AnomalyDetector compact = AnomalyDetector.compact(Forecasters.bundled());
        Series first400 = new Series("taxi", java.util.Arrays.copyOf(taxi.times(), 400), java.util.Arrays.copyOf(taxi.values(), 400));
        assertEquals(direct(compact, List.of(first400), List.of("v"), compact.alarmScore()).get("taxi"),
                taxiRows.stream().filter(l -> l.endsWith(" null")).toList(), "the good rows' scores, as if the bad ones were not there");
    }

    @Test
    void mistakesInTheCallAreRefusedWhenTheQueryIsPlanned() {
        t.createTemporaryView("m", timed(List.of(r("a", 1.0, 1L)), Duration.ZERO));
        String call = "SELECT * FROM anomaly(input => TABLE m PARTITION BY k, features => DESCRIPTOR(%s)%s)";
        assertRefused(String.format(call, "k", ""), "anomaly: the feature column 'k' is STRING, not a number");
        assertRefused(String.format(call, "cpu", ""), "anomaly: the input table has no feature column 'cpu'; its columns are [k, v, t, ts]");
        assertRefused(String.format(call, "v", ", detector => 'fast'"),
                "anomaly: the argument 'detector' is 'compact', 'compact-1' or 'windowed', not 'fast'");
        assertRefused(String.format(call, "v", ", threshold => 1.5e0"), "anomaly: the argument 'threshold' is a score in [0, 1], not 1.5");
        assertRefused(String.format(call, "v", ", threshold => 0.9"), "anomaly: the argument 'threshold' must be a DOUBLE literal such as 0.9e0");
        assertRefused(String.format(call, "v", ", forecaster => '/no/such/forecaster.safetensors'"),
                "anomaly: the forecaster '/no/such/forecaster.safetensors' cannot be loaded");
        assertRefused(String.format(call, "v", ", lateness => INTERVAL '-1' SECOND"),
                "anomaly: the argument 'lateness' must not be negative, it is -1000");
        assertRefused(String.format(call, "v", ", max_buffered => -5"), "anomaly: the argument 'max_buffered' must not be negative, it is -5");
        assertRefused(String.format(call, "v", ", combination => 'mean'"),
                "anomaly: the argument 'combination' is 'max' or 'top=K,range_metrics=R'");
    }

    void assertRefused(String query, String message) {
        ValidationException e = assertThrows(ValidationException.class, () -> t.executeSql(query));
        StringBuilder all = new StringBuilder();
        for (Throwable c = e; c != null; c = c.getCause()) {
            all.append(c.getMessage()).append('\n');
        }
        assertTrue(all.toString().contains(message), "expected '" + message + "' in:\n" + all);
    }
}
