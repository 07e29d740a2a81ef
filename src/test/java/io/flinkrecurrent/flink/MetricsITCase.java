package io.flinkrecurrent.flink;

import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.model.ModelLoader;
import io.flinkrecurrent.testing.FlinkTesting;
import io.flinkrecurrent.testing.Golden;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The operator's metrics, read through a metric reporter of a real mini-cluster. */
class MetricsITCase {
    static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setConfiguration(REPORTER.addToConfiguration(new Configuration()))
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @Test
    void countsEventsOutputsKeysResetsAndRejections() throws Exception {
        RecurrentNetwork net = ModelLoader.load(Golden.dir().resolve("public/article_linear.safetensors")).network();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(FlinkTesting.jobConfig("hashmap", null));
        env.setParallelism(2);
        KeyedEvent reset = new KeyedEvent("a", new float[] {3});
        reset.reset = true;
        DataStream<KeyedEvent> in = env.fromData(TypeInformation.of(KeyedEvent.class),
                new KeyedEvent("a", new float[] {3}), new KeyedEvent("b", new float[] {3}),
                new KeyedEvent("a", new float[] {3}), reset, new KeyedEvent("c", new float[] {1, 2}),
                new KeyedEvent("a", new float[] {Float.NaN}), new KeyedEvent("a", new float[] {3})).setParallelism(1);
        Recurrent.builder(net).name("article").resetAfterSteps(3).apply(in).sinkTo(new DiscardingSink<>());
        JobID job = env.execute("metrics").getJobID();

        assertCounted(job, 7);
        boolean gauge = metrics(job).entrySet().stream()
                .anyMatch(e -> e.getKey().endsWith("recurrent.stepTimeNanos") && e.getValue() instanceof Gauge);
        assertTrue(gauge, "step time gauge registered");
    }

    /** The SQL function counts the same events in the same metrics. */
    @Test
    void theSqlFunctionCountsTheSame() throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(FlinkTesting.jobConfig("hashmap", null));
        env.setParallelism(2);
        org.apache.flink.api.java.typeutils.RowTypeInfo type = new org.apache.flink.api.java.typeutils.RowTypeInfo(
                new TypeInformation<?>[] {org.apache.flink.api.common.typeinfo.Types.STRING,
                        org.apache.flink.api.common.typeinfo.BasicArrayTypeInfo.FLOAT_ARRAY_TYPE_INFO,
                        org.apache.flink.api.common.typeinfo.Types.BOOLEAN}, new String[] {"k", "input", "restart"});
        DataStream<org.apache.flink.types.Row> in = env.fromData(type,
                org.apache.flink.types.Row.of("a", new Float[] {3f}, false), org.apache.flink.types.Row.of("b", new Float[] {3f}, false),
                org.apache.flink.types.Row.of("a", new Float[] {3f}, false), org.apache.flink.types.Row.of("a", new Float[] {3f}, true),
                org.apache.flink.types.Row.of("c", new Float[] {1f, 2f}, false), org.apache.flink.types.Row.of("a", new Float[] {Float.NaN}, false),
                org.apache.flink.types.Row.of("a", new Float[] {3f}, false), org.apache.flink.types.Row.of(null, new Float[] {3f}, false))
                .setParallelism(1);
        org.apache.flink.table.api.bridge.java.StreamTableEnvironment t =
                org.apache.flink.table.api.bridge.java.StreamTableEnvironment.create(env);
        t.createTemporarySystemFunction("recurrent", io.flinkrecurrent.sql.RecurrentFunction.class);
        t.createTemporaryView("events", t.fromDataStream(in));
        t.toDataStream(t.sqlQuery("SELECT * FROM recurrent(input => TABLE events PARTITION BY k, model => '"
                + Golden.dir().resolve("public/article_linear.safetensors") + "', reset_column => 'restart', reset_after => 3)"))
                .sinkTo(new DiscardingSink<>());
        JobID job = env.execute("sql metrics").getJobID();

        assertCounted(job, 8);
        assertEquals(1, sum(job, "recurrent.rejected.null_key"));
    }

    /** What both tests' events make: 5 outputs of 2 keys, a reset by the event, a too-wide and a NaN input rejected. */
    private static void assertCounted(JobID job, long events) {
        assertEquals(events, sum(job, "recurrent.events"));
        assertEquals(5, sum(job, "recurrent.outputs"));
        assertEquals(2, sum(job, "recurrent.keysCreated"));
        assertEquals(1, sum(job, "recurrent.resets.event"));
        assertEquals(0, sum(job, "recurrent.resets.steps"));
        assertEquals(1, sum(job, "recurrent.rejected.input_width"));
        assertEquals(1, sum(job, "recurrent.rejected.non_finite"));
    }

    private static long sum(JobID job, String suffix) {
        long n = 0;
        int found = 0;
        for (Map.Entry<String, Metric> e : metrics(job).entrySet()) {
            if (e.getKey().endsWith("." + suffix) && e.getValue() instanceof Counter c) {
                n += c.getCount();
                found++;
            }
        }
        assertEquals(2, found, suffix + " on both subtasks");
        return n;
    }

    /** Every metric of the job, by its full identifier. */
    private static Map<String, Metric> metrics(JobID job) {
        Map<String, Metric> all = new java.util.HashMap<>();
        REPORTER.getMetricsByGroup().forEach((group, byName) -> {
            if (job.toString().equals(group.getAllVariables().get("<job_id>"))) {
                byName.forEach((name, m) -> all.put(group.getMetricIdentifier(name), m));
            }
        });
        return all;
    }
}
