package io.flinkrecurrent.cli;

import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.flink.RecurrentOutput;
import io.flinkrecurrent.cli.ReplayJob;
import io.flinkrecurrent.io.JsonEvents;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import io.flinkrecurrent.io.Utf8Lines;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.file.Path;
import java.util.List;

/** {@code replay --engine flink}: runs {@link ReplayJob} on an embedded Flink and writes its results in input order. */
final class FlinkReplay {
    private FlinkReplay() {}

    /** Returns how many lines were skipped (each reported on {@code stderr}). */
    static long replay(RecurrentNetwork net, Path events, int parallelism, Utf8Lines in, Writer out,
                       PrintStream stderr) throws IOException {
        Configuration conf = new Configuration();
        conf.set(CoreOptions.DEFAULT_PARALLELISM, parallelism);
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(parallelism);
        List<ReplayJob.Result> results;
        try {
            results = ReplayJob.run(env, events, net);
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("the Flink replay failed: " + e.getMessage(), e);
        }
        // Results are sorted by line; the file is read again alongside for each line's own seq.
        long skipped = 0;
        long lineNo = 0;
        int next = 0;
        String line;
        while ((line = in.next()) != null) {
            lineNo++;
            while (next < results.size() && results.get(next).line == lineNo) {
                ReplayJob.Result r = results.get(next++);
                if (r.error != null) {
                    stderr.println(r.error + " (skipped)");
                    skipped++;
                    continue;
                }
                RecurrentOutput o = r.output;
                long seq = o.seq;
                try {
                    long own = JsonEvents.parse(line, -1).seq();
                    seq = own >= 0 ? own : seq;
                } catch (JsonEvents.MalformedEventException e) {
                    throw new IllegalStateException("line " + lineNo + " replayed but does not parse", e);
                }
                Replay.writeResult(out, net, o.key, seq, o.output, o.state);
            }
        }
        return skipped;
    }
}
