package io.flinkrecurrent.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.cell.Scratch;
import io.flinkrecurrent.model.ModelLoader;
import io.flinkrecurrent.sqlrunner.SqlRunner;
import io.flinkrecurrent.sqlrunner.SqlScript;
import io.flinkrecurrent.testing.AnomalyRows;
import io.flinkrecurrent.testing.KafkaBroker;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

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

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kafka tables in the SQL runner, against a real broker (a separate JVM on loopback): the repetition
 * model over a topic of digits gives each user's outputs of a plain replay, the anomaly function over
 * a topic of host metrics (the table of jobs/sql/anomaly-kafka.sql, two metrics a host) gives the detector's scores, and
 * the scripts that docker-compose's SQL Clients run (jobs/sql/repetition-kafka.sql,
 * jobs/sql/anomaly-kafka.sql) plan against the broker.
 */
class SqlKafkaIT {
    static final Path TOP = Path.of("").toAbsolutePath().getParent();
    static final Path MODEL = TOP.resolve("jobs/repetition/model.safetensors");
    static final ObjectMapper JSON = new ObjectMapper();

    @org.junit.jupiter.api.extension.RegisterExtension
    static final KafkaBroker.PerClass KAFKA = new KafkaBroker.PerClass();

    static String run(String script, PrintStream log) throws Exception {
        StringWriter rows = new StringWriter();
        new SqlRunner(new Configuration()).run(SqlScript.split(script), rows, log);
        return rows.toString();
    }

