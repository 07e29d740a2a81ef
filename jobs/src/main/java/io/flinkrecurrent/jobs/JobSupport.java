package io.flinkrecurrent.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.io.NumberedLine;
import io.flinkrecurrent.io.NumberedLineFormat;
import io.flinkrecurrent.model.ModelLoader;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.serialization.SimpleStringEncoder;
import org.apache.flink.api.common.serialization.SimpleStringSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.ParameterTool;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Sources, sinks and options every example job shares. A job reads lines from its bundled sample
 * (bounded, the default), a file (CSV or JSON Lines) or a Kafka topic, and writes result lines to
 * stdout, files or a Kafka topic (exactly-once).
 */
public final class JobSupport {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static final String IO_USAGE = """
              --source sample|file|kafka|generator   where events come from (default: sample, the bundled file)
              --rate N, --count N          --source generator: events per second (default 1000), how many (default 100000)
              --input PATH                 file or folder to read (--source file); CSV or JSON Lines
              --output PATH                folder to write result files to (--sink file)
              --sink stdout|file|kafka     where results go (default: stdout)
              --bootstrap-servers HOST:PORT  Kafka brokers (--source kafka or --sink kafka)
              --input-topic NAME           topic to read (--source kafka)
              --output-topic NAME          topic to write, exactly-once (--sink kafka)
              --group-id NAME              Kafka consumer group (default: flink-recurrent-<job>)
              --bounded                    with --source kafka: stop at the offsets current at start
              --model FILE                 a safetensors model instead of the bundled one
              --parallelism N              the job's parallelism (default: the environment's)
            Checkpointing and the state backend come from Flink's configuration (config.yaml or -D).
            """;

    private JobSupport() {}

    /** Raised for bad options; the job's usage follows the message. */
    public static final class UsageError extends RuntimeException {
        public UsageError(String message) {
            super(message, null, false, false);
        }
    }

    /** Reads a job's options, refusing the ones it does not know. */
    public static ParameterTool options(String[] args, Set<String> jobOptions) {
        ParameterTool p = ParameterTool.fromArgs(args);
        Set<String> known = new HashSet<>(Set.of("source", "input", "output", "sink", "bootstrap-servers", "input-topic",
                "output-topic", "group-id", "bounded", "model", "parallelism", "rate", "count"));
        known.addAll(jobOptions);
        for (String k : p.toMap().keySet()) {
            if (!known.contains(k)) {
                throw new UsageError("unknown option --" + k);
            }
        }
        return p;
    }

    static String require(ParameterTool p, String name, String why) {
        String v = p.get(name);
        if (v == null || v.isBlank() || v.equals("__NO_VALUE_KEY")) { // ParameterTool's marker for a flag without value
            throw new UsageError("option --" + name + " is required " + why);
        }
        return v;
    }

    /** The model: --model FILE, else the job's bundled one from the class path. */
    public static RecurrentNetwork model(ParameterTool p, String resource) throws IOException {
        if (p.has("model")) {
            return ModelLoader.load(java.nio.file.Path.of(p.get("model"))).network();
        }
        return ModelLoader.load(java.nio.file.Path.of("classpath:" + resource), resource(resource), null).network();
    }

