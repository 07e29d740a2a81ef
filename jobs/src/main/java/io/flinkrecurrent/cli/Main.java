package io.flinkrecurrent.cli;

import io.flinkrecurrent.jobs.Jobs;
import io.flinkrecurrent.nab.NabRun;
import io.flinkrecurrent.replay.Replay;
import io.flinkrecurrent.model.ModelFileException;
import io.flinkrecurrent.options.UsageException;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.NoSuchFileException;

/** The command-line entry point: {@code <command> [options]}. */
public final class Main {
    static final String USAGE = """
            flink-recurrent: recurrent neural networks (RNN, GRU, LSTM) on keyed event streams.

            Usage: <command> [options]     (locally: mvn -q -f jobs compile exec:exec -Dexec.args='<command> <options>')

            Commands:
              replay      step each key's state through a file of events and write every output
              inspect     show what a model file holds
              sql         run a SQL script with the function `recurrent` and write the queries' rows
              savepoint   inspect a savepoint's recurrent state per key, or bootstrap one from a history (warm start)
              help        this text, or `help <command>` for one command

            Example jobs (on an embedded Flink; the same jobs run on a cluster from jobs/target/flink-recurrent.jar):
              repetition  per key, the probability that each digit already occurred in the sequence
              next-char   per key, the most likely next letter of the word being typed
              anomaly     per key, an anomaly score in [0, 1] for each timestamp,value

            The Numenta Anomaly Benchmark:
              nab         run the anomaly detector over NAB and score it
            """;

    private Main() {}

    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        System.out.flush();
        System.exit(code);
    }

    /** Runs a command and returns its exit status (0 success, 1 failure, 2 usage error, others per command). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        String command = args.length == 0 ? "help" : args[0];
        try {
            return switch (command) {
                case "help", "--help", "-h" -> help(args.length > 1 ? args[1] : null, out, err);
                case "replay" -> Replay.run(args, out, err);
                case "inspect" -> Inspect.run(args, out);
                case "sql" -> SqlCommand.run(args, out, err);
                case "savepoint" -> io.flinkrecurrent.savepointcli.SavepointCommand.run(args, out, err);
                case "nab" -> {
                    NabRun.run(java.util.Arrays.copyOfRange(args, 1, args.length), out);
                    yield 0;
                }
                default -> {
                    Jobs.Job job = Jobs.byName(command);
                    if (job == null) {
                        throw new UsageException(null, "unknown command '" + command + "'");
                    }
                    Jobs.run(job, java.util.Arrays.copyOfRange(args, 1, args.length), true, out, err);
                    yield 0;
                }
            };
        } catch (UsageException e) {
            err.println("error: " + e.getMessage());
            err.println();
            err.print(usage(e.command()));
            return 2;
        } catch (ModelFileException e) {
            err.println("error: " + e.getMessage());
            return 1;
        } catch (NoSuchFileException e) {
            err.println("error: " + e.getFile() + ": " + (e.getReason() != null ? e.getReason() : "no such file"));
            return 1;
        } catch (IOException e) {
            err.println("error: " + e);
            return 1;
        } catch (Exception e) {
            err.println("error: " + command + " failed: " + e);
            return 1;
        }
    }

    private static int help(String command, PrintStream out, PrintStream err) {
        if (command != null && usage(command) == null) {
            err.println("error: unknown command '" + command + "'");
            err.println();
            err.print(USAGE);
            return 2;
        }
        out.print(command == null ? USAGE : usage(command));
        return 0;
    }

    static String usage(String command) {
        if (command == null) {
            return USAGE;
        }
        return switch (command) {
            case "replay" -> Replay.USAGE;
            case "inspect" -> Inspect.USAGE;
            case "sql" -> SqlCommand.USAGE;
            case "savepoint" -> io.flinkrecurrent.savepointcli.SavepointCommand.USAGE;
            case "help" -> USAGE;
            case "nab" -> NabRun.USAGE;
            default -> Jobs.byName(command) == null ? null : Jobs.byName(command).usage();
        };
    }
}
