package io.flinkrecurrent.jobs;

import io.flinkrecurrent.options.ParsedOptions;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.serialization.SimpleStringEncoder;
import org.apache.flink.api.common.serialization.SimpleStringSchema;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.filesystem.rollingpolicies.OnCheckpointRollingPolicy;
import org.apache.flink.util.CloseableIterator;

import java.io.PrintStream;

import static io.flinkrecurrent.jobs.JobOptions.OUTPUT;
import static io.flinkrecurrent.jobs.JobOptions.OUTPUT_TOPIC;
import static io.flinkrecurrent.jobs.JobOptions.BOOTSTRAP;
import static io.flinkrecurrent.jobs.JobOptions.PARALLELISM;
import static io.flinkrecurrent.jobs.JobOptions.SINK;

/**
 * Where an example job's results go: stdout (locally, collected by the client with a summary line),
 * files committed at each checkpoint, or a Kafka topic written exactly-once; its rejected events go to
 * stderr.
 */
public final class JobSinks {
    private JobSinks() {}

    /**
     * Runs the job: results to the sink the options name, rejected events to stderr. Locally with
     * {@code --sink stdout} the client prints both as they come and ends with a one-line summary;
     * on a cluster, stdout is the TaskManagers'.
     */
    public static void run(StreamExecutionEnvironment env, ParsedOptions p, String job, DataStream<String> text,
                           DataStream<String> json, DataStream<String> rejected, boolean local, PrintStream out,
                           PrintStream err) throws Exception {
        if (p.has(PARALLELISM)) {
            env.setParallelism(p.get(PARALLELISM));
        }
        String sink = p.get(SINK);
        long start = System.nanoTime();
        if (sink.equals("stdout") && local) {
            DataStream<String> both = text.map(s -> "+" + s).returns(String.class).name("print")
                    .union(rejected.map(s -> "!" + s).returns(String.class).name("print-rejected"));
            long outputs = 0;
            long bad = 0;
            try (CloseableIterator<String> it = both.executeAndCollect(job)) {
                while (it.hasNext()) {
                    String s = it.next();
                    if (s.charAt(0) == '+') {
                        outputs++;
                        out.println(s.substring(1));
                    } else {
                        bad++;
                        err.println("rejected: " + s.substring(1));
                    }
                }
            }
            out.printf("%s: %d results, %d rejected events, in %.1f s%n", job, outputs, bad, (System.nanoTime() - start) / 1e9);
            return;
        }
        switch (sink) {
            case "stdout" -> text.print().name("stdout");
            // part files roll and commit at every checkpoint: what a checkpoint covers is visible, exactly once
            case "file" -> json.sinkTo(FileSink.forRowFormat(new Path(p.require(OUTPUT, "with --sink file")),
                            new SimpleStringEncoder<String>())
                    .withRollingPolicy(OnCheckpointRollingPolicy.build())
                    .build()).name("files").uid(job + "-files");
            case "kafka" -> json.sinkTo(KafkaSink.<String>builder()
                    .setBootstrapServers(p.require(BOOTSTRAP, "with --sink kafka"))
                    .setRecordSerializer(KafkaRecordSerializationSchema.builder()
                            .setTopic(p.require(OUTPUT_TOPIC, "with --sink kafka"))
                            .setValueSerializationSchema(new SimpleStringSchema()).build())
                    .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                    .setTransactionalIdPrefix("flink-recurrent-" + job)
                    // at most the broker's transaction.max.timeout.ms (15 min by default), or the job restarts forever
                    .setProperty("transaction.timeout.ms", "600000")
                    .build()).name("kafka").uid(job + "-kafka-sink");
            default -> throw new IllegalStateException(sink); // the option's parser allows no other
        }
        rejected.printToErr().name("rejected");
        JobClient client = env.executeAsync(job);
        out.println(job + ": submitted as job " + client.getJobID());
        if (local) {
            JobExecutionResult r = client.getJobExecutionResult().get();
            out.printf("%s: finished in %.1f s%n", job, r.getNetRuntime() / 1e3);
        }
    }
}
