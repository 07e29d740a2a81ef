package io.flinkrecurrent.replay;

import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.runtime.InputRing;
import io.flinkrecurrent.flink.KeyState;
import io.flinkrecurrent.runtime.ModelChain;
import io.flinkrecurrent.io.Event;
import io.flinkrecurrent.cell.Kernels;
import io.flinkrecurrent.io.JsonEvents;
import io.flinkrecurrent.io.NumberedLine;
import io.flinkrecurrent.io.Utf8Lines;
import io.flinkrecurrent.model.LoadedModel;
import io.flinkrecurrent.options.Option;
import io.flinkrecurrent.options.ModelOptions;
import io.flinkrecurrent.options.OptionSet;
import io.flinkrecurrent.options.ParsedOptions;
import io.flinkrecurrent.options.UsageException;
import io.flinkrecurrent.updates.ModelUpdateJson;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code replay}: steps every key's state through a file of events in file order and writes one
 * result line per event, in input order. The plain engine: no Flink, one thread, a map of states.
 */
public final class Replay {
    static final Option<Path> EVENTS = Option.path("events", "FILE", "JSON Lines input (required)");
    static final Option<Path> OUT = Option.path("out", "FILE", "where to write (default: stdout)");
    static final Option<String> ENGINE = Option.choice("engine", """
            local: one thread, a map of states; flink: the keyed recurrent operator
            on an embedded Flink, reading the file with a bounded file source; the
            same output, in input order""", "local", "local", "flink");
    static final Option<Integer> PARALLELISM = Option.integer("parallelism", "N", "Flink's parallelism, with --engine flink", 2, 1);
    static final Option<Integer> KEEP_INPUTS = Option.integer("keep-inputs", "N",
            "each key's last inputs kept for a control line's warm_up", 64, 0);
    static final OptionSet OPTIONS = OptionSet.of(EVENTS, OUT, ENGINE, PARALLELISM, KEEP_INPUTS).with(ModelOptions.ALL);

    public static final String USAGE = """
            replay --model FILE --events FILE [--out FILE] [--engine local|flink [--parallelism N]] [model options]

            Reads events as JSON Lines ({"key":..., "seq":..., "input":[...], "reset":true|false}; other
            fields are ignored), steps each key's state in file order (a reset zeroes the key's state
            before its event is applied) and writes one line per event, in input order:
              {"key":...,"seq":...,"output":[...],"h":[[...],...],"c":[[...],...]}
            (h: one array per layer; c: LSTM only). seq is the event's own, or the key's event count
            when the line has none. A malformed line is reported on stderr with its line number and
            skipped; the run goes on.

            A control line swaps the model for every key from that line on, as a model update does in
            a running job; each key meets the new model at its next event, as the policy says:
              {"model": "FILE", "policy": "reset" | "keep" | "warm_up", "warm_up": N, "version": "NAME"}
            (reset: from zeros; keep: the state carries over, same layout only; warm_up: the key's last
            N inputs since its last reset replayed through the new model first). Result lines after a
            control line name the version that made them: "model":"NAME" (default: the file's name
            without its extension). A control line is the model-update record of a running job's
            topic or folder ("kind", "sha256" too), read with the same rules.

            """ + OPTIONS.help() + """

            Exit status: 0 all lines replayed; 3 some lines were skipped; 1 the model or a file could
            not be read; 2 usage error.
            """;

    /** What a line whose step overflows is told (the operator's NON_FINITE_STATE). */
    static final String NON_FINITE_STATE = "the step made the key's state or the output NaN or infinite (an overflow); "
            + "the event is not applied and the key keeps its state from before it";

    /** Exit status when the run completed but skipped malformed lines. */
    public static final int EXIT_SKIPPED = 3;

    private Replay() {}

    public static int run(String[] argv, PrintStream stdout, PrintStream stderr) throws IOException {
        ParsedOptions a = OPTIONS.parse("replay", argv, 1);
        Path events = a.require(EVENTS, "");
        String engine = a.get(ENGINE);
        int parallelism = a.get(PARALLELISM);
        if (a.has(PARALLELISM) && engine.equals("local")) {
            throw new UsageException("replay", "option --parallelism goes with --engine flink");
        }
        LoadedModel model = ModelOptions.load(a);
        if (!Files.isRegularFile(events)) {
            throw new NoSuchFileException(events.toString(), null, "events file not found");
        }
        if (a.has(OUT) && sameFile(events, a.get(OUT))) {
            throw new UsageException("replay", "--out " + a.get(OUT) + " is the events file " + events
                    + ": writing would destroy the input");
        }
        Writer out = a.has(OUT)
                ? Files.newBufferedWriter(a.get(OUT), StandardCharsets.UTF_8)
                : new BufferedWriter(new OutputStreamWriter(stdout, StandardCharsets.UTF_8), 1 << 16);
        long skipped;
        try (Utf8Lines in = new Utf8Lines(Files.newInputStream(events))) {
            skipped = engine.equals("flink")
                    ? FlinkReplay.replay(model.network(), events, parallelism, a.get(KEEP_INPUTS), in, out, stderr)
                    : replay(model.network(), a.get(KEEP_INPUTS), in, out, stderr);
        } finally {
            if (a.has(OUT)) {
                out.close();
            } else {
                out.flush();
            }
        }
        if (skipped > 0) {
            stderr.println("replay: skipped " + skipped + " malformed line" + (skipped == 1 ? "" : "s") + " of " + events);
            return EXIT_SKIPPED;
        }
        return 0;
    }