    static byte[] resource(String name) throws IOException {
        try (InputStream in = JobSupport.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("bundled resource " + name + " is missing from the class path");
            }
            return in.readAllBytes();
        }
    }

    /** The job's input lines, numbered, from the source the options name. */
    public static DataStream<NumberedLine> lines(StreamExecutionEnvironment env, ParameterTool p, Jobs.Job j)
            throws IOException {
        String source = p.get("source", "sample");
        String job = j.name();
        switch (source) {
            case "generator" -> {
                double rate = p.getDouble("rate", 1000);
                DataGeneratorSource<NumberedLine> gen = new DataGeneratorSource<>(i -> new NumberedLine(i + 1, j.generate(i)),
                        p.getLong("count", 100_000), RateLimiterStrategy.perSecond(rate), TypeInformation.of(NumberedLine.class));
                return env.fromSource(gen, WatermarkStrategy.noWatermarks(), "generator").uid(job + "-generator")
                        .setParallelism(1);
            }
            case "sample" -> {
                String[] text = new String(resource(j.sampleResource()), StandardCharsets.UTF_8).split("\n");
                List<NumberedLine> lines = new ArrayList<>();
                for (int i = 0; i < text.length; i++) {
                    lines.add(new NumberedLine(i + 1, text[i]));
                }
                return env.fromData(TypeInformation.of(NumberedLine.class), lines.toArray(new NumberedLine[0]))
                        .name("sample").uid(job + "-sample").setParallelism(1);
            }
            case "file" -> {
                String input = require(p, "input", "with --source file");
                FileSource<NumberedLine> fs = FileSource.forRecordStreamFormat(new NumberedLineFormat(),
                        new Path(new java.io.File(input).getAbsoluteFile().toURI())).build();
                return env.fromSource(fs, WatermarkStrategy.noWatermarks(), "file " + input).uid(job + "-file");
            }
            case "kafka" -> {
                var b = KafkaSource.<NumberedLine>builder()
                        .setBootstrapServers(require(p, "bootstrap-servers", "with --source kafka"))
                        .setTopics(require(p, "input-topic", "with --source kafka"))
                        .setGroupId(p.get("group-id", "flink-recurrent-" + job))
                        .setStartingOffsets(OffsetsInitializer.earliest())
                        .setDeserializer(new KafkaLines());
                if (p.has("bounded")) {
                    b.setBounded(OffsetsInitializer.latest());
                }
                return env.fromSource(b.build(), WatermarkStrategy.noWatermarks(), "kafka " + p.get("input-topic"))
                        .uid(job + "-kafka");
            }
            default -> throw new UsageError("option --source is sample, file, kafka or generator, not '" + source + "'");
        }
    }

    /**
     * Runs the job: results to the sink the options name, rejected events to stderr. Locally with
     * {@code --sink stdout} the client prints both as they come and ends with a one-line summary;
     * on a cluster, stdout is the TaskManagers'.
     */
    public static void run(StreamExecutionEnvironment env, ParameterTool p, String job, DataStream<String> text,
                           DataStream<String> json, DataStream<String> rejected, boolean local, PrintStream out,
                           PrintStream err) throws Exception {
        if (p.has("parallelism")) {
            env.setParallelism(p.getInt("parallelism"));
        }
        String sink = p.get("sink", "stdout");
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
            case "file" -> json.sinkTo(FileSink.forRowFormat(new Path(require(p, "output", "with --sink file")),
                    new SimpleStringEncoder<String>()).build()).name("files").uid(job + "-files");
            case "kafka" -> json.sinkTo(KafkaSink.<String>builder()
                    .setBootstrapServers(require(p, "bootstrap-servers", "with --sink kafka"))
                    .setRecordSerializer(KafkaRecordSerializationSchema.builder()
                            .setTopic(require(p, "output-topic", "with --sink kafka"))
                            .setValueSerializationSchema(new SimpleStringSchema()).build())
                    .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                    .setTransactionalIdPrefix("flink-recurrent-" + job)
                    // at most the broker's transaction.max.timeout.ms (15 min by default), or the job restarts forever
                    .setProperty("transaction.timeout.ms", "600000")
                    .build()).name("kafka").uid(job + "-kafka-sink");
            default -> throw new UsageError("option --sink is stdout, file or kafka, not '" + sink + "'");
        }
        rejected.printToErr().name("rejected");
        JobClient client = env.executeAsync(job);
        out.println(job + ": submitted as job " + client.getJobID());
        if (local) {
            JobExecutionResult r = client.getJobExecutionResult().get();
            out.printf("%s: finished in %.1f s%n", job, r.getNetRuntime() / 1e3);
        }
    }

    /** A Kafka record's value as a line, with its partition and offset (what a rejection names). */
    static final class KafkaLines implements org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema<NumberedLine> {
        @Override
        public void deserialize(org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]> record,
                                org.apache.flink.util.Collector<NumberedLine> out) {
            String text = record.value() == null ? "" : new String(record.value(), StandardCharsets.UTF_8);
            out.collect(NumberedLine.record(record.partition(), record.offset(), text));
        }

        @Override
        public TypeInformation<NumberedLine> getProducedType() {
            return TypeInformation.of(NumberedLine.class);
        }
    }

    static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode json(String s) {
        try {
            return JSON.readTree(s);
        } catch (IOException e) {
            throw new IllegalArgumentException("invalid JSON: " + e.getMessage());
        }
    }

    static boolean parseBool(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "true", "1", "yes", "reset" -> true;
            case "false", "0", "no", "" -> false;
            default -> throw new IllegalArgumentException("'" + s + "' is not a boolean");
        };
    }
}
