package io.flinkrecurrent.anomaly;

import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.flink.RecurrentOutput;
import io.flinkrecurrent.testing.FlinkTesting;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The anomaly job's savepoints of earlier releases ({@code src/test/resources/migration/<release>/anomaly-*},
 * taken by {@link AnomalySavepointGenerator}) restore into this code with every key's detector state: each key
 * goes on from its restored state, so the outputs after the restore equal those of the current detector stepped
 * alone over the key's whole series, bit for bit, none missing and none repeated. A changed fingerprint (the
 * operator would reset every key), state layout or uid fails it.
 */
class AnomalySavepointMigrationITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = FlinkTesting.miniCluster();

    static Stream<Arguments> savepoints() throws Exception {
        List<Arguments> found;
        try (Stream<Path> dirs = Files.list(Path.of("src/test/resources/migration"))) {
            found = dirs.flatMap(release -> {
                try {
                    return Files.list(release).filter(d -> d.getFileName().toString().startsWith("anomaly-")).sorted()
                            .map(d -> Arguments.of(release.getFileName() + "/" + d.getFileName(), d)).toList().stream();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList();
        }
        assertTrue(found.stream().anyMatch(a -> a.get()[0].equals("0.1/anomaly-compact"))
                && found.stream().anyMatch(a -> a.get()[0].equals("0.1/anomaly-windowed")), "release 0.1's savepoints: " + found);
        return found.stream();
    }

    static RecurrentModel detector(String form) {
        return form.endsWith("anomaly-windowed") ? AnomalyDetector.windowed(Forecasters.bundled())
                : AnomalyDetector.compact(Forecasters.bundled());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("savepoints")
    void restoresEveryKeysDetectorState(String id, Path dir) throws Exception {
        RecurrentModel detector = detector(id);
        String backend = Files.readString(dir.resolve("README")).contains("rocksdb") ? "rocksdb" : "hashmap";
        Configuration conf = FlinkTesting.jobConfig(backend, null);
        conf.set(StateRecoveryOptions.SAVEPOINT_PATH, dir.resolve("savepoint").toUri().toString());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(2);
        String run = "restore/" + id;
        AnomalySavepoints.clear(run);
        AnomalySavepoints.build(env, detector, run, null);
        env.executeAsync("restore " + id).getJobExecutionResult().get(300, TimeUnit.SECONDS);

        Map<String, List<float[]>> plain = AnomalySavepoints.plain(detector);
        Map<String, Map<Long, float[]>> got = new TreeMap<>();
        for (RecurrentOutput o : AnomalySavepoints.captured(run)) {
            assertTrue(got.computeIfAbsent(o.key, k -> new TreeMap<>()).put(o.seq, o.output) == null,
                    id + ": " + o.key + "#" + o.seq + " twice");
        }
        AnomalySavepoints.clear(run);
        assertEquals(plain.keySet(), got.keySet(), id + ": keys after the restore");
        int differ = 0;
        String first = null;
        for (var e : got.entrySet()) {
            Map<Long, float[]> rows = e.getValue();
            assertEquals(AnomalySavepoints.ROWS - AnomalySavepoints.SAVEPOINT_ROWS, rows.size(), id + ": " + e.getKey() + "'s rows after the restore");
            for (var r : rows.entrySet()) {
                // seq counts the key's rows from its first, before the savepoint: a key that started afresh counts from 0
                assertTrue(r.getKey() >= AnomalySavepoints.SAVEPOINT_ROWS, id + ": " + e.getKey() + " restarted its count ("
                        + r.getKey() + "): its state was not restored");
                float[] want = plain.get(e.getKey()).get((int) (long) r.getKey());
                if (!java.util.Arrays.equals(want, r.getValue())) {
                    differ++;
                    first = first != null ? first : e.getKey() + "#" + r.getKey() + ": " + java.util.Arrays.toString(r.getValue())
                            + " instead of " + java.util.Arrays.toString(want);
                }
            }
        }
        assertEquals(0, differ, id + ": outputs after the restore that are not the detector's over the key's whole series "
                + "(its state reset or misread?), first " + first);
    }
}
