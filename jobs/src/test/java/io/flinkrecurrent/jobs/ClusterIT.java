package io.flinkrecurrent.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.testing.KafkaBroker;
import io.flinkrecurrent.testing.StandaloneFlinkCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The job jar on real components: a standalone Flink cluster in separate JVMs (JobManager and
 * TaskManager started from Maven's Flink jars as the distribution's scripts start them), jobs submitted
 * through the REST API, a TaskManager killed with kill -9 mid-stream, a stop-with-savepoint and a
 * resubmission from it, and a real Kafka broker read and written exactly-once.
 */
class ClusterIT {
    static final Path JAR = Path.of("target", "flink-recurrent.jar").toAbsolutePath();
    static final RepetitionJob JOB = new RepetitionJob();
    /** The Kafka test's checkpoint interval: time to kill between two checkpoints. */
    static final Duration CHECKPOINTS = Duration.ofSeconds(3);

    @TempDir
    static Path dir;
    static StandaloneFlinkCluster cluster;
    static String jarId;
    static RecurrentModel model;

    @BeforeAll
    static void startCluster() throws Exception {
        assertTrue(Files.isRegularFile(JAR), JAR + " is built by `mvn -f jobs package` before the integration tests");
        cluster = new StandaloneFlinkCluster(Files.createDirectories(dir.resolve("cluster")), 4);
        long t0 = System.nanoTime();
        cluster.start(1);
        System.out.printf("standalone cluster up in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        jarId = cluster.uploadJar(JAR);
        model = JobOptions.model(JOB.optionSet().parse(JOB.name(), new String[0]), JOB.modelResource());
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    static List<String> expected(long n) {
        return Expected.symbolJob(model, RepetitionJob.SYMBOLS, RepetitionJob.DECODER, Expected.generated(JOB, n));
    }

    /** The committed result lines under a FileSink folder (in-progress and pending files are hidden, dot-prefixed). */
    static List<String> committed(Path out) throws IOException {
        return lines(out, false);
    }

    static List<String> lines(Path out, boolean withUncommitted) throws IOException {
        for (int attempt = 0; ; attempt++) {
            List<String> lines = new ArrayList<>();
            if (!Files.isDirectory(out)) {
                return lines;
            }
            try (Stream<Path> files = Files.walk(out)) {
                for (Path f : files.filter(Files::isRegularFile)
                        .filter(f -> withUncommitted || !f.getFileName().toString().startsWith(".")).toList()) {
                    lines.addAll(Files.readAllLines(f));
                }
                return lines;
            } catch (java.nio.file.NoSuchFileException | java.io.UncheckedIOException e) {
                if (attempt == 10) {
                    throw e; // a running job renames its part files as it commits them: read again
                }
            }
        }
    }

    static void assertSameLines(List<String> expected, List<String> actual) {
        List<String> e = new ArrayList<>(expected);
        List<String> a = new ArrayList<>(actual);
        e.sort(null);
        a.sort(null);
        assertEquals(e.size(), a.size(), "result count: none lost, none duplicated");
        assertEquals(e, a);
    }

    static List<String> generatorArgs(long count, int rate, Path out) {
        return List.of("repetition", "--source", "generator", "--count", String.valueOf(count), "--rate", String.valueOf(rate),
                "--sink", "file", "--output", out.toString());
    }

    @Test
    void aSubmittedJobWritesWhatThePlainEngineComputes() throws Exception {
        Path out = dir.resolve("out-plain");
        String job = cluster.run(jarId, generatorArgs(3000, 100_000, out), null);
        cluster.awaitState(job, "FINISHED", Duration.ofSeconds(120));
        assertSameLines(expected(3000), committed(out));
    }

    /** Waits for {@code n} completed checkpoints of a running job. */
    /**
     * A model update reaching a running job, as the README's docker-compose demo does it: the job watches
     * a folder; a new model file renamed into it becomes the live model of every subtask, and each key
     * goes on with it from zeros at its next event. The results name their version; every result of
     * either version is checked against the plain engine.
     */
    @Test
    void aModelFileDroppedIntoTheWatchedFolderReachesTheRunningJob() throws Exception {
        Path out = dir.resolve("out-update");
        Path watched = Files.createDirectories(dir.resolve("model-updates"));
        long n = 8_000;
        List<String> args = new ArrayList<>(generatorArgs(n, 1_000, out));
        args.addAll(List.of("--model-updates", watched.toString(), "--update-check-ms", "200"));
        String job = cluster.run(jarId, args, null);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (lines(out, true).size() < 1_500) {
            assertTrue(System.nanoTime() < deadline, "no results within 60 s");
            Thread.sleep(100);
        }
        // another model of the same architecture: the bundled one's weights, scaled
        io.flinkrecurrent.model.SafeTensors st = io.flinkrecurrent.model.SafeTensors.read(Path.of("jobs-model"),
                JobOptions.resource(JOB.modelResource()));
        List<io.flinkrecurrent.model.Tensor> scaled = new ArrayList<>();
        for (io.flinkrecurrent.model.Tensor t : st.tensors().values()) {
            float[] d = t.data().clone();
            for (int i = 0; i < d.length; i++) {
                d[i] *= 0.5f;
            }
            scaled.add(new io.flinkrecurrent.model.Tensor(t.name(), "F32", t.shape(), d));
        }
        Path hidden = watched.resolve(".r2.safetensors");
        io.flinkrecurrent.model.SafeTensors.write(hidden, st.metadata(), scaled);
        Files.move(hidden, watched.resolve("r2.safetensors"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        // the folder is watched for ever: the job runs on after the generator's last event, committing at checkpoints
        deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (committed(out).size() < n) {
            assertTrue(System.nanoTime() < deadline, "not all results committed within 120 s: " + committed(out).size());
            Thread.sleep(200);
        }
        cluster.cancel(job);

        List<String> got = committed(out);
        Map<String, String> versionOf = new java.util.HashMap<>();
        for (String line : got) {
            var j = new com.fasterxml.jackson.databind.ObjectMapper().readTree(line);
            versionOf.put(j.get("key").asText() + "#" + j.get("seq").asLong(), j.get("model").asText());
        }
        long swapped = versionOf.values().stream().filter("r2"::equals).count();
        assertTrue(swapped > 0 && swapped < n, "the update landed mid-stream: " + swapped + " of " + n + " results by r2");
        RecurrentModel r2 = io.flinkrecurrent.model.ModelLoader.load(watched.resolve("r2.safetensors")).network();
        assertSameLines(Expected.symbolJobSwapped(Map.of("bundled", model, "r2", r2), RepetitionJob.SYMBOLS,
                RepetitionJob.DECODER, Expected.generated(JOB, n), (k, seq) -> versionOf.get(k + "#" + seq)), got);
    }

    static void awaitCheckpoints(StandaloneFlinkCluster c, String job, int n) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (c.completedCheckpoints(job) < n && System.nanoTime() < end) {
            Thread.sleep(100);
        }
        assertTrue(c.completedCheckpoints(job) >= n, n + " checkpoints before the kill");
    }

    /** The job failed over: the JobManager's exception history has the TaskManager's loss. */
    static void assertFailedOver(StandaloneFlinkCluster c, String job) throws Exception {
        List<com.fasterxml.jackson.databind.JsonNode> history = c.exceptionHistory(job);
        assertTrue(history.size() >= 1, "the job restarted: its exception history records the failure, got " + history);
        System.out.println("failover recorded: " + history.get(0).path("exceptionName").asText());
    }

    @Test
    void killingTheTaskManagerMidStreamLosesNothing() throws Exception {
        Path out = dir.resolve("out-kill");
        long n = 16_000;
        String job = cluster.run(jarId, generatorArgs(n, 2_000, out), null);
        cluster.awaitState(job, "RUNNING", Duration.ofSeconds(60));
        awaitCheckpoints(cluster, job, 3);
        int before = committed(out).size();
        cluster.killLiveTaskManager();
        cluster.startTaskManager();
        cluster.awaitState(job, "FINISHED", Duration.ofSeconds(180));
        assertTrue(before > 0 && before < n, "the kill landed mid-stream: " + before + " of " + n + " committed before it");
        assertFailedOver(cluster, job);
        assertSameLines(expected(n), committed(out));
    }

    @Test
    void stopWithSavepointAndResumeLosesNothing() throws Exception {
        Path out = dir.resolve("out-savepoint");
        long n = 12_000;
        String job = cluster.run(jarId, generatorArgs(n, 2_000, out), null);
        cluster.awaitState(job, "RUNNING", Duration.ofSeconds(60));
        Thread.sleep(2_500);
        String savepoint = cluster.stopWithSavepoint(job);
        cluster.awaitState(job, "FINISHED", Duration.ofSeconds(60));
        // the savepoint's results are pending until the resumed job commits them
        int before = lines(out, true).size();
        assertTrue(before > 0 && before < n, "stopped part-way: " + before + " of " + n);
        String resumed = cluster.run(jarId, generatorArgs(n, 20_000, out), savepoint);
        cluster.awaitState(resumed, "FINISHED", Duration.ofSeconds(120));
        assertSameLines(expected(n), committed(out));
    }

    /**
     * Kafka in, Kafka out, exactly-once through a failure that is certain to matter. The job checkpoints
     * every 3 s; the symbols are produced while it runs, in slices, each once the answers to the one
     * before are written. The TaskManager is killed only when the answers topic holds answers beyond the
     * job's last completed checkpoint (read_uncommitted; the checkpoint covers at most the symbols of the
     * slices begun before its last acknowledgement) and no other checkpoint is under way or due before
     * the kill; and the kill counts only when the checkpoint the job then restores (REST) covers fewer
     * answers than were written. Those answers are written again after the recovery: an exactly-once
     * sink wrote them into a transaction that is now aborted, so a read_committed reader sees every
     * answer once; an at-least-once sink made them visible already, and they show twice.
     */
    @Test
    void kafkaInKafkaOutExactlyOnceThroughAFailure() throws Exception {
        try (KafkaBroker kafka = new KafkaBroker(Files.createDirectories(dir.resolve("kafka")))) {
            long t0 = System.nanoTime();
            kafka.start();
            System.out.printf("kafka broker up in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            kafka.createTopic("symbols", 1);
            kafka.createTopic("answers", 2);
            String job = cluster.run(jarId, List.of("repetition", "--source", "kafka",
                    "--bootstrap-servers", kafka.bootstrapServers(), "--input-topic", "symbols",
                    "--sink", "kafka", "--output-topic", "answers"), null,
                    Map.of("execution.checkpointing.interval", CHECKPOINTS.toMillis() + " ms"));
            cluster.awaitState(job, "RUNNING", Duration.ofSeconds(60));
            Symbols symbols = new Symbols(Expected.generated(JOB, 40_000));
            try (var producer = kafka.producer(); KafkaBroker.Written written = kafka.written("answers")) {
                boolean certain = false;
                for (int kill = 1; kill <= 3 && !certain; kill++) {
                    // slices until the topic holds answers that the last completed checkpoint cannot cover
                    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                    while (true) {
                        symbols.next(producer, kafka, written);
                        JsonNode stats = cluster.get("/jobs/" + job + "/checkpoints");
                        JsonNode last = stats.path("latest").path("completed");
                        if (last.isObject() && last.path("id").asLong() >= 2
                                && stats.path("counts").path("in_progress").asLong() == 0
                                && stats.path("history").path(0).path("id").asLong() == last.path("id").asLong()
                                && System.currentTimeMillis() < last.path("trigger_timestamp").asLong() + CHECKPOINTS.toMillis() - 1_000
                                && symbols.answered > symbols.begunBy(last.path("latest_ack_timestamp").asLong())) {
                            break;
                        }
                        assertTrue(System.nanoTime() < deadline, "no answers beyond the last checkpoint within 90 s: " + last);
                    }
                    long killedAt = System.currentTimeMillis();
                    cluster.killLiveTaskManager();
                    int answers = written.distinct(); // all the killed TaskManager wrote
                    cluster.startTaskManager();
                    JsonNode restore = awaitRestore(job, killedAt);
                    long restored = restore.path("id").asLong();
                    long covered = symbols.begunBy(cluster.get("/jobs/" + job + "/checkpoints/details/" + restored)
                            .path("latest_ack_timestamp").asLong());
                    certain = answers > covered;
                    System.out.printf("kill %d: %d answers written, checkpoint %d restored, which covers at most %d%n",
                            kill, answers, restored, covered);
                    cluster.awaitState(job, "RUNNING", Duration.ofSeconds(60));
                }
                assertTrue(certain, "no kill landed with answers written beyond the checkpoint the job restored");
                assertFailedOver(cluster, job);
                for (int i = 0; i < 5; i++) {
                    symbols.next(producer, kafka, written); // answered after the recovery too
                }
            }
            List<String> got = kafka.consumeCommitted("answers", symbols.sent, Duration.ofSeconds(120));
            cluster.cancel(job);
            assertSameLines(expected(symbols.sent), got);
        }
    }

    /** The checkpoint the job restored after the kill at {@code killedAt} (the same one again, maybe). */
    private static JsonNode awaitRestore(String job, long killedAt) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            JsonNode restored = cluster.get("/jobs/" + job + "/checkpoints").path("latest").path("restored");
            if (restored.isObject() && restored.path("restore_timestamp").asLong() >= killedAt) {
                assertFalse(restored.path("is_savepoint").asBoolean(), "restored from a checkpoint");
                return restored;
            }
            assertTrue(System.nanoTime() < deadline, "the job restored no checkpoint within 90 s of the kill: " + restored);
            Thread.sleep(100);
        }
    }

    /**
     * The symbols, sent in slices of 200, each slice's start noted: a checkpoint acknowledged at time t
     * covers at most the symbols of the slices begun by t.
     */
    static final class Symbols {
        private final List<String> lines;
        private final java.util.TreeMap<Long, Integer> begun = new java.util.TreeMap<>();
        int sent;
        /** The distinct answers written when the last slice was answered. */
        int answered;

        Symbols(List<String> lines) {
            this.lines = lines;
        }

        /** Sends the next slice and waits until its answers are written (committed or not). */
        void next(org.apache.kafka.clients.producer.KafkaProducer<String, String> producer, KafkaBroker kafka,
                  KafkaBroker.Written written) throws Exception {
            int to = sent + 200;
            assertTrue(to <= lines.size(), "the test ran out of symbols");
            begun.put(System.currentTimeMillis(), to); // before the first of them is sent
            KafkaBroker.produce(producer, "symbols", lines.subList(sent, to));
            sent = to;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while ((answered = written.distinct()) < sent) {
                assertTrue(System.nanoTime() < deadline, answered + " of " + sent + " symbols answered within 60 s");
                Thread.sleep(20);
            }
        }

        /** At most how many symbols were in the topic at {@code millis}: those of the slices begun by then. */
        long begunBy(long millis) {
            var e = begun.floorEntry(millis);
            return e == null ? 0 : e.getValue();
        }
    }
}
