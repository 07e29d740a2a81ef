package io.flinkrecurrent.anomaly;

import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.flink.RecurrentOutput;
import io.flinkrecurrent.model.ModelLoader;
import io.flinkrecurrent.testing.FlinkTesting;
import io.flinkrecurrent.testing.Gates;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Takes the anomaly job's savepoints that {@link AnomalySavepointMigrationITCase} restores, with the code of this
 * build: per detector form, a real job on a local mini-cluster at parallelism 2 ({@link AnomalySavepoints}), held
 * once every key has had its first rows, its outputs so far checked against the detector stepped alone, then
 * stopped with a savepoint, written to {@code jobs/src/test/resources/migration/<release>/anomaly-<form>/savepoint}.
 * Run once per release, before the release's code changes, from the repository's top:
 * <pre>mvn -q -f jobs -Pbench test-compile exec:exec -Dmain.class=io.flinkrecurrent.anomaly.AnomalySavepointGenerator \
 *     -Dexec.args="--release 0.1 --forecaster anomaly/forecaster/model.safetensors"</pre>
 * It refuses to overwrite a release's savepoint.
 */
public final class AnomalySavepointGenerator {
    private AnomalySavepointGenerator() {}

    public static void main(String[] args) throws Exception {
        List<String> a = Arrays.asList(args);
        String release = a.get(a.indexOf("--release") + 1);
        RecurrentNetwork forecaster = ModelLoader.load(Path.of(a.get(a.indexOf("--forecaster") + 1))).network();
        take(release, "anomaly-compact", AnomalyDetector.compact(forecaster), "rocksdb", SavepointFormatType.NATIVE);
        take(release, "anomaly-windowed", AnomalyDetector.windowed(forecaster), "hashmap", SavepointFormatType.CANONICAL);
    }

    static void take(String release, String name, RecurrentModel detector, String backend, SavepointFormatType format)
            throws Exception {
        Path dir = Path.of("jobs/src/test/resources/migration", release, name);
        if (Files.exists(dir)) {
            System.out.println("exists, left as it is: " + dir);
            return;
        }
        String run = "generate/" + name;
        Gates.reset();
        AnomalySavepoints.clear(run);
        Configuration conf = FlinkTesting.jobConfig(backend, null);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(2);
        AnomalySavepoints.build(env, detector, run, "savepoint");
        JobClient job = env.executeAsync("take " + name);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        while (AnomalySavepoints.captured(run).size() < AnomalySavepoints.BEFORE) {
            check(System.nanoTime() < deadline, "the job did not give its outputs before the savepoint within 300 s");
            Thread.sleep(50);
        }
        Path tmp = Files.createTempDirectory("anomaly-savepoint");
        String location = job.stopWithSavepoint(false, tmp.toUri().toString(), format).get(120, TimeUnit.SECONDS);
        job.getJobExecutionResult().get(120, TimeUnit.SECONDS);
        List<RecurrentOutput> before = AnomalySavepoints.captured(run);
        check(before.size() == AnomalySavepoints.BEFORE, "outputs before the savepoint: " + before.size());
        Map<String, List<float[]>> plain = AnomalySavepoints.plain(detector);
        for (RecurrentOutput o : before) {
            check(o.seq < AnomalySavepoints.SAVEPOINT_ROWS && Arrays.equals(plain.get(o.key).get((int) o.seq), o.output),
                    o.key + "#" + o.seq + ": the job's output is not the detector's stepped alone");
        }
        copy(Path.of(URI.create(location)), dir.resolve("savepoint"));
        Files.writeString(dir.resolve("README"), "The anomaly job's detector operator (uid anomaly), " + detector.describe()
                + ", fingerprint " + Long.toHexString(detector.fingerprint()) + ", state backend " + backend + ", "
                + format + " savepoint at parallelism 2, after the first " + AnomalySavepoints.SAVEPOINT_ROWS
                + " rows of each of " + AnomalySavepoints.KEYS + " keys (AnomalySavepoints).\n");
        System.out.println("written " + dir + ": " + before.size() + " outputs before it, equal to the detector's alone");
    }

    static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalStateException(message);
        }
    }

    static void copy(Path from, Path to) throws Exception {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.sorted(Comparator.naturalOrder()).toList()) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target);
                }
            }
        }
    }
}
