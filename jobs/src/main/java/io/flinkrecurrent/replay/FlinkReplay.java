package io.flinkrecurrent.replay;

import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.flink.ModelReference;
import io.flinkrecurrent.flink.RecurrentOutput;
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
    static long replay(RecurrentNetwork net, Path events, int parallelism, int keepInputs, Utf8Lines in, Writer out,
                       PrintStream stderr) throws IOException {
        List<SwapLines.Control> controls = SwapLines.controls(events, net.inputSize());
        Configuration conf = new Configuration();
        conf.set(CoreOptions.DEFAULT_PARALLELISM, parallelism);
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        if (!controls.isEmpty()) {
            conf.setString(UpdateWatch.CONFIG, UpdateWatch.class.getName());
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(parallelism);
        List<ReplayJob.Result> results;
        try {
            results = controls.isEmpty() ? ReplayJob.run(env, events, net)
                    : ReplayJob.runWithControls(env, events, net, keepInputs, controls);
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("the Flink replay failed: " + e.getMessage(), e);
        }
        // Results are sorted by line; the file is read again alongside for each line's own seq.
        long skipped = 0;
        long lineNo = 0;
        int next = 0;
        int control = 0;
        String first = Long.toHexString(net.fingerprint()); // the operator's version until a control line swaps
        String line;
        while ((line = in.next()) != null) {
            lineNo++;
            if (control < controls.size() && controls.get(control).line() == lineNo) {
                SwapLines.Control c = controls.get(control++);
                if (c.update() == null) {
                    stderr.println("line " + lineNo + ": model update refused: " + c.error() + " (skipped)");
                    skipped++;
                }
            }
            String previousError = null;
            while (next < results.size() && results.get(next).line == lineNo) {
                ReplayJob.Result r = results.get(next++);
                if (r.error != null) {
                    if (!r.error.equals(previousError)) { // a refused update comes once from each subtask
                        stderr.println(r.error + " (skipped)");
                        skipped++;
                    }
                    previousError = r.error;
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
                Replay.writeResult(out, o.version.equals(first) ? net : network(o.version, controls),
                        o.key, seq, o.version.equals(first) ? null : o.version, o.output, o.state);
            }
        }
        return skipped;
    }

    /** The network of a control line's version (to split its state into h and c), read once. */
    private static RecurrentNetwork network(String version, List<SwapLines.Control> controls) {
        for (SwapLines.Control c : controls) {
            if (c.update() != null && version.equals(c.update().version)) {
                return ModelReference.load(c.update().reference, c.update().sha256).network();
            }
        }
        throw new IllegalStateException("an output of version " + version + ", which no control line names");
    }
}
