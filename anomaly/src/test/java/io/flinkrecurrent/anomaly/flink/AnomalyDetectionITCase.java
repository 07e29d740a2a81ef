package io.flinkrecurrent.anomaly.flink;

import io.flinkrecurrent.anomaly.AnomalyDetector;
import io.flinkrecurrent.anomaly.DetectorParams;
import io.flinkrecurrent.anomaly.Cause;
import io.flinkrecurrent.anomaly.Forecasters;
import io.flinkrecurrent.anomaly.VectorDetector;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.cell.Scratch;
import io.flinkrecurrent.flink.RecurrentStream;
import io.flinkrecurrent.flink.Rejected;
import io.flinkrecurrent.flink.RejectedEvent;
import io.flinkrecurrent.testing.FlinkTesting;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The typed API on a mini-cluster over the user's POJO: every result equals the detector stepped directly
 * per key in one thread (score and error bit for bit, cause, metric, the event carried, the alert at the
 * threshold), with {@code pipeline.generic-types: false}; bad events on the side output, the job going on.
 */
class AnomalyDetectionITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = FlinkTesting.miniCluster();

    static final DetectorParams PARAMS = DetectorParams.COMPACT;
    static final String[] METRICS = {"cpu", "mem", "disk"};
    static final RecurrentNetwork FORECASTER = Forecasters.bundled();

    static StreamExecutionEnvironment env() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(
                FlinkTesting.jobConfig("hashmap", null));
        env.setParallelism(2);
        return env;
    }

    /**
     * What the operator must give: each host's readings in order through its own detector, one thread, the
     * metric that set a score read from the detector's output as its contract says.
     */
    static Map<String, AnomalyResult<ServerReading, String>> direct(List<ServerReading> readings,
            Supplier<RecurrentModel> detector, Function<ServerReading, float[]> input, String[] names, float threshold) {
        Map<String, float[]> states = new HashMap<>();
        Map<String, AnomalyResult<ServerReading, String>> out = new HashMap<>();
        RecurrentModel model = detector.get();
        Scratch scratch = model.newScratch();
        float[] y = new float[model.outputSize()];
        for (ServerReading r : readings) {
            float[] state = states.computeIfAbsent(r.host, h -> model.newState());
            model.step(y, state, input.apply(r), scratch);
            Cause cause = Cause.of(y);
            int metric = y.length > 3 ? (int) y[3] : cause == Cause.NONE ? -1 : 0;
            out.put(r.note, new AnomalyResult<>(r, r.host, y[0], cause, metric,
                    metric < 0 || names == null ? null : names[metric], y[1], y[0] >= threshold));
        }
        return out;
    }

    /** The same readings scored, each result equal to the one expected (score and error bit for bit). */
    static void assertSameResults(Map<String, AnomalyResult<ServerReading, String>> expected,
                                  Map<String, AnomalyResult<ServerReading, String>> got) {
        assertEquals(new TreeSet<>(expected.keySet()), new TreeSet<>(got.keySet()), "the readings scored");
        for (String note : new TreeSet<>(expected.keySet())) {
            assertEquals(expected.get(note), got.get(note), note);
        }
    }

    static <T> List<T> run(StreamExecutionEnvironment env, DataStream<T> results) throws Exception {
        List<T> got = new ArrayList<>();
        try (CloseableIterator<T> it = results.collectAsync()) {
            env.execute("anomaly detection");
            it.forEachRemaining(got::add);
        }
        return got;
    }

    static Map<String, AnomalyResult<ServerReading, String>> byNote(List<AnomalyResult<ServerReading, String>> results) {
        Map<String, AnomalyResult<ServerReading, String>> m = new HashMap<>();
        for (AnomalyResult<ServerReading, String> r : results) {
            assertNull(m.put(r.event.note, r), "one result per reading: " + r.event.note);
        }
        return m;
    }

    /**
     * Two detectors over the same readings in one job: the three metrics of each host together (a vector
     * detector per host, metric names, an alert threshold that some score hits exactly), and the cpu alone
     * (the univariate detector, the default threshold, no names).
     */
    @Test
    void resultsEqualTheDetectorSteppedPerKey() throws Exception {
        List<ServerReading> readings = ServerReading.servers(500);
        Function<ServerReading, float[]> vector = r -> new float[] {r.cpu, r.mem, r.disk};
        // a threshold that some score hits exactly: the median of the scores above the neutral 0.5
        TreeSet<Float> raised = new TreeSet<>();
        direct(readings, () -> new VectorDetector(FORECASTER, PARAMS, 3), vector, METRICS, 2f).values()
                .forEach(r -> { if (r.score > 0.5f) raised.add(r.score); });
        assertTrue(raised.size() >= 3, "the jumps raise scores: " + raised);
        float threshold = new ArrayList<>(raised).get(raised.size() / 2);

        StreamExecutionEnvironment env = env();
        DataStream<ServerReading> in = env.fromData(TypeInformation.of(ServerReading.class),
                readings.toArray(new ServerReading[0])).setParallelism(1);
        RecurrentStream<ServerReading, AnomalyResult<ServerReading, String>> machines = AnomalyDetection
                .keyBy(ServerReading::host)
                .metrics(3, (x, r) -> {
                    x[0] = r.cpu;
                    x[1] = r.mem;
                    x[2] = r.disk;
                })
                .metricNames(METRICS)
                .alertAt(threshold)
                .apply(in);
        RecurrentStream<ServerReading, AnomalyResult<ServerReading, String>> cpus = AnomalyDetection
                .keyBy(ServerReading::host)
                .metric(r -> r.cpu)
                .name("cpu-anomalies")
                .apply(in);
        List<AnomalyResult<ServerReading, String>> got = run(env, machines.union(cpus.map(r -> {
            r.key = "cpu:" + r.key;
            return r;
        }).returns(cpus.getType())));

        Map<String, AnomalyResult<ServerReading, String>> gotMachines = new HashMap<>();
        Map<String, AnomalyResult<ServerReading, String>> gotCpus = new HashMap<>();
        for (AnomalyResult<ServerReading, String> r : got) {
            if (r.key.startsWith("cpu:")) {
                r.key = r.key.substring("cpu:".length());
                assertNull(gotCpus.put(r.event.note, r), r.event.note);
            } else {
                assertNull(gotMachines.put(r.event.note, r), r.event.note);
            }
        }
        assertSameResults(direct(readings, () -> new VectorDetector(FORECASTER, PARAMS, 3), vector, METRICS, threshold),
                gotMachines);
        assertSameResults(direct(readings, () -> new AnomalyDetector(FORECASTER, PARAMS), r -> new float[] {r.cpu},
                null, PARAMS.alarmScore()), gotCpus);

        // what the comparison covers: every metric named, alerts and not, a score exactly at the threshold
        for (int m = 0; m < METRICS.length; m++) {
            final int metric = m;
            assertTrue(gotMachines.values().stream().anyMatch(r -> r.metric == metric && METRICS[metric].equals(r.metricName)),
                    "some score set by " + METRICS[m]);
        }
        assertTrue(gotMachines.values().stream().anyMatch(r -> r.score == threshold && r.alert));
        assertTrue(gotMachines.values().stream().anyMatch(r -> r.score > 0.5f && !r.alert));
        assertTrue(gotCpus.values().stream().anyMatch(r -> r.alert), "the cpu jump alarms at the detector's alarm score");
        assertTrue(gotCpus.values().stream().anyMatch(r -> r.cause != Cause.NONE && r.metric == 0 && r.metricName == null));
    }

    /** Three metrics as an array the event holds; bad readings among the good ones, each key going on. */
    @Test
    void badEventsGoToTheSideOutputWithTheReasonAndTheJobGoesOn() throws Exception {
        List<ServerReading> good = ServerReading.servers(200);
        ServerReading wide = new ServerReading("web-1", 0, 1, 2, 3, "too narrow");
        wide.values = new float[] {1, 2};
        ServerReading missing = new ServerReading("web-2", 0, 1, 2, 3, "no values");
        missing.values = null;
        ServerReading nan = new ServerReading("db-1", 0, 1, Float.NaN, 3, "NaN");
        ServerReading infinite = new ServerReading("web-1", 0, 1, 2, Float.NEGATIVE_INFINITY, "infinite");
        ServerReading noHost = new ServerReading(null, 0, 1, 2, 3, "no host");
        List<ServerReading> all = new ArrayList<>(good);
        all.add(90, wide);
        all.add(200, missing);
        all.add(310, nan);
        all.add(420, noHost);
        all.add(500, infinite);

        StreamExecutionEnvironment env = env();
        DataStream<ServerReading> in = env.fromData(TypeInformation.of(ServerReading.class),
                all.toArray(new ServerReading[0])).setParallelism(1);
        RecurrentStream<ServerReading, AnomalyResult<ServerReading, String>> scored = AnomalyDetection
                .keyBy(ServerReading::host)
                .metrics(3, r -> r.values)
                .metricNames(METRICS)
                .apply(in);
        List<AnomalyResult<ServerReading, String>> results = new ArrayList<>();
        List<Rejected<ServerReading>> rejected = new ArrayList<>();
        try (CloseableIterator<AnomalyResult<ServerReading, String>> a = scored.collectAsync();
             CloseableIterator<Rejected<ServerReading>> r = scored.rejected().collectAsync()) {
            env.execute("anomaly detection, bad events");
            a.forEachRemaining(results::add);
            r.forEachRemaining(rejected::add);
        }

        // the job went on: every good reading scored as if the bad ones had not come
        assertSameResults(direct(good, () -> new VectorDetector(FORECASTER, PARAMS, 3), r -> r.values.clone(), METRICS,
                PARAMS.alarmScore()), byNote(results));
        rejected.sort(Comparator.comparing(x -> x.event.note));
        assertEquals(5, rejected.size(), rejected.toString());
        assertRejected(rejected.get(0), "NaN", RejectedEvent.Reason.NON_FINITE, "db-1", "metric mem (#1) is NaN");
        assertRejected(rejected.get(1), "infinite", RejectedEvent.Reason.NON_FINITE, "web-1", "metric disk (#2) is -Infinity");
        assertRejected(rejected.get(2), "no host", RejectedEvent.Reason.NULL_KEY, null, "the event has no key");
        assertRejected(rejected.get(3), "no values", RejectedEvent.Reason.MISSING_INPUT, "web-2",
                "the event has no metric values");
        assertRejected(rejected.get(4), "too narrow", RejectedEvent.Reason.INPUT_WIDTH, "web-1",
                "the event has 2 metric values, the detector takes 3 (cpu, mem, disk)");
    }

    static void assertRejected(Rejected<ServerReading> r, String note, RejectedEvent.Reason reason, String key,
                               String message) {
        assertEquals(note, r.event.note, "the user's own event comes back");
        assertEquals(reason, r.reason, note);
        assertEquals(key, r.key, note);
        assertEquals(message, r.message, note);
    }
}
