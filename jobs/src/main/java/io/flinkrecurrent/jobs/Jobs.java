package io.flinkrecurrent.jobs;

import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.io.NumberedLine;
import io.flinkrecurrent.flink.RejectedEvent;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import io.flinkrecurrent.options.Option;
import io.flinkrecurrent.options.OptionSet;
import io.flinkrecurrent.options.ParsedOptions;

import java.io.PrintStream;
import java.util.List;

/** The example jobs by name, and how one runs: options, source, the job's streams, sink. */
public final class Jobs {
    private Jobs() {}

    /** An example job: a function from input lines to result streams, plus its name, usage and bundled files. */
    public interface Job extends java.io.Serializable {
        String name();

        /** What the job does and what its input looks like: the paragraph of its help. */
        String description();

        /** Options of this job beyond {@link JobOptions#IO_OPTIONS}. */
        default List<Option<?>> options() {
            return List.of();
        }

        /** All the options the job takes: its own, then the input and output ones. */
        default OptionSet optionSet() {
            return OptionSet.of(options()).with(JobOptions.IO_OPTIONS);
        }

        /** The job's help, written from its description and its options' declarations. */
        default String usage() {
            return name() + " [options]\n\n" + description().stripTrailing() + "\n\n" + optionSet().help()
                    + JobOptions.CONFIG_NOTE;
        }

        default String modelResource() {
            return "jobs/" + name() + "/model.safetensors";
        }

        default String sampleResource() {
            return "jobs/" + name() + "/sample.csv";
        }

        Outputs build(DataStream<NumberedLine> lines, RecurrentModel model, ParsedOptions options);

        /** The i-th line of this job's synthetic input ({@code --source generator}): deterministic in i. */
        String generate(long i);
    }

    /** A job's results as readable text and as JSON lines, and the events it rejected. */
    public record Outputs(DataStream<String> text, DataStream<String> json, DataStream<RejectedEvent> rejected) {}

    public static final List<Job> ALL = List.of(new RepetitionJob(), new NextCharJob(), new AnomalyJob());

    /** The job of that name, or null. */
    public static Job byName(String name) {
        return ALL.stream().filter(j -> j.name().equals(name)).findFirst().orElse(null);
    }

    /**
     * Runs a job on the environment of this context: an embedded mini-cluster locally, the cluster
     * under {@code flink run} or the REST API.
     *
     * @param local true when run from the command line here (results printed by the client)
     */
    public static void run(Job job, String[] args, boolean local, PrintStream out, PrintStream err) throws Exception {
        ParsedOptions p = job.optionSet().parse(job.name(), args);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        RecurrentModel model = JobOptions.model(p, job.modelResource());
        DataStream<NumberedLine> lines = JobSources.lines(env, p, job);
        Outputs o = job.build(lines, model, p);
        DataStream<String> rejected = o.rejected().map(RejectedEvent::toString).returns(String.class).name("rejected-text");
        JobSinks.run(env, p, job.name(), o.text(), o.json(), rejected, local, out, err);
    }
}
