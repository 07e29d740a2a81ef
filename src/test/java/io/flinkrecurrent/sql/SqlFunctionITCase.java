package io.flinkrecurrent.sql;

import io.flinkrecurrent.testing.FlinkTesting;
import io.flinkrecurrent.testing.Golden;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.apache.flink.table.api.Expressions.$;
import static org.apache.flink.table.api.Expressions.descriptor;
import static org.apache.flink.table.api.Expressions.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The function's contract beyond the golden outputs, on the toy recurrence H = 2H + X, Y = 5 - H
 * (article_linear: one input, one output): bad rows give their error and the query goes on; named
 * feature columns; resets; event-time order with {@code on_time}; the Table API form; mistakes in a
 * call refused when the query is planned, naming the column or file.
 */
class SqlFunctionITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = FlinkTesting.miniCluster();

    static final String LINEAR = Golden.dir().resolve("public/article_linear.safetensors").toString();

    StreamExecutionEnvironment env = SqlTesting.env(2, FlinkTesting.jobConfig("hashmap", null));
    StreamTableEnvironment t = SqlTesting.tableEnv(env);

    /** The rows (k, v, input, restart, t) as a table, from one source task in this order; {@code t} in ms (event time). */
    Table table(Row... rows) {
        RowTypeInfo type = new RowTypeInfo(new TypeInformation<?>[] {Types.STRING, Types.FLOAT,
                org.apache.flink.api.common.typeinfo.BasicArrayTypeInfo.FLOAT_ARRAY_TYPE_INFO, Types.BOOLEAN, Types.LONG},
                new String[] {"k", "v", "input", "restart", "t"});
        DataStream<Row> s = env.fromData(type, rows).setParallelism(1)
                .assignTimestampsAndWatermarks(WatermarkStrategy.<Row>forGenerator(c -> new FiveSecondsBehind())
                        .withTimestampAssigner((r, ts) -> (Long) r.getField(4)))
                .setParallelism(1);
        return t.fromDataStream(s, Schema.newBuilder()
                .columnByMetadata("ts", org.apache.flink.table.api.DataTypes.TIMESTAMP_LTZ(3), "rowtime")
                .watermark("ts", "SOURCE_WATERMARK()")
                .build());
    }

    /** A watermark 5 s behind the newest row after every row, so that the test decides where it passes. */
    static final class FiveSecondsBehind implements WatermarkGenerator<Row> {
        private long newest = Long.MIN_VALUE + 5_000;

        @Override
        public void onEvent(Row row, long ts, WatermarkOutput out) {
            newest = Math.max(newest, ts);
            out.emitWatermark(new Watermark(newest - 5_000));
        }

        @Override
        public void onPeriodicEmit(WatermarkOutput out) {}
    }

    static Row r(String k, Float v, Float[] x, Boolean restart, long t) {
        return Row.of(k, v, x, restart, t);
    }

    static List<String> lines(List<Row> rows) {
        List<String> out = new ArrayList<>();
        for (Row r : rows) {
            Object y = r.getField("output");
            out.add(r.getField("k") + " " + r.getField("seq") + " " + (y == null ? null : ((Float[]) y)[0]) + " " + r.getField("error"));
        }
        return out;
    }

    @Test
    void badRowsGiveTheirErrorAndTheQueryGoesOn() throws Exception {
        t.createTemporaryView("events", table(
                r("a", 3f, new Float[] {3f}, false, 1),
                r(null, 3f, new Float[] {3f}, false, 2),
                r("a", 3f, null, false, 3),
                r("a", 3f, new Float[] {3f, 1f}, false, 4),
                r("a", 3f, new Float[] {Float.NaN}, false, 5),
                r("a", 3f, new Float[] {null}, false, 6),
                r("a", 3f, new Float[] {3f}, false, 7),
                r("a", 3f, new Float[] {3e38f}, false, 8),
                r("a", 3f, new Float[] {3f}, false, 9)));
        List<String> out = lines(SqlTesting.collect(t.executeSql(
                "SELECT k, seq, output, error FROM recurrent(input => TABLE events PARTITION BY k, model => '" + LINEAR + "')")));
        // per key in arrival order; the NULL key's row is its own partition
        List<String> a = out.stream().filter(s -> s.startsWith("a ")).toList();
        assertEquals(List.of(
                "a 0 2.0 null",
                "a null null MISSING_INPUT: the input column is NULL",
                "a null null INPUT_WIDTH: the input has 2 values, the model takes 1",
                "a null null NON_FINITE: input[0] is NaN",
                "a null null MISSING_INPUT: input[0] is NULL",
                "a 1 -4.0 null",
                "a 2 -3.0E38 null", // H = 2 * 9 + 3e38
                "a null null NON_FINITE_STATE: the step made the key's state or the output NaN or infinite (an overflow); "
                        + "the row is not applied and the key keeps its state from before it"), a, "the bad rows' errors, and the key's state untouched by them");
        assertEquals(List.of("null null null NULL_KEY: the row's PARTITION BY key is NULL"),
                out.stream().filter(s -> s.startsWith("null ")).toList());
    }

    @Test
    void featuresByNameResetsAndTheTableApiForm() throws Exception {
        t.createTemporaryView("events", table(
                r("a", 3f, null, false, 1), r("b", 1f, null, null, 2), r("a", 3f, null, false, 3),
                r("a", 3f, null, true, 4), r("b", 1f, null, false, 5), r("a", 3f, null, false, 6)));
        List<String> sql = lines(SqlTesting.collect(t.executeSql("SELECT k, seq, output, error FROM recurrent("
                + "input => TABLE events PARTITION BY k, model => '" + LINEAR + "', features => DESCRIPTOR(v), "
                + "reset_column => 'restart', uid => 'linear')")));
        Table api = t.from("events").partitionBy($("k")).process(RecurrentFunction.class,
                lit(LINEAR).asArgument("model"), descriptor("v").asArgument("features"),
                lit("restart").asArgument("reset_column"), lit("linear").asArgument("uid"))
                .select($("k"), $("seq"), $("output"), $("error"));
        List<String> tableApi = lines(SqlTesting.collect(api.execute()));
        for (List<String> out : List.of(sql, tableApi)) {
            assertEquals(List.of("a 0 2.0 null", "a 1 -4.0 null", "a 2 2.0 null", "a 3 -4.0 null"),
                    out.stream().filter(s -> s.startsWith("a ")).toList(), "2, -4, then after the reset 2, -4");
            assertEquals(List.of("b 0 4.0 null", "b 1 2.0 null"), out.stream().filter(s -> s.startsWith("b ")).toList());
        }
    }

    @Test
    void withOnTimeRowsAreAppliedInEventTimeOrder() throws Exception {
        t.createTemporaryView("events", table(
                r("a", 1f, null, false, 1_000), r("a", 3f, null, false, 3_000), r("a", 2f, null, false, 2_000),
                r("a", 4f, null, false, 20_000), // the watermark passes 15 s: 1, 2 and 3 s are applied
                r("a", 9f, null, false, 2_500))); // behind the key's latest applied row (3 s): late
        List<Row> rows = SqlTesting.collect(t.executeSql("SELECT k, seq, output, error, rowtime FROM recurrent("
                + "input => TABLE events PARTITION BY k, model => '" + LINEAR + "', features => DESCRIPTOR(v), "
                + "on_time => DESCRIPTOR(ts), uid => 'ordered')"));
        // H: 1, 2*1+2 = 4, 2*4+3 = 11, 2*11+4 = 26; Y = 5 - H
        assertEquals(List.of("a 0 4.0 null", "a 1 1.0 null", "a 2 -6.0 null",
                "a null null LATE: row time 2500 is before 3000, the key's latest applied row, beyond the allowed lateness of 0 ms",
                "a 3 -21.0 null"), lines(rows));
        assertEquals(List.of(1_000L, 2_000L, 3_000L, 2_500L, 20_000L),
                rows.stream().map(r -> ((Instant) r.getField("rowtime")).toEpochMilli()).toList(),
                "an output carries its row time; an error the row's");
    }

    @Test
    void thePassThroughFormKeepsEveryInputColumn() throws Exception {
        t.createTemporaryView("events", table(
                r("a", 3f, new Float[] {3f}, false, 1), r("b", 1f, new Float[] {1f}, false, 2),
                r("a", 3f, new Float[] {3f, 4f}, false, 3), r("a", 3f, new Float[] {3f}, true, 4)));
        List<Row> rows = SqlTesting.collect(t.executeSql("SELECT * FROM recurrent_pass_through("
                + "input => TABLE events PARTITION BY k, model => '" + LINEAR + "', reset_column => 'restart')"));
        assertEquals(List.of("k", "v", "input", "restart", "t", "ts", "seq", "output", "error"),
                List.copyOf(rows.get(0).getFieldNames(true)), "the input's columns, then the function's");
        List<String> out = new ArrayList<>();
        for (Row r : rows) {
            Object y = r.getField("output");
            out.add(r.getField("k") + " t=" + r.getField("t") + " restart=" + r.getField("restart") + " " + r.getField("seq") + " "
                    + (y == null ? null : ((Float[]) y)[0]) + " " + r.getField("error"));
        }
        assertEquals(List.of("a t=1 restart=false 0 2.0 null",
                "a t=3 restart=false null null INPUT_WIDTH: the input has 2 values, the model takes 1",
                "a t=4 restart=true 1 2.0 null"), out.stream().filter(s -> s.startsWith("a ")).toList());
        assertEquals(List.of("b t=2 restart=false 0 4.0 null"), out.stream().filter(s -> s.startsWith("b ")).toList());
    }

    @Test
    void theOperatorsOptionsAsNamedArguments() throws Exception {
        t.createTemporaryView("events", table(
                r("a", 3f, null, false, 1_000), r("a", 3f, null, false, 2_000), r("a", 3f, null, false, 3_000),
                r("a", 3f, null, false, 60_000), // idle for 57 s: more than the 10 s gap
                r("a", 3f, null, false, 61_000)));
        String call = "SELECT k, seq, output, error FROM recurrent(input => TABLE events PARTITION BY k, model => '" + LINEAR
                + "', features => DESCRIPTOR(v), %s)";
        assertEquals(List.of("a 0 2.0 null", "a 1 -4.0 null", "a 2 2.0 null", "a 3 -4.0 null", "a 4 2.0 null"),
                lines(SqlTesting.collect(t.executeSql(String.format(call, "reset_after => 2")))), "zeroed before every third row");
        assertEquals(List.of("a 0 2.0 null", "a 1 -4.0 null", "a 2 -16.0 null", "a 3 2.0 null", "a 4 -4.0 null"),
                lines(SqlTesting.collect(t.executeSql(String.format(call,
                        "idle_reset => INTERVAL '10' SECOND, on_time => DESCRIPTOR(ts)")))), "zeroed after 57 s of event time idle");
        assertEquals(List.of("a 0 2.0 null", "a 1 -4.0 null", "a 2 -16.0 null", "a 3 -40.0 null", "a 4 -88.0 null"),
                lines(SqlTesting.collect(t.executeSql(String.format(call,
                        "state_ttl => INTERVAL '1' HOUR, on_non_finite => 'reset', max_buffered => 5")))),
                "a TTL of an hour keeps the state");
    }

    /**
     * {@code online} puts a per-key readout over the model: every output (the error of the forecast made at
     * the key's previous row, then the next forecast) equals {@link io.flinkrecurrent.cell.OnlineReadout}'s
     * stepped directly over the key's rows, in the plain form, with {@code on_time} through the timers (whose
     * saved call carries the readout), and in the pass-through form.
     */
    @Test
    void anOnlineReadoutLearnsFromEachKeysRows() throws Exception {
        String rnn = Golden.dir().resolve("public/rnn_tanh_i3_h4_l1.safetensors").toString();
        List<Row> in = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            String k = i % 2 == 0 ? "a" : "b";
            float phase = k.equals("a") ? 0f : 1.3f;
            in.add(r(k, 0f, new Float[] {(float) Math.sin(0.4 * i + phase), (float) Math.cos(0.3 * i), 0.05f * i}, false, 1_000L * (i + 1)));
        }
        t.createTemporaryView("series", table(in.toArray(new Row[0])));
        var model = io.flinkrecurrent.cell.OnlineReadout.parse(io.flinkrecurrent.flink.ModelReference.load(rnn).network(), "rls 0.99");
        java.util.Map<String, float[]> states = new java.util.HashMap<>();
        java.util.Map<String, List<String>> want = new java.util.TreeMap<>();
        var scratch = model.newScratch();
        for (Row row : in) {
            String k = (String) row.getField(0);
            Float[] x = (Float[]) row.getField(2);
            float[] y = new float[model.outputSize()];
            model.step(y, states.computeIfAbsent(k, key -> new float[model.stateSize()]), new float[] {x[0], x[1], x[2]}, scratch);
            want.computeIfAbsent(k, key -> new ArrayList<>()).add(java.util.Arrays.toString(y));
        }
        for (String call : List.of("recurrent(%s)", "recurrent(%s, on_time => DESCRIPTOR(ts))", "recurrent_pass_through(%s)")) {
            java.util.Map<String, List<String>> got = new java.util.TreeMap<>();
            List<Row> rows = new ArrayList<>(SqlTesting.collect(t.executeSql("SELECT k, seq, output, error FROM " + String.format(call,
                    "input => TABLE series PARTITION BY k, model => '" + rnn + "', online => 'rls 0.99'"))));
            rows.sort(java.util.Comparator.comparing((Row r) -> (Long) r.getField("seq")));
            for (Row r : rows) {
                assertEquals(null, r.getField("error"));
                Float[] y = (Float[]) r.getField("output");
                float[] f = new float[y.length];
                for (int j = 0; j < y.length; j++) {
                    f[j] = y[j];
                }
                got.computeIfAbsent((String) r.getField("k"), key -> new ArrayList<>()).add(java.util.Arrays.toString(f));
            }
            assertEquals(want, got, "[error (3) | next forecast (3)] per row, " + call);
        }
    }

    @Test
    void mistakesInTheCallAreRefusedWhenTheQueryIsPlanned() {
        t.createTemporaryView("events", table(r("a", 1f, new Float[] {1f}, false, 1)));
        String call = "SELECT * FROM recurrent(input => TABLE events PARTITION BY k, model => '%s'%s)";
        assertRefused(String.format(call, "/no/such/model.safetensors", ""), "the model '/no/such/model.safetensors' cannot be loaded");
        assertRefused(String.format(call, LINEAR, ", features => DESCRIPTOR(w)"), "no feature column 'w'");
        assertRefused(String.format(call, LINEAR, ", features => DESCRIPTOR(k)"), "the feature column 'k' is STRING, not a number");
        assertRefused(String.format(call, LINEAR, ", features => DESCRIPTOR(v, v)"), "features names 2 columns, but the model");
        assertRefused(String.format(call, LINEAR, ", reset_column => 'v'"), "the reset column 'v' is FLOAT, not BOOLEAN");
        assertRefused(String.format(call, LINEAR, ", online => 'lms 0.5'"),
                "the argument 'online': online readout 'lms 0.5' is not 'nlms [mu]' or 'rls [lambda [delta]]'");
        assertRefused(String.format(call, LINEAR, ", online => 'nlms 3'"), "NLMS step size must be in (0, 2), got 3.0");
        // the options, refused when planned (they would fail the query at its first row)
        assertRefused(String.format(call, LINEAR, ", lateness => INTERVAL '-2' SECOND"),
                "recurrent: the argument 'lateness' must not be negative, it is -2000");
        assertRefused(String.format(call, LINEAR, ", on_non_finite => 'explode'"),
                "the argument 'on_non_finite' is 'reject' or 'reset', not 'explode'");
        assertRefused(String.format(call, LINEAR, ", max_buffered => -1"), "the argument 'max_buffered' must not be negative");
        t.createTemporaryView("no_input", t.from("events").dropColumns($("input")));
        assertRefused("SELECT * FROM recurrent(input => TABLE no_input PARTITION BY k, model => '" + LINEAR + "')",
                "the input table has no column 'input'");
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
