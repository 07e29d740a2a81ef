package io.flinkrecurrent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.flinkrecurrent.testing.AnomalyRows;
import io.flinkrecurrent.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code sql --file}: a script with a filesystem table (JSON format) over a golden events file, the
 * function called without CREATE FUNCTION, prints PyTorch's outputs; the {@code anomaly} function over
 * a CSV table of NAB files prints the detector's scores; a failing statement names its line.
 */
class SqlCommandITCase {
    @TempDir
    Path dir;

    static List<Path> models() {
        return CliTest.models();
    }

    /** The script over a golden stream: its key, seq, input and reset fields (the expected ones are ignored). */
    static String script(Path model) {
        return """
                -- golden events through the recurrent function
                CREATE TABLE events (
                    `key` STRING, seq BIGINT, input ARRAY<FLOAT>, `reset` BOOLEAN
                ) WITH ('connector' = 'filesystem', 'path' = '%s', 'format' = 'json');

                SELECT `key`, seq, output, error FROM recurrent(
                    input => TABLE events PARTITION BY `key`,
                    model => '%s',
                    reset_column => 'reset',
                    uid => 'golden');
                """.formatted(Golden.stream(model), model);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void aScriptOverAGoldenFilePrintsPyTorchsOutputs(Path model) throws IOException {
        Path sql = Files.writeString(dir.resolve("golden.sql"), script(model));
        Path out = dir.resolve("out.jsonl");
        CliTest.Run r = CliTest.run("sql", "--file", sql.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("line 2: CREATE TABLE events done"), r.err());
        List<JsonNode> golden = Golden.lines(Golden.stream(model));
        Map<String, JsonNode> rows = new HashMap<>();
        for (JsonNode row : Golden.lines(out)) {
            assertTrue(row.get("error").isNull(), row.toString());
            assertEquals(List.of("key", "seq", "output", "error"), List.copyOf(iterable(row)));
            rows.put(row.get("key").asText() + "#" + row.get("seq").asLong(), row);
        }
        assertEquals(golden.size(), rows.size(), "a row per event");
        assertTrue(r.err().contains("line 6: " + golden.size() + " rows"), r.err());
        for (JsonNode g : golden) {
            JsonNode row = rows.get(g.get("key").asText() + "#" + g.get("seq").asLong());
            assertNotNull(row, g.toString());
            Golden.assertClose(g.get("expected_output"), Golden.floats(row.get("output")), g.get("key") + "#" + g.get("seq"));
        }
    }

    private static List<String> iterable(JsonNode row) {
        java.util.ArrayList<String> names = new java.util.ArrayList<>();
        row.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /**
     * NAB files as they are (CSV with a header line) in a filesystem table, each file a key: the header
     * gives each key one error row (its value does not parse: NULL, as 'csv.ignore-parse-errors' says), and
     * every other row the score of the detector stepped directly over the file.
     */
    @Test
    void theAnomalyFunctionOverACsvTable() throws IOException {
        Path data = Files.createDirectories(dir.resolve("metrics"));
        Map<String, List<String>> want = new java.util.TreeMap<>();
        for (String f : List.of("realKnownCause/nyc_taxi", "realAWSCloudwatch/ec2_cpu_utilization_24ae8d",
                "artificialWithAnomaly/art_daily_jumpsup", "realTraffic/speed_7578", "realAdExchange/exchange-3_cpc_results")) {
            List<String> lines = AnomalyRows.lines(AnomalyRows.NAB.resolve(f + ".csv.gz"));
            String name = Path.of(f).getFileName() + ".csv";
            Files.write(data.resolve(name), lines);
            List<String> rows = new java.util.ArrayList<>();
            rows.add("MISSING_INPUT: the feature column value is NULL");
            rows.addAll(AnomalyRows.direct(AnomalyRows.values(lines), "value"));
            want.put(name, rows);
        }
        Path sql = Files.writeString(dir.resolve("anomaly.sql"), """
                CREATE TABLE metrics (
                    `timestamp` TIMESTAMP(3),
                    `value`     DOUBLE,
                    file        STRING NOT NULL METADATA FROM 'file.name' VIRTUAL
                ) WITH ('connector' = 'filesystem', 'path' = '%s', 'format' = 'csv', 'csv.ignore-parse-errors' = 'true');

                SELECT * FROM anomaly(input => TABLE metrics PARTITION BY file, features => DESCRIPTOR(`value`));
                """.formatted(data));
        Path out = dir.resolve("scores.jsonl");
        CliTest.Run r = CliTest.run("sql", "--file", sql.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        Map<String, List<String>> got = new java.util.TreeMap<>();
        for (JsonNode row : Golden.lines(out)) {
            assertEquals(List.of("file", "score", "cause", "metric", "alert", "error"), List.copyOf(iterable(row)));
            got.computeIfAbsent(row.get("file").asText(), k -> new java.util.ArrayList<>())
                    .add(row.get("error").isNull() ? AnomalyRows.line(row) : row.get("error").asText());
        }
        assertEquals(want, got);
    }

    @Test
    void aFailingStatementNamesItsLineAndTheProblem() throws IOException {
        Path sql = Files.writeString(dir.resolve("bad.sql"), """
                CREATE TABLE events (k STRING, input ARRAY<FLOAT>)
                  WITH ('connector' = 'filesystem', 'path' = '%s', 'format' = 'json');
                SELECT * FROM recurrent(input => TABLE events PARTITION BY k, model => 'no/such.safetensors');
                """.formatted(dir.resolve("none.jsonl")));
        CliTest.Run r = CliTest.run("sql", "--file", sql.toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("the statement at line 3 (SELECT * FROM ...) failed"), r.err());
        assertTrue(r.err().contains("the model 'no/such.safetensors' cannot be loaded"), r.err());
    }

    /** The script as shipped; its paths are from the repository's top, the tests run in jobs/. */
    @Test
    void theArticleScriptShippedWithTheJobs() throws IOException {
        Path top = Path.of("").toAbsolutePath().getParent();
        String shipped = Files.readString(top.resolve("jobs/sql/article.sql"));
        Path sql = Files.writeString(dir.resolve("article.sql"), shipped.replace("'jobs/", "'" + top + "/jobs/"));
        CliTest.Run r = CliTest.run("sql", "--file", sql.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("{\"key\":\"article\",\"seq\":2,\"output\":[-16.0],\"error\":null}"), r.out());
    }
}
