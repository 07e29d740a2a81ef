package io.flinkrecurrent.cli;

import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.flink.Recurrent;
import io.flinkrecurrent.flink.RecurrentOutput;
import io.flinkrecurrent.io.JsonLineParser;
import io.flinkrecurrent.io.NumberedLine;
import io.flinkrecurrent.io.NumberedLineFormat;
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
        SingleOutputStreamOperator<KeyedEvent> events = Recurrent.sameParallelism(lines
                .process(new JsonLineParser(model.inputSize()), TypeInformation.of(KeyedEvent.class))
                .name("parse-events").uid("parse-events"), lines);
        SingleOutputStreamOperator<RecurrentOutput> outputs = Recurrent.builder(model)
                .name("recurrent").emitState(true).apply(events);
        TypeInformation<Result> type = TypeInformation.of(Result.class);
        DataStream<Result> ok = outputs.map(o -> new Result(o.id, o, null)).returns(type).name("outputs");
        DataStream<Result> malformed = events.getSideOutput(Recurrent.REJECTED)
                .map(r -> new Result(r.id, null, r.message)).returns(type).name("malformed");
        DataStream<Result> rejected = outputs.getSideOutput(Recurrent.REJECTED)
                .map(r -> new Result(r.id, null, "line " + r.id + ": " + r.message)).returns(type).name("rejected");
        return ok.union(malformed, rejected);
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
