package io.flinkrecurrent.cli;

import io.flinkrecurrent.options.Option;
import io.flinkrecurrent.options.OptionSet;
import io.flinkrecurrent.options.ParsedOptions;
import io.flinkrecurrent.sqlrunner.SqlRunner;
import io.flinkrecurrent.sqlrunner.SqlScript;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** {@code sql}: a SQL script's statements on an embedded Flink, with the functions {@code recurrent} and {@code anomaly} registered. */
final class SqlCommand {
    static final Option<Path> FILE = Option.path("file", "SCRIPT", "the SQL script: statements ended by ; (required)");
    static final Option<Path> OUT = Option.path("out", "FILE", "where the queries' rows go, as JSON Lines (default: stdout)");
    static final OptionSet OPTIONS = OptionSet.of(FILE, OUT);

    static final String USAGE = """
            sql --file SCRIPT.sql [--out FILE]

            Runs the script's statements in order on an embedded Flink, with the recurrent function
            registered as `recurrent` (and as `recurrent_pass_through`, which keeps the input's columns)
            and the anomaly detector as `anomaly` (no CREATE FUNCTION needed):
              SELECT * FROM recurrent(input => TABLE readings PARTITION BY device_id,
                                      model => 'models/sensor.safetensors', uid => 'sensor-rnn')
              SELECT * FROM anomaly(input => TABLE metrics PARTITION BY host,
                                    features => DESCRIPTOR(cpu), uid => 'host-anomalies')
            CREATE TABLE with the filesystem connector and the json or csv format, and Kafka tables,
            work as they are. SET 'key' = 'value' sets Flink options. The rows of each query are written as
            JSON Lines, one object per row, the column names as fields. INSERTs are submitted as they
            come and run side by side, as in Flink's SQL Client (SET 'table.dml-sync' = 'true' runs
            them one after the other); the command ends when they have. A progress line per statement
            goes to stderr. Configuration: Flink's config.yaml in
            $FLINK_CONF_DIR when set, and the script's SET statements; a config.yaml with
            execution.target: remote (and rest.address, rest.port, pipeline.jars: the job jar) sends
            the queries to that cluster instead of an embedded one.

            """ + OPTIONS.help() + """

            Exit status: 0 every statement ran; 1 a statement failed (its line is named); 2 usage error.
            """;

    private SqlCommand() {}

    static int run(String[] argv, PrintStream stdout, PrintStream stderr) throws IOException {
        ParsedOptions a = OPTIONS.parse("sql", argv, 1);
        Path file = a.require(FILE, "");
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "SQL script not found");
        }
        var statements = SqlScript.split(Files.readString(file));
        String confDir = System.getenv("FLINK_CONF_DIR");
        Configuration conf = confDir != null ? GlobalConfiguration.loadConfiguration(confDir) : new Configuration();
        try (Writer out = a.has(OUT)
                ? Files.newBufferedWriter(a.get(OUT), StandardCharsets.UTF_8)
                : new BufferedWriter(new OutputStreamWriter(stdout, StandardCharsets.UTF_8))) {
            new SqlRunner(conf).run(statements, out, stderr);
        } catch (SqlRunner.SqlStatementException e) {
            stderr.println("error: " + file + ": " + e.getMessage());
            return 1;
        }
        return 0;
    }
}