    @Test
    void aKafkaTableThroughTheFunctionGivesTheReplaysOutputs() throws Exception {
        KAFKA.broker().createTopic("digits-in", 1);
        List<String> lines = new ArrayList<>();
        List<String[]> events = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            String user = "user-" + (i * 7 % 5);
            int digit = (int) ((i * 2654435761L >>> 7) % 10);
            lines.add("{\"user_id\":\"" + user + "\",\"digit\":" + digit + "}");
            events.add(new String[] {user, Integer.toString(digit)});
        }
        lines.add(150, "not json"); // a bad record: skipped by the format, as the table says
        KAFKA.broker().produce("digits-in", lines);
        String shipped = Files.readString(TOP.resolve("jobs/sql/repetition-kafka.sql"));
        // the shipped table and view, bounded to what the topic holds now
        String script = shipped.substring(0, shipped.indexOf("-- the results"))
                .replace("'kafka:9092'", "'" + KAFKA.broker().bootstrapServers() + "'")
                .replace("'topic' = 'digits'", "'topic' = 'digits-in'")
                .replace("'scan.startup.mode' = 'earliest-offset',", "'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset',")
                + "SELECT user_id, seq, output, error FROM recurrent(input => TABLE digit_inputs PARTITION BY user_id, "
                + "model => '" + MODEL + "', uid => 'repetition-sql');\n";
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        String out = run(script, new PrintStream(log, true, StandardCharsets.UTF_8));
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("300 rows"), log.toString(StandardCharsets.UTF_8));

        RecurrentNetwork net = ModelLoader.load(MODEL).network();
        Scratch scratch = net.newScratch();
        Map<String, float[]> states = new HashMap<>();
        Map<String, List<float[]>> expected = new HashMap<>();
        for (String[] e : events) {
            float[] x = new float[10];
            x[Integer.parseInt(e[1])] = 1f;
            float[] y = new float[1];
            net.step(y, states.computeIfAbsent(e[0], k -> net.newState()), x, scratch);
            expected.computeIfAbsent(e[0], k -> new ArrayList<>()).add(y);
        }
        int n = 0;
        for (String line : out.split("\n")) {
            JsonNode row = JSON.readTree(line);
            assertTrue(row.get("error").isNull(), line);
            float[] y = {(float) row.get("output").get(0).asDouble()};
            assertArrayEquals(expected.get(row.get("user_id").asText()).get(row.get("seq").asInt()), y, line);
            n++;
        }
        assertEquals(300, n);
    }

    /**
     * The anomaly script's metrics table over a topic of three hosts, each two NAB files as its CPU and memory
     * (a row a minute for each host, JSON as the script's generator writes it, one row with a NULL metric, one
     * that is not JSON), and the script's query (with {@code on_time}): each host's scores are the vector
     * detector's stepped directly over its two metrics.
     */
    @Test
    void aKafkaTableThroughTheAnomalyFunctionGivesTheDetectorsScores() throws Exception {
        KAFKA.broker().createTopic("metrics-in", 1);
        Map<String, double[][]> hosts = new java.util.TreeMap<>();
        String[][] files = {
                {"host-a", "realAWSCloudwatch/ec2_cpu_utilization_24ae8d", "realAWSCloudwatch/ec2_cpu_utilization_53ea38"},
                {"host-b", "realAWSCloudwatch/ec2_cpu_utilization_5f5533", "realAWSCloudwatch/ec2_network_in_257a54"},
                {"host-c", "artificialWithAnomaly/art_daily_jumpsup", "artificialWithAnomaly/art_daily_flatmiddle"}};
        for (String[] h : files) {
            double[] cpu = AnomalyRows.values(AnomalyRows.lines(AnomalyRows.NAB.resolve(h[1] + ".csv.gz")));
            double[] mem = AnomalyRows.values(AnomalyRows.lines(AnomalyRows.NAB.resolve(h[2] + ".csv.gz")));
            double[][] rows = new double[cpu.length][];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = new double[] {cpu[i], mem[i]};
            }
            hosts.put(h[0], rows);
        }
        java.time.format.DateTimeFormatter time = java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'")
                .withZone(java.time.ZoneOffset.UTC);
        List<String> records = new ArrayList<>();
        int longest = hosts.values().stream().mapToInt(v -> v.length).max().orElseThrow();
        for (int i = 0; i < longest; i++) {
            String ts = time.format(java.time.Instant.parse("2026-01-01T00:00:00Z").plusSeconds(60L * i));
            for (Map.Entry<String, double[][]> h : hosts.entrySet()) {
                if (i < h.getValue().length) {
                    records.add("{\"host\":\"" + h.getKey() + "\",\"cpu\":" + h.getValue()[i][0] + ",\"mem\":" + h.getValue()[i][1]
                            + ",\"ts\":\"" + ts + "\"}");
                }
            }
            if (i == 500) {
                records.add("{\"host\":\"host-c\",\"cpu\":1.0,\"mem\":null,\"ts\":\"" + ts + "\"}");
                records.add("not json");
            }
        }
        KAFKA.broker().produce("metrics-in", records);
        String shipped = Files.readString(TOP.resolve("jobs/sql/anomaly-kafka.sql"));
        String insert = shipped.substring(shipped.indexOf("INSERT INTO anomalies"));
        String script = shipped.substring(shipped.indexOf("CREATE TABLE metrics"), shipped.indexOf("-- the scores"))
                .replace("'kafka:9092'", "'" + KAFKA.broker().bootstrapServers() + "'")
                .replace("'topic' = 'metrics'", "'topic' = 'metrics-in'")
                .replace("'scan.startup.mode' = 'earliest-offset',", "'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset',")
                + insert.substring(insert.indexOf("SELECT"));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        String out = run(script, new PrintStream(log, true, StandardCharsets.UTF_8));
        int rows = hosts.values().stream().mapToInt(v -> v.length).sum() + 1;
        assertTrue(log.toString(StandardCharsets.UTF_8).contains(rows + " rows"), log.toString(StandardCharsets.UTF_8));
        Map<String, List<String>> want = new java.util.TreeMap<>();
        hosts.forEach((h, v) -> want.put(h, AnomalyRows.direct(v, List.of("cpu", "mem"))));
        Map<String, List<String>> got = new java.util.TreeMap<>();
        List<String> errors = new ArrayList<>();
        for (String line : out.split("\n")) {
            JsonNode row = JSON.readTree(line);
            if (row.get("error").isNull()) {
                got.computeIfAbsent(row.get("host").asText(), k -> new ArrayList<>()).add(AnomalyRows.line(row));
            } else {
                errors.add(row.get("host").asText() + " " + row.get("error").asText()); // at once, not in time order
            }
        }
        assertEquals(want, got);
        assertEquals(List.of("host-c MISSING_INPUT: the feature column mem is NULL"), errors);
        assertTrue(got.values().stream().flatMap(List::stream).anyMatch(l -> l.contains(" mem ")), "the memory sets some scores");
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"repetition-kafka.sql, repetition", "anomaly-kafka.sql, anomalies"})
    void theDockerComposeScriptPlansAgainstTheBroker(String file, String sink) throws Exception {
        String shipped = Files.readString(TOP.resolve("jobs/sql/" + file))
                .replace("'kafka:9092'", "'" + KAFKA.broker().bootstrapServers() + "'")
                .replace("'/opt/flink-recurrent/jobs/", "'" + TOP + "/jobs/");
        StringBuilder explained = new StringBuilder();
        int inserts = 0;
        for (SqlScript.Statement s : SqlScript.split(shipped)) {
            boolean insert = s.sql().startsWith("INSERT");
            inserts += insert ? 1 : 0;
            explained.append(insert ? "EXPLAIN " + s.sql() : s.sql()).append(";\n");
        }
        assertEquals(2, inserts, "the generator and the function's INSERT");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        String plans = run(explained.toString(), new PrintStream(log, true, StandardCharsets.UTF_8));
        assertTrue(plans.contains("ProcessTableFunction") && plans.contains("Sink(table=[default_catalog.default_database." + sink + "]"), plans);
    }
}
