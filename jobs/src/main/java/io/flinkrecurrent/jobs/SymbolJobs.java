package io.flinkrecurrent.jobs;

import io.flinkrecurrent.updates.UnusableUpdate;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.flink.InputFiller;
import io.flinkrecurrent.flink.InputRejected;
import io.flinkrecurrent.io.LineParser;
import io.flinkrecurrent.io.NumberedLine;
import io.flinkrecurrent.flink.Recurrent;
import io.flinkrecurrent.flink.RecurrentStream;
import io.flinkrecurrent.flink.RejectedEvent;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

import java.io.Serializable;

/**
 * What the symbol jobs (repetition, next-char) share: symbols one-hot over an alphabet, the recurrent
 * operator, and a decoder from the model's output to an answer.
 */
public final class SymbolJobs {
    private SymbolJobs() {}

    /** Turns a model output into the answer for one event. */
    @FunctionalInterface
    public interface Decoder extends Serializable {
        /** {@code // output (model output size) -> r.prediction, r.probability} */
        void decode(float[] output, SymbolResult r);
    }

    /** The results of a symbol job, and the events it could not use (with the reason). */
    public record Streams(DataStream<SymbolResult> results, DataStream<RejectedEvent> rejected) {}

    /**
     * The job as a function of streams: each key's symbols through the model (the typed API: the
     * symbol one-hot encoded straight into the model's input, the result built from the event), one
     * result per symbol. A symbol outside the alphabet goes to {@code rejected}.
     */
    public static Streams apply(DataStream<SymbolEvent> events, RecurrentModel model, String alphabet, String name,
                                Decoder decoder) {
        return apply(events, model, alphabet, name, decoder, null, 0);
    }

    /**
     * The job with model updates while it runs ({@code updates}, or null for none): each result names
     * the model version that made it, and an update a subtask refused is a rejection with the reason.
     */
    public static Streams apply(DataStream<SymbolEvent> events, RecurrentModel model, String alphabet, String name,
                                Decoder decoder, DataStream<io.flinkrecurrent.flink.ModelUpdate> updates, int keepInputs) {
        if (model.inputSize() != alphabet.length()) {
            throw new IllegalArgumentException(name + ": the model takes " + model.inputSize()
                    + " inputs but the alphabet has " + alphabet.length() + " symbols");
        }
        boolean versioned = updates != null;
        var builder = Recurrent.of(model)
                .keyBy(SymbolEvent::key, Types.STRING)
                .input(new OneHot(alphabet))
                .resetWhen(SymbolEvent::isReset)
                .emit((e, y, ctx) -> {
                    SymbolResult r = new SymbolResult();
                    r.key = ctx.key();
                    r.seq = ctx.seq();
                    r.symbol = e.symbol.toLowerCase(java.util.Locale.ROOT);
                    r.model = versioned ? ctx.modelVersion() : null;
                    decoder.decode(y, r);
                    return r;
                }, SymbolResult.class)
                .name(name);
        if (versioned) {
            builder = builder.updates(updates).modelVersion("bundled").options(o -> o.keepInputs(keepInputs));
        }
        RecurrentStream<SymbolEvent, SymbolResult> results = builder.apply(events);
        DataStream<RejectedEvent> rejected = results.rejected()
                .map(r -> new RejectedEvent(r.key, r.reason, r.message, null, r.event.symbol))
                .returns(TypeInformation.of(RejectedEvent.class)).name(name + "-rejected");
        if (versioned) {
            rejected = rejected.union(results.rejectedUpdates()
                    .map(u -> new RejectedEvent(null, RejectedEvent.Reason.MALFORMED, u.update instanceof UnusableUpdate bad
                            ? "model update refused by subtask " + u.subtask + ": " + bad
                            : "model update " + u.update + " refused by subtask " + u.subtask + ": " + u.reason, null, null))
                    .returns(TypeInformation.of(RejectedEvent.class)).name(name + "-refused-updates"));
        }
        return new Streams(results, rejected);
    }

