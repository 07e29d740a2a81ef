package io.flinkrecurrent.replay;

import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.flink.ModelUpdate;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import io.flinkrecurrent.flink.Recurrent;
import io.flinkrecurrent.flink.RecurrentOutput;
import io.flinkrecurrent.io.JsonLineParser;
import io.flinkrecurrent.io.NumberedLine;
import io.flinkrecurrent.io.NumberedLineFormat;
import io.flinkrecurrent.updates.ModelUpdateJson;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code replay --engine flink}: the same replay as the plain engine, through the keyed recurrent
 * operator on Flink. A bounded file source reads the events with their line numbers; every output
 * and every rejected line comes back to the client, which puts them in input order.
 */
public final class ReplayJob {
    private ReplayJob() {}

    /** One result of the replay: an output or a rejected line, by line number. A Flink POJO. */
    public static class Result {
        public long line;
        public RecurrentOutput output;
        /** The reason a line was not replayed, or null. */
        public String error;

        public Result() {}

        Result(long line, RecurrentOutput output, String error) {
            this.line = line;
            this.output = output;
            this.error = error;
        }
    }

    /** The pipeline: numbered lines in, results (outputs with their state, and rejections) out. */
    public static DataStream<Result> pipeline(DataStream<NumberedLine> lines, RecurrentModel model) {
        return pipeline(lines, model, null, 0, List.of());
    }

    /**
     * The pipeline with model updates from control lines: the control lines are left out of the events,
     * their updates come on {@code updates}, and a refused one is a result at its line.
     */
    public static DataStream<Result> pipeline(DataStream<NumberedLine> lines, RecurrentModel model,
                                              DataStream<ModelUpdate> updates, int keepInputs, List<SwapLines.Control> controls) {
        DataStream<NumberedLine> eventLines = updates == null ? lines : Recurrent.sameParallelism(
                lines.filter(l -> l.text == null || !ModelUpdateJson.isRecord(l.text)).name("events-only"), lines);
        SingleOutputStreamOperator<KeyedEvent> events = Recurrent.sameParallelism(eventLines
                .process(new JsonLineParser(model.inputSize()), TypeInformation.of(KeyedEvent.class))
                .name("parse-events").uid("parse-events"), lines);
        Recurrent.Builder builder = Recurrent.builder(model).name("recurrent").emitState(true);
        if (updates != null) {
            builder.updates(updates).options(o -> o.keepInputs(keepInputs));
        }
        SingleOutputStreamOperator<RecurrentOutput> outputs = builder.apply(events);
        TypeInformation<Result> type = TypeInformation.of(Result.class);
        DataStream<Result> ok = outputs.map(o -> new Result(o.id, o, null)).returns(type).name("outputs");
        DataStream<Result> malformed = events.getSideOutput(Recurrent.REJECTED)
                .map(r -> new Result(r.id, null, r.message)).returns(type).name("malformed");
        DataStream<Result> rejected = outputs.getSideOutput(Recurrent.REJECTED)
                .map(r -> new Result(r.id, null, "line " + r.id + ": " + r.message)).returns(type).name("rejected");
        if (updates == null) {
            return ok.union(malformed, rejected);
        }
        List<SwapLines.Control> known = new ArrayList<>(controls);
        DataStream<Result> refused = outputs.getSideOutput(Recurrent.UPDATE_REJECTED)
                .map(r -> {
                    long line = 0;
                    for (SwapLines.Control c : known) {
                        if (r.update.equals(c.update())) {
                            line = c.line();
                        }
                    }
                    return new Result(line, null, "line " + line + ": model update refused: " + r.reason);
                }).returns(type).name("refused-updates");
        return ok.union(malformed, rejected, refused);
    }

    /**
     * Runs the replay of an events file with control lines: the lines from a source that holds at each
     * control line until every subtask has its update ({@link SwapLines}), the updates on the operator's
     * broadcast input; results sorted by line.
     */
    public static List<Result> runWithControls(StreamExecutionEnvironment env, java.nio.file.Path events,
                                               RecurrentModel model, int keepInputs, List<SwapLines.Control> controls)
            throws Exception {
        SwapLines.reset();
        long n = SwapLines.lines(events);
        // a control line with no line after it changes nothing
        List<SwapLines.Control> usable = controls.stream().filter(c -> c.update() != null && c.line() < n).toList();
        long[] at = usable.stream().mapToLong(SwapLines.Control::line).toArray();
        DataStream<NumberedLine> lines = env.fromSource(new DataGeneratorSource<>(new SwapLines.FileLines(events), n,
                SwapLines.holdAtControls(at, usable.stream().mapToLong(SwapLines.Control::eventsBefore).toArray(),
                        env.getParallelism()), TypeInformation.of(NumberedLine.class)),
                WatermarkStrategy.noWatermarks(), "events-file").uid("events-file").setParallelism(1);
        ModelUpdate[] all = usable.stream().map(SwapLines.Control::update).toArray(ModelUpdate[]::new);
        DataStream<ModelUpdate> updates = env.fromSource(new DataGeneratorSource<>(i -> all[(int) (long) i], all.length,
                SwapLines.updatesWhenReached(all.length), TypeInformation.of(ModelUpdate.class)),
                WatermarkStrategy.noWatermarks(), "control-lines").uid("control-lines").setParallelism(1);
        List<Result> results = new ArrayList<>();
        try (CloseableIterator<Result> it = pipeline(lines, model, updates, keepInputs, controls)
                .executeAndCollect("replay " + events.getFileName())) {
            it.forEachRemaining(results::add);
        }
        results.sort((a, b) -> Long.compare(a.line, b.line));
        return results;
    }

    /** Runs the replay of {@code events} on {@code env} and returns the results sorted by line. */
    public static List<Result> run(StreamExecutionEnvironment env, java.nio.file.Path events, RecurrentModel model)
            throws Exception {
        FileSource<NumberedLine> source = FileSource
                .forRecordStreamFormat(new NumberedLineFormat(), new Path(events.toAbsolutePath().toUri()))
                .build();
        DataStream<NumberedLine> lines = env.fromSource(source, WatermarkStrategy.noWatermarks(), "events-file")
                .uid("events-file");
        List<Result> results = new ArrayList<>();
        try (CloseableIterator<Result> it = pipeline(lines, model).executeAndCollect("replay " + events.getFileName())) {
            it.forEachRemaining(results::add);
        }
        results.sort((a, b) -> Long.compare(a.line, b.line));
        return results;
    }
}
