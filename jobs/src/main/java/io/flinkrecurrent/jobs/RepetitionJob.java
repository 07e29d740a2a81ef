package io.flinkrecurrent.jobs;

import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.io.NumberedLine;
import org.apache.flink.streaming.api.datastream.DataStream;
import io.flinkrecurrent.options.ParsedOptions;

/**
 * {@code repetition}: per key, a stream of digit symbols; per event, the probability that this symbol
 * already occurred in the key's current sequence (the article: F(3) = 0 the first time, 1 the second).
 * A GRU over one-hot digits, trained by {@code jobs/repetition/train.py}.
 */
public final class RepetitionJob implements Jobs.Job {
    public static final String NAME = "repetition";
    static final String SYMBOLS = "0123456789";

    @Override public String name() { return NAME; }

    @Override public java.util.List<io.flinkrecurrent.options.Option<?>> options() { return JobOptions.UPDATE_OPTIONS; }

    @Override
    public String description() {
        return """
                Per key, a stream of digits 0-9; per event, the probability that this digit already occurred
                in the key's current sequence (a reset starts a new sequence). Input lines: key,symbol[,reset]
                as CSV, or {"key":...,"symbol":"3","reset":true} as JSON Lines. Output: key, seq, symbol,
                seen|new and the probability of "seen".

                """;
    }

    @Override
    public String generate(long i) {
        return SymbolJobs.generatedLine(i, SYMBOLS);
    }

    /** The model's one output is the probability that the symbol was seen before in the sequence. */
    static final SymbolJobs.Decoder DECODER = (out, r) -> {
        r.probability = out[0];
        r.prediction = out[0] >= 0.5f ? "seen" : "new";
    };

    /** The job as a function of streams. */
    public static SymbolJobs.Streams apply(DataStream<SymbolEvent> events, RecurrentModel model) {
        return SymbolJobs.apply(events, model, SYMBOLS, NAME, DECODER);
    }

    @Override
    public Jobs.Outputs build(DataStream<NumberedLine> lines, RecurrentModel model, ParsedOptions options) {
        var updates = JobSources.modelUpdates(lines.getExecutionEnvironment(), options, NAME);
        int keep = JobOptions.keepInputs(options);
        return SymbolJobs.outputs(lines, NAME, events -> SymbolJobs.apply(events, model, SYMBOLS, NAME, DECODER, updates, keep));
    }
}