    /** Whether {@code out} names the events file, through any path or link (a file that does not exist yet cannot be it). */
    static boolean sameFile(Path events, Path out) throws IOException {
        return Files.exists(out) && Files.isSameFile(events, out);
    }

    /** Writes one result line: the output, and every layer's h (and c for an LSTM) out of the key's state. */
    static void writeResult(Writer out, RecurrentNetwork net, String key, long seq, float[] output, float[] state)
            throws IOException {
        writeResult(out, net, key, seq, null, output, state);
    }

    static void writeResult(Writer out, RecurrentNetwork net, String key, long seq, String version, float[] output,
                            float[] state) throws IOException {
        int layers = net.numLayers();
        boolean lstm = net.layer(0).cellSize() > 0;
        float[][] h = new float[layers][];
        float[][] c = lstm ? new float[layers][] : null;
        for (int l = 0; l < layers; l++) {
            h[l] = net.h(state, l);
            if (lstm) {
                c[l] = net.c(state, l);
            }
        }
        JsonEvents.writeResult(out, key, seq, version, output, h, c);
    }

    /** What the plain engine keeps per key: the operator's state, and its recent inputs for warm-ups. */
    private static final class Key {
        final KeyState state = new KeyState();
        float[] ring;
        long count;
    }

    /**
     * Replays every line; returns how many were skipped (each reported on {@code stderr}). Control lines
     * change the model through the library's {@link ModelChain}, as the operator's update input does.
     */
    static long replay(RecurrentNetwork first, int keepInputs, Utf8Lines in, Writer out, PrintStream stderr) throws IOException {
        ModelChain chain = new ModelChain(first, null, keepInputs);
        RecurrentNetwork net = first;
        String version = null; // named in the results once a control line changed the model
        Map<String, Key> keys = new HashMap<>();
        float[] output = new float[net.outputSize()];
        float[] before = new float[net.stateSize()];
        io.flinkrecurrent.cell.Scratch scratch = net.newScratch();
        long lineNo = 0;
        long skipped = 0;
        String line;
        while ((line = in.next()) != null) {
            lineNo++;
            if (in.malformed()) {
                stderr.println("line " + lineNo + ": " + NumberedLine.NOT_UTF8 + " (skipped)");
                skipped++;
                continue;
            }
            if (line.isBlank()) {
                continue;
            }
            if (ModelUpdateJson.isRecord(line)) {
                String refused;
                try {
                    refused = chain.apply(ModelUpdateJson.decode(line));
                } catch (ModelUpdateJson.BadRecordException ex) {
                    refused = ex.getMessage();
                }
                if (refused != null && !ModelChain.DUPLICATE.equals(refused)) {
                    stderr.println("line " + lineNo + ": model update refused, the model stays " + (version != null ? version
                            : "as it was") + ": " + refused + " (skipped)");
                    skipped++;
                    continue;
                }
                net = (RecurrentNetwork) chain.model();
                version = chain.version();
                output = new float[net.outputSize()];
                before = new float[net.stateSize()];
                scratch = net.newScratch();
                continue;
            }
            Event e;
            try {
                e = JsonEvents.parse(line, net.inputSize());
            } catch (JsonEvents.MalformedEventException ex) {
                stderr.println("line " + lineNo + ": " + ex.getMessage() + " (skipped)");
                skipped++;
                continue;
            }
            Key k = keys.get(e.key());
            if (k == null) {
                k = new Key();
                k.state.fingerprint = chain.tag();
                k.state.state = net.newState();
                keys.put(e.key(), k);
            } else if (k.state.fingerprint != chain.tag()
                    && chain.bringUpToDate(k.state, k.ring, () -> null) == ModelChain.Change.UNKNOWN) {
                k.state.fingerprint = chain.tag();
                k.state.state = net.newState();
                k.state.sinceReset = 0;
            }
            float[] state = k.state.state;
            if (e.reset()) {
                java.util.Arrays.fill(state, 0f);
                k.state.sinceReset = 0;
            }
            System.arraycopy(state, 0, before, 0, state.length);
            net.step(output, state, e.input(), scratch);
            if (!Kernels.allFinite(state) || !Kernels.allFinite(output)) {
                System.arraycopy(before, 0, state, 0, state.length); // as the operator: the key keeps its state
                stderr.println("line " + lineNo + ": " + NON_FINITE_STATE + " (skipped)");
                skipped++;
                continue;
            }
            if (keepInputs > 0) {
                if (k.ring == null) {
                    k.ring = InputRing.create(keepInputs, net.inputSize());
                } else if (k.state.sinceReset == 0) {
                    InputRing.clear(k.ring);
                }
                InputRing.push(k.ring, e.input());
            }
            k.state.sinceReset++;
            long seq = e.seq() >= 0 ? e.seq() : k.count;
            k.count++;
            writeResult(out, net, e.key(), seq, version, output, state);
        }
        return skipped;
    }
}
