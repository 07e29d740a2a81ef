package io.flinkrecurrent.jobs;

import io.flinkrecurrent.testing.StandaloneFlinkCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The job jar on a standalone cluster of three TaskManagers (two slots each, separate JVMs): one of
 * them killed with kill -9 under load, and a rescale through savepoints from parallelism 2 to 6 and
 * back to 3; every time the committed output is what one uninterrupted run computes.
 */
class MultiTaskManagerIT {
    @TempDir
    static Path dir;
    static StandaloneFlinkCluster cluster;
    static String jarId;

    @BeforeAll
    static void startCluster() throws Exception {
        assertTrue(Files.isRegularFile(ClusterIT.JAR), ClusterIT.JAR + " is built by `mvn -f jobs package` before the integration tests");
        cluster = new StandaloneFlinkCluster(Files.createDirectories(dir.resolve("cluster")), 2);
        long t0 = System.nanoTime();
        cluster.start(3);
        System.out.printf("standalone cluster of 3 TaskManagers up in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        jarId = cluster.uploadJar(ClusterIT.JAR);
        ClusterIT.model = JobOptions.model(ClusterIT.JOB.optionSet().parse(ClusterIT.JOB.name(), new String[0]),
                ClusterIT.JOB.modelResource());
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    static List<String> args(long count, int rate, Path out, int parallelism) {
        List<String> a = new ArrayList<>(ClusterIT.generatorArgs(count, rate, out));
        a.addAll(List.of("--parallelism", String.valueOf(parallelism)));
        return a;
    }

    @Test
    void killingOneOfThreeTaskManagersUnderLoadLosesNothing() throws Exception {
        cluster.ensureLiveTaskManagers(3);
        cluster.awaitFreeSlots(6, Duration.ofSeconds(60));
        Path out = dir.resolve("out-kill");
        long n = 20_000;
        // parallelism 6 fills all six slots, so every TaskManager runs part of the job and the kill
        // always hits it; a new TaskManager then joins and the job fails over onto it
        String job = cluster.run(jarId, args(n, 2_500, out, 6), null);
        cluster.awaitState(job, "RUNNING", Duration.ofSeconds(60));
        ClusterIT.awaitCheckpoints(cluster, job, 3);
        int before = ClusterIT.committed(out).size();
        cluster.killLiveTaskManager();
        cluster.startTaskManager();
        cluster.awaitState(job, "FINISHED", Duration.ofSeconds(180));
        assertTrue(before > 0 && before < n, "the kill landed mid-stream: " + before + " of " + n + " committed before it");
        ClusterIT.assertFailedOver(cluster, job);
        ClusterIT.assertSameLines(ClusterIT.expected(n), ClusterIT.committed(out));
    }

    @Test
    void rescalingThroughSavepointsFrom2To6To3LosesNothing() throws Exception {
        cluster.ensureLiveTaskManagers(3); // after the kill test, three again
        cluster.awaitFreeSlots(6, Duration.ofSeconds(60));
        Path out = dir.resolve("out-rescale");
        long n = 15_000;
        String first = cluster.run(jarId, args(n, 2_000, out, 2), null);
        cluster.awaitState(first, "RUNNING", Duration.ofSeconds(60));
        ClusterIT.awaitCheckpoints(cluster, first, 2);
        String sp1 = cluster.stopWithSavepoint(first);
        cluster.awaitState(first, "FINISHED", Duration.ofSeconds(60));
        int atFirst = ClusterIT.lines(out, true).size();

        String second = cluster.run(jarId, args(n, 2_000, out, 6), sp1);
        cluster.awaitState(second, "RUNNING", Duration.ofSeconds(60));
        ClusterIT.awaitCheckpoints(cluster, second, 2);
        String sp2 = cluster.stopWithSavepoint(second);
        cluster.awaitState(second, "FINISHED", Duration.ofSeconds(60));
        int atSecond = ClusterIT.lines(out, true).size();
        assertTrue(0 < atFirst && atFirst < atSecond && atSecond < n,
                "each stop came part-way: " + atFirst + ", then " + atSecond + " of " + n);

        String third = cluster.run(jarId, args(n, 20_000, out, 3), sp2);
        cluster.awaitState(third, "FINISHED", Duration.ofSeconds(120));
        ClusterIT.assertSameLines(ClusterIT.expected(n), ClusterIT.committed(out));
    }
}
