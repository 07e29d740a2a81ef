package io.flinkrecurrent.sqlrunner;

import io.flinkrecurrent.anomaly.sql.AnomalyFunction;
import io.flinkrecurrent.sql.RecurrentFunction;
import io.flinkrecurrent.sql.RecurrentPassThroughFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.DeploymentOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.ResultKind;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.util.List;

/**
 * Runs a SQL script's statements, in order, on an embedded Flink (or the cluster the environment
 * points at), with {@link RecurrentFunction} registered as {@code recurrent},
 * {@link RecurrentPassThroughFunction} as {@code recurrent_pass_through} and the anomaly module's
 * {@link AnomalyFunction} as {@code anomaly}: DDL and SET take effect,
 * the rows of every query (SELECT, SHOW, EXPLAIN...) are written as JSON Lines, and INSERTs are
 * submitted as they come and run side by side as in Flink's SQL Client (one after the other with
 * {@code SET 'table.dml-sync' = 'true'}); the script ends when they have. A statement that fails stops
 * the script, with its line in the error.
 */
public final class SqlRunner {
    private final StreamTableEnvironment tables;

    /**
     * An embedded Flink; or, when {@code conf} names an {@code execution.target} ({@code remote} with
     * {@code rest.address} and {@code rest.port}, as a {@code config.yaml} can), that cluster, with the jars
     * in {@code pipeline.jars} (the job jar, for the function) shipped with every job.
     */
    public SqlRunner(Configuration conf) {
        StreamExecutionEnvironment env = conf.getOptional(DeploymentOptions.TARGET).isPresent()
                ? new StreamExecutionEnvironment(conf)
                : StreamExecutionEnvironment.getExecutionEnvironment(conf);
        tables = StreamTableEnvironment.create(env);
        tables.createTemporarySystemFunction(RecurrentFunction.NAME, RecurrentFunction.class);
        tables.createTemporarySystemFunction(RecurrentPassThroughFunction.NAME, RecurrentPassThroughFunction.class);
        tables.createTemporarySystemFunction(AnomalyFunction.NAME, AnomalyFunction.class);
    }

    /** Runs every statement; the rows of queries go to {@code rows}, one line of progress per statement to {@code log}. */
    public void run(List<SqlScript.Statement> statements, Writer rows, PrintStream log) throws IOException {
        List<SqlScript.Statement> running = new java.util.ArrayList<>();
        List<TableResult> results = new java.util.ArrayList<>();
        for (SqlScript.Statement s : statements) {
            TableResult r;
            try {
                r = tables.executeSql(s.sql());
            } catch (RuntimeException e) {
                throw new SqlStatementException(s, e);
            }
            if (dml(s.sql()) && r.getJobClient().isPresent()) {
                running.add(s);
                results.add(r);
                log.println("line " + s.line() + ": " + firstWords(s.sql()) + " ... submitted as job " + r.getJobClient().get().getJobID());
            } else if (r.getResultKind() == ResultKind.SUCCESS_WITH_CONTENT) {
                long n = 0;
                try (JsonRows json = new JsonRows(rows, r.getResolvedSchema().getColumnNames());
                     CloseableIterator<Row> it = r.collect()) {
                    while (it.hasNext()) {
                        json.write(it.next());
                        n++;
                    }
                } catch (RuntimeException e) {
                    throw new SqlStatementException(s, e);
                } catch (Exception e) {
                    throw new IOException(e);
                }
                rows.flush();
                log.println("line " + s.line() + ": " + n + " rows");
            } else {
                log.println("line " + s.line() + ": " + firstWords(s.sql()) + " done");
            }
        }
        // INSERTs run side by side, as in Flink's SQL Client (unless SET 'table.dml-sync' = 'true'); the script ends with them
        for (int i = 0; i < results.size(); i++) {
            try {
                results.get(i).await();
            } catch (Exception e) {
                throw new SqlStatementException(running.get(i), e);
            }
            log.println("line " + running.get(i).line() + ": " + firstWords(running.get(i).sql()) + " ... done");
        }
    }

    /** An INSERT or a statement set: a job whose result is a count, not rows to write. */
    private static boolean dml(String sql) {
        String first = sql.strip().split("\\s+", 2)[0].toUpperCase(java.util.Locale.ROOT);
        return first.equals("INSERT") || first.equals("EXECUTE") || first.equals("BEGIN");
    }

    private static String firstWords(String sql) {
        String[] w = sql.strip().split("\\s+", 4);
        return String.join(" ", java.util.Arrays.copyOf(w, Math.min(3, w.length)));
    }

    /** A statement failed: names its line and the first words, with Flink's message. */
    public static final class SqlStatementException extends RuntimeException {
        SqlStatementException(SqlScript.Statement s, Throwable cause) {
            super("the statement at line " + s.line() + " (" + firstWords(s.sql()) + " ...) failed: " + rootMessage(cause), cause);
        }

        private static String rootMessage(Throwable t) {
            StringBuilder b = new StringBuilder(String.valueOf(t.getMessage()));
            Throwable c = t.getCause();
            // the planner's own messages are on the innermost validation cause
            while (c != null) {
                if (c.getMessage() != null && !b.toString().contains(c.getMessage())) {
                    b.append("\n  caused by: ").append(c.getMessage());
                }
                c = c.getCause();
            }
            return b.toString();
        }
    }
}
