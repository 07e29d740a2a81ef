package io.flinkrecurrent.savepointcli;

import io.flinkrecurrent.options.UsageException;

import java.io.PrintStream;
import java.util.Arrays;

/** {@code savepoint inspect|bootstrap}: read a recurrent operator's state from a savepoint, or write one from a history. */
public final class SavepointCommand {
    public static final String USAGE = """
            savepoint inspect --savepoint PATH [--uid UID] [--model FILE] [--state] [--out FILE]
            savepoint bootstrap --model FILE --events FILE --out PATH [--uid UID] [--max-parallelism N] [options]

            inspect: one JSON line per key of the recurrent operator UID in a savepoint or retained checkpoint
            (hashmap or RocksDB, canonical or native; the DataStream operator or the SQL function): its seq,
            count since its last reset, the model its state belongs to (and whether it is --model's), event and
            processing times, the norms of its state (the state itself with --state), the shadow's state, the
            kept inputs, the events waiting in the event-time ordering buffer and for a first model.
            `savepoint inspect --savepoint PATH --list` lists the savepoint's operators and their states.

            bootstrap: a warm start. Each key's state computed from a bounded history of events (JSON Lines, the
            replay format; or a Kafka topic up to given offsets) with the operator's own step code, written as a
            savepoint for the operator UID; start the job from it (`flink run -s PATH ...`) with the same model
            and options. See docs/savepoints.md.

            inspect options:
            """ + SavepointInspect.OPTIONS.help() + """

            bootstrap options:
            """ + SavepointBootstrap.OPTIONS.help();

    private SavepointCommand() {}

    /** {@code args[0]} is "savepoint", {@code args[1]} the subcommand. */
    public static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        if (args.length < 2) {
            throw new UsageException("savepoint", "savepoint needs a subcommand: inspect or bootstrap");
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        return switch (args[1]) {
            case "inspect" -> SavepointInspect.run(rest, out, err);
            case "bootstrap" -> SavepointBootstrap.run(rest, out, err);
            default -> throw new UsageException("savepoint", "unknown subcommand '" + args[1] + "' (inspect or bootstrap)");
        };
    }
}
