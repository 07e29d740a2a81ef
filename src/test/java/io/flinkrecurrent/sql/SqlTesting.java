package io.flinkrecurrent.sql;

import com.fasterxml.jackson.databind.JsonNode;
import io.flinkrecurrent.testing.FlinkTesting;
import org.apache.flink.api.common.typeinfo.BasicArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;


/** What the SQL tests share: a table environment with the function registered, golden lines as a table, results. */
final class SqlTesting {
    private SqlTesting() {}

    static StreamExecutionEnvironment env(int parallelism, Configuration conf) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(parallelism);
        return env;
    }

    /** A table environment over {@code env}, with the function registered as {@code recurrent}. */
    static StreamTableEnvironment tableEnv(StreamExecutionEnvironment env) {
        StreamTableEnvironment t = StreamTableEnvironment.create(env);
        t.createTemporarySystemFunction(RecurrentFunction.NAME, RecurrentFunction.class);
        t.createTemporarySystemFunction(RecurrentPassThroughFunction.NAME, RecurrentPassThroughFunction.class);
        return t;
    }

    /**
     * A golden stream's lines as a table {@code (k STRING, input ARRAY<FLOAT>, restart BOOLEAN, line INT)}, from
     * one source task in file order (each key's rows reach the function in order, as from one Kafka partition).
     */
    static Table goldenTable(StreamTableEnvironment t, StreamExecutionEnvironment env, List<JsonNode> lines) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            JsonNode g = lines.get(i);
            Float[] x = new Float[g.get("input").size()];
            for (int j = 0; j < x.length; j++) {
                x[j] = (float) g.get("input").get(j).asDouble();
            }
            rows.add(Row.of(g.get("key").asText(), x, g.path("reset").asBoolean(false), i));
        }
        RowTypeInfo type = new RowTypeInfo(new TypeInformation<?>[] {Types.STRING, BasicArrayTypeInfo.FLOAT_ARRAY_TYPE_INFO,
                Types.BOOLEAN, Types.INT}, new String[] {"k", "input", "restart", "line"});
        DataStream<Row> s = env.fromData(type, rows.toArray(new Row[0])).setParallelism(1);
        return t.fromDataStream(s);
    }

    static List<Row> collect(TableResult r) throws Exception {
        List<Row> out = new ArrayList<>();
        try (CloseableIterator<Row> it = r.collect()) {
            it.forEachRemaining(out::add);
        }
        return out;
    }

    static float[] floats(Object array) {
        Float[] a = (Float[]) array;
        float[] f = new float[a.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = a[i];
        }
        return f;
    }
}
