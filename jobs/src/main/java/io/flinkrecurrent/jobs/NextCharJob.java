package io.flinkrecurrent.jobs;

import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.io.NumberedLine;
import org.apache.flink.streaming.api.datastream.DataStream;
import io.flinkrecurrent.options.ParsedOptions;

/**
 * {@code next-char}: per key (say, per user typing), a stream of letters; per event, the most likely
 * next letter and its probability: after h,o,u,s the model says e; after l,i,s it says t. An LSTM
 * over one-hot letters trained on a word list by {@code jobs/next-char/train.py}.
 */
public final class NextCharJob implements Jobs.Job {
    public static final String NAME = "next-char";
    static final String LETTERS = "abcdefghijklmnopqrstuvwxyz";
    /** The model's outputs: the 26 letters, then the end of the word. */
    static final String OUTPUTS = LETTERS + "$";

    @Override public String name() { return NAME; }

    @Override public java.util.List<io.flinkrecurrent.options.Option<?>> options() { return JobOptions.UPDATE_OPTIONS; }

    @Override
    public String description() {
        return """
                Per key, a stream of letters a-z (reset=true on a word's first letter); per event, the most
                likely next letter, or $ for the end of the word, with its probability. Input lines:
                key,letter[,reset] as CSV, or {"key":...,"symbol":"h","reset":true} as JSON Lines.

                """;
    }

    @Override
    public String generate(long i) {
        return SymbolJobs.generatedLine(i, LETTERS);
    }

    /** The job as a function of streams. */
    public static SymbolJobs.Streams apply(DataStream<SymbolEvent> events, RecurrentModel model) {
        return SymbolJobs.apply(events, model, LETTERS, NAME, DECODER);
    }

    /** The most likely of the 27 outputs (softmax), and its probability. */
    static final SymbolJobs.Decoder DECODER = (out, r) -> {
        int best = 0;
        for (int i = 1; i < out.length; i++) {
            if (out[i] > out[best]) {
                best = i;
            }
        }
        r.prediction = String.valueOf(OUTPUTS.charAt(best));
        r.probability = out[best];
    };

    @Override
    public Jobs.Outputs build(DataStream<NumberedLine> lines, RecurrentModel model, ParsedOptions options) {
        var updates = JobSources.modelUpdates(lines.getExecutionEnvironment(), options, NAME);
        int keep = JobOptions.keepInputs(options);
        return SymbolJobs.outputs(lines, NAME, events -> SymbolJobs.apply(events, model, LETTERS, NAME, DECODER, updates, keep));
    }
}