    /**
     * Line i of a synthetic stream of symbols: 50 keys in turn, each sequence 1 to 12 symbols long,
     * the first symbol of each sequence with reset=true. Deterministic in i.
     */
    static String generatedLine(long i, String alphabet) {
        final int keys = 50;
        long k = i % keys;
        long n = i / keys; // the key's n-th event
        long h = mix(k * 1_000_003L + n);
        boolean reset = n == 0 || mix(k * 7919L + n) % 8 == 0;
        return "key-" + k + "," + alphabet.charAt((int) Long.remainderUnsigned(h, alphabet.length())) + "," + reset;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return (z ^ (z >>> 31)) & Long.MAX_VALUE;
    }

    /** Parses the lines, applies the job, and renders its results as text and JSON. */
    static Jobs.Outputs outputs(DataStream<NumberedLine> lines, String name,
                                java.util.function.Function<DataStream<SymbolEvent>, Streams> job) {
        SingleOutputStreamOperator<SymbolEvent> events = Recurrent.sameParallelism(lines.process(new ParseSymbols(),
                TypeInformation.of(SymbolEvent.class)).name("parse").uid(name + "-parse"), lines);
        Streams s = job.apply(events);
        return new Jobs.Outputs(
                s.results().map(SymbolResult::toText).returns(String.class).name("text"),
                s.results().map(SymbolResult::toJson).returns(String.class).name("json"),
                events.getSideOutput(Recurrent.REJECTED).union(s.rejected()));
    }

    /** A symbol, one-hot over the alphabet, into the model's input; a symbol outside it is rejected, not guessed. */
    static final class OneHot implements InputFiller<SymbolEvent> {
        private final String alphabet;

        OneHot(String alphabet) {
            this.alphabet = alphabet;
        }

        @Override
        public void fill(float[] x, SymbolEvent e) throws InputRejected {
            int i = e.symbol == null || e.symbol.length() != 1 ? -1 : alphabet.indexOf(Character.toLowerCase(e.symbol.charAt(0)));
            if (i < 0) {
                throw new InputRejected(RejectedEvent.Reason.MALFORMED, "symbol '" + e.symbol + "' is not one of '" + alphabet + "'");
            }
            java.util.Arrays.fill(x, 0f);
            x[i] = 1f;
        }
    }

    /** Parses {@code key,symbol[,reset]} or {@code {"key":...,"symbol":...,"reset":...}}; '#' lines and a header are skipped. */
    static final class ParseSymbols extends LineParser<SymbolEvent> {
        @Override
        protected boolean skip(String t) {
            return t.startsWith("#") || t.startsWith("key,");
        }

        @Override
        protected SymbolEvent parse(String t, NumberedLine where) {
            return t.startsWith("{") ? fromJson(t) : fromCsv(t);
        }

        static SymbolEvent fromCsv(String t) {
            String[] f = t.split(",", -1);
            if (f.length < 2 || f.length > 3 || f[0].isBlank()) {
                throw new IllegalArgumentException("expected key,symbol[,reset], got '" + t + "'");
            }
            return new SymbolEvent(f[0].trim(), f[1].trim(), f.length == 3 && parseBool(f[2].trim()));
        }

        /** A CSV reset column: true, 1, yes, reset; false, 0, no or empty. */
        static boolean parseBool(String s) {
            return switch (s.toLowerCase(java.util.Locale.ROOT)) {
                case "true", "1", "yes", "reset" -> true;
                case "false", "0", "no", "" -> false;
                default -> throw new IllegalArgumentException("'" + s + "' is not a boolean");
            };
        }

        static SymbolEvent fromJson(String t) {
            com.fasterxml.jackson.databind.JsonNode n = JobJson.tree(t);
            if (!n.path("key").isTextual() || !n.path("symbol").isTextual()) {
                throw new IllegalArgumentException("expected {\"key\":...,\"symbol\":...}, got " + t);
            }
            return new SymbolEvent(n.get("key").asText(), n.get("symbol").asText(), n.path("reset").asBoolean(false));
        }
    }
}
