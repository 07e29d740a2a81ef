package io.flinkrecurrent.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import io.flinkrecurrent.sqlrunner.SqlRunner;
import io.flinkrecurrent.sqlrunner.SqlScript;
import io.flinkrecurrent.testing.AnomalyRows;
import io.flinkrecurrent.testing.Golden;
import io.flinkrecurrent.testing.StandaloneFlinkCluster;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.DeploymentOptions;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.PipelineOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SQL on a standalone cluster in separate JVMs whose class path is a Flink distribution's (the table
 * planner and runtime, not this project): the job jar shipped with the query (pipeline.jars, as the SQL
 * Client's -j or ADD JAR does) brings the function, and an INSERT of a golden stream through it into a
 * filesystem table writes PyTorch's outputs; the {@code anomaly} function over a CSV table does the same.
 */
class SqlClusterIT {
    @TempDir
    Path dir;

    @Test
    void anInsertThroughTheFunctionRunsOnTheClusterFromTheJobJar() throws Exception {
        Path model = Golden.dir().resolve("public/lstm_i8_h32_l2_head3_softmax.safetensors");
        Path results = dir.resolve("results");
        try (StandaloneFlinkCluster cluster = new StandaloneFlinkCluster(Files.createDirectories(dir.resolve("cluster")), 2)) {
            cluster.start(1);
            Configuration conf = GlobalConfiguration.loadConfiguration(cluster.dir().resolve("conf").toString());
            conf.set(DeploymentOptions.TARGET, "remote");
            conf.set(PipelineOptions.JARS, List.of(ClusterIT.JAR.toUri().toString()));
            String script = """
                    CREATE TABLE events (`key` STRING, seq BIGINT, input ARRAY<FLOAT>, `reset` BOOLEAN)
                      WITH ('connector' = 'filesystem', 'path' = '%s', 'format' = 'json');
                    CREATE TABLE results (`key` STRING, seq BIGINT, output ARRAY<FLOAT>, error STRING)
                      WITH ('connector' = 'filesystem', 'path' = '%s', 'format' = 'json');
                    INSERT INTO results SELECT `key`, seq, output, error FROM recurrent(
                      input => TABLE events PARTITION BY `key`, model => '%s', reset_column => 'reset', uid => 'golden');
                    """.formatted(Golden.stream(model), results, model);
            ByteArrayOutputStream log = new ByteArrayOutputStream();
            new SqlRunner(conf).run(SqlScript.split(script), new StringWriter(), new PrintStream(log, true, StandardCharsets.UTF_8));
            String progress = log.toString(StandardCharsets.UTF_8);
            assertTrue(progress.contains("submitted as job") && progress.contains("... done"), progress);
            String jobId = progress.replaceAll("(?s).*submitted as job ([0-9a-f]+).*", "$1");
            assertEquals("FINISHED", cluster.get("/jobs/" + jobId).get("state").asText(), "the job ran on the cluster");
        }
        List<JsonNode> rows = new ArrayList<>();
        try (Stream<Path> files = Files.walk(results)) {
            for (Path f : files.filter(p -> Files.isRegularFile(p) && !p.getFileName().toString().startsWith(".")).toList()) {
                rows.addAll(Golden.lines(f));
            }
        }
        List<JsonNode> golden = Golden.lines(Golden.stream(model));
        assertEquals(golden.size(), rows.size(), "a row per event");
        Map<String, JsonNode> byKeySeq = new HashMap<>();
        rows.forEach(r -> byKeySeq.put(r.get("key").asText() + "#" + r.get("seq").asLong(), r));
        for (JsonNode g : golden) {
            JsonNode r = byKeySeq.get(g.get("key").asText() + "#" + g.get("seq").asLong());
            assertNotNull(r, g.toString());
            Golden.assertClose(g.get("expected_output"), Golden.floats(r.get("output")), g.get("key") + "#" + g.get("seq"));
        }
    }

    /**
     * The {@code anomaly} function and the CSV format on the cluster: the function, its detector and bundled
     * forecaster come from the job jar (the cluster's class path has neither), the CSV format from the
     * distribution's lib/ (here: the cluster's class path); an INSERT over NAB files as they are (a header line,
     * then {@code timestamp,value}) writes each file's error row for its header and the detector's scores.
     */
    @Test
    void anAnomalyQueryOverACsvTableRunsOnTheClusterFromTheJobJar() throws Exception {
        Path data = Files.createDirectories(dir.resolve("metrics"));
        Path results = dir.resolve("scores");
        Map<String, List<String>> want = new java.util.TreeMap<>();
        for (String f : List.of("realKnownCause/ambient_temperature_system_failure", "realTraffic/speed_7578")) {
            List<String> lines = AnomalyRows.lines(AnomalyRows.NAB.resolve(f + ".csv.gz"));
            String name = Path.of(f).getFileName() + ".csv";
            Files.write(data.resolve(name), lines);
            List<String> rows = new ArrayList<>();
            rows.add("MISSING_INPUT: the feature column value is NULL");
            rows.addAll(AnomalyRows.direct(AnomalyRows.values(lines), "value"));
            want.put(name, rows);
        }
        try (StandaloneFlinkCluster cluster = new StandaloneFlinkCluster(Files.createDirectories(dir.resolve("cluster")), 2)) {
            cluster.start(1);
            Configuration conf = GlobalConfiguration.loadConfiguration(cluster.dir().resolve("conf").toString());
            conf.set(DeploymentOptions.TARGET, "remote");
            conf.set(PipelineOptions.JARS, List.of(ClusterIT.JAR.toUri().toString()));
            String script = """
                    CREATE TABLE metrics (`timestamp` TIMESTAMP(3), `value` DOUBLE, file STRING NOT NULL METADATA FROM 'file.name' VIRTUAL)
                      WITH ('connector' = 'filesystem', 'path' = '%s', 'format' = 'csv', 'csv.ignore-parse-errors' = 'true');
                    CREATE TABLE scores (file STRING, score FLOAT, cause STRING, metric STRING, alert BOOLEAN, error STRING)
                      WITH ('connector' = 'filesystem', 'path' = '%s', 'format' = 'json');
                    INSERT INTO scores SELECT * FROM anomaly(input => TABLE metrics PARTITION BY file, features => DESCRIPTOR(`value`),
                      uid => 'nab-anomalies');
                    """.formatted(data, results);
            ByteArrayOutputStream log = new ByteArrayOutputStream();
            new SqlRunner(conf).run(SqlScript.split(script), new StringWriter(), new PrintStream(log, true, StandardCharsets.UTF_8));
            String progress = log.toString(StandardCharsets.UTF_8);
            assertTrue(progress.contains("submitted as job") && progress.contains("... done"), progress);
            String jobId = progress.replaceAll("(?s).*submitted as job ([0-9a-f]+).*", "$1");
            assertEquals("FINISHED", cluster.get("/jobs/" + jobId).get("state").asText(), "the job ran on the cluster");
        }
        // a key's rows are in its subtask's part files, in the order of their counter: part-<uuid>-<subtask>-<counter>
        List<Path> parts;
        try (Stream<Path> files = Files.walk(results)) {
            parts = files.filter(p -> Files.isRegularFile(p) && p.getFileName().toString().startsWith("part-"))
                    .sorted(java.util.Comparator.comparingLong(p -> Long.parseLong(p.getFileName().toString().replaceAll(".*-", ""))))
                    .toList();
        }
        Map<String, List<String>> got = new java.util.TreeMap<>();
        for (Path part : parts) {
            for (JsonNode row : Golden.lines(part)) {
                got.computeIfAbsent(row.get("file").asText(), k -> new ArrayList<>())
                        .add(row.get("error").isNull() ? AnomalyRows.line(row) : row.get("error").asText());
            }
        }
        assertEquals(want, got);
    }
}
