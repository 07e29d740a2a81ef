package io.flinkrecurrent.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.io.NumberedLine;
import io.flinkrecurrent.io.NumberedLineFormat;
import io.flinkrecurrent.model.ModelLoader;
import io.flinkrecurrent.options.Option;
import io.flinkrecurrent.options.ParsedOptions;
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

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Sources, sinks and options every example job shares. A job reads lines from its bundled sample
 * (bounded, the default), a file (CSV or JSON Lines) or a Kafka topic, and writes result lines to
 * stdout, files or a Kafka topic (exactly-once).
 */
public final class JobSupport {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static final Option<String> SOURCE = Option.choice("source",
            "where events come from: the bundled sample (bounded), --input, a Kafka topic, a synthetic stream",
            "sample", "sample", "file", "kafka", "generator");
    public static final Option<Double> RATE = Option.number("rate", "N", "--source generator: events per second", 1000.0, 0);
    public static final Option<Long> COUNT = Option.longInteger("count", "N", "--source generator: how many events", 100_000L, 1);
    public static final Option<String> INPUT = Option.text("input", "PATH", "file or folder to read (--source file); CSV or JSON Lines", null);
    public static final Option<String> SINK = Option.choice("sink", "where results go", "stdout", "stdout", "file", "kafka");
    public static final Option<String> OUTPUT = Option.text("output", "PATH",
            "folder to write result files to (--sink file); a path or a URI Flink can write (s3://...)", null);
    public static final Option<String> BOOTSTRAP = Option.text("bootstrap-servers", "HOST:PORT",
            "Kafka brokers (--source kafka or --sink kafka)", null);
    public static final Option<String> INPUT_TOPIC = Option.text("input-topic", "NAME", "topic to read (--source kafka)", null);
    public static final Option<String> OUTPUT_TOPIC = Option.text("output-topic", "NAME", "topic to write, exactly-once (--sink kafka)", null);
    public static final Option<String> GROUP_ID = Option.text("group-id", "NAME", "Kafka consumer group (default: flink-recurrent-<job>)", null);
    public static final Option<Boolean> BOUNDED = Option.flag("bounded", "with --source kafka: stop at the offsets current at start");
    public static final Option<java.nio.file.Path> MODEL = Option.path("model", "FILE", "a safetensors model instead of the bundled one");
    public static final Option<Integer> PARALLELISM = Option.integer("parallelism", "N",
            "the job's parallelism (default: the environment's)", null, 1);

    public static final Option<String> MODEL_UPDATES = Option.text("model-updates", "DIR",
            "a folder (path or URI) watched for new .safetensors/.onnx files: each one becomes the live model", null);
    public static final Option<String> UPDATE_POLICY = Option.choice("update-policy",
            "what each key's state does at a model update (reset, keep, warm_up)", "reset", "reset", "keep", "warm_up");
    public static final Option<Integer> WARM_UP = Option.integer("warm-up", "N",
            "with --update-policy warm_up: each key's last N inputs replayed through the new model", 20, 1);
    public static final Option<Integer> UPDATE_CHECK = Option.integer("update-check-ms", "MS",
            "how often the --model-updates folder is listed", 5000, 10);
    public static final Option<String> UPDATES_TOPIC = Option.text("model-updates-topic", "NAME",
            "a Kafka topic (on --bootstrap-servers) of JSON model updates, read from its start", null);

    /** The options of a job whose model can be updated while it runs. */
    public static final List<Option<?>> UPDATE_OPTIONS = List.of(MODEL_UPDATES, UPDATE_POLICY, WARM_UP, UPDATE_CHECK,
            UPDATES_TOPIC);

    /** The input and output options every job takes, after its own. */
    public static final List<Option<?>> IO_OPTIONS = List.of(SOURCE, RATE, COUNT, INPUT, SINK, OUTPUT, BOOTSTRAP,
            INPUT_TOPIC, OUTPUT_TOPIC, GROUP_ID, BOUNDED, MODEL, PARALLELISM);

    /** The line that follows the options in a job's help. */
    public static final String CONFIG_NOTE = "\nCheckpointing and the state backend come from Flink's configuration (config.yaml or -D).\n";

    private JobSupport() {}

    /** The model: --model FILE, else the job's bundled one from the class path. */
    public static RecurrentNetwork model(ParsedOptions p, String resource) throws IOException {
        if (p.has(MODEL)) {
            return ModelLoader.load(p.get(MODEL)).network();
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

    /** The inputs each key keeps for warm-ups: --warm-up when updates may ask for one (the folder's policy, or any record). */
    public static int keepInputs(ParsedOptions p) {
        return p.get(UPDATE_POLICY).equals("warm_up") || p.has(UPDATES_TOPIC) ? p.get(WARM_UP) : 0;
    }

    /** Model updates from the folder {@code --model-updates} or the topic {@code --model-updates-topic} names, or null. */
    public static DataStream<io.flinkrecurrent.flink.ModelUpdate> modelUpdates(StreamExecutionEnvironment env, ParsedOptions p,
                                                                           String job) {
        if (p.has(UPDATES_TOPIC)) {
            if (p.has(MODEL_UPDATES)) {
                throw new io.flinkrecurrent.options.UsageException(job, "--model-updates and --model-updates-topic: one source of updates");
            }
            // from the topic's start: a restarted job without a checkpoint ends on the latest update
            var source = KafkaSource.<io.flinkrecurrent.flink.ModelUpdate>builder()
                    .setBootstrapServers(p.require(BOOTSTRAP, "with --model-updates-topic"))
                    .setTopics(p.get(UPDATES_TOPIC))
                    .setGroupId("flink-recurrent-" + job + "-model-updates")
                    .setStartingOffsets(OffsetsInitializer.earliest())
                    .setDeserializer(new ModelUpdateRecords())
                    .build();
            return env.fromSource(source, WatermarkStrategy.noWatermarks(), "model-updates " + p.get(UPDATES_TOPIC))
                    .uid(job + "-model-updates-kafka").setParallelism(1);
        }
        if (!p.has(MODEL_UPDATES)) {
            return null;
        }
        var policy = io.flinkrecurrent.flink.ModelUpdate.Policy.valueOf(p.get(UPDATE_POLICY).toUpperCase(java.util.Locale.ROOT));
        return env.fromSource(io.flinkrecurrent.flink.ModelUpdates.watchDirectory(p.get(MODEL_UPDATES), java.time.Duration.ofMillis(p.get(UPDATE_CHECK)),
                        policy, policy == io.flinkrecurrent.flink.ModelUpdate.Policy.WARM_UP ? p.get(WARM_UP) : 0),
                WatermarkStrategy.noWatermarks(), "model-updates").uid(job + "-model-updates").setParallelism(1);
    }

    /** The job's input lines, numbered, from the source the options name. */
    public static DataStream<NumberedLine> lines(StreamExecutionEnvironment env, ParsedOptions p, Jobs.Job j)
            throws IOException {
        String source = p.get(SOURCE);
        String job = j.name();
        switch (source) {
            case "generator" -> {
                double rate = p.get(RATE);
                DataGeneratorSource<NumberedLine> gen = new DataGeneratorSource<>(i -> new NumberedLine(i + 1, j.generate(i)),
                        p.get(COUNT), RateLimiterStrategy.perSecond(rate), TypeInformation.of(NumberedLine.class));
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
                String input = p.require(INPUT, "with --source file");
                FileSource<NumberedLine> fs = FileSource.forRecordStreamFormat(new NumberedLineFormat(),
                        new Path(new java.io.File(input).getAbsoluteFile().toURI())).build();
                return env.fromSource(fs, WatermarkStrategy.noWatermarks(), "file " + input).uid(job + "-file");
            }
            case "kafka" -> {
                var b = KafkaSource.<NumberedLine>builder()
                        .setBootstrapServers(p.require(BOOTSTRAP, "with --source kafka"))
                        .setTopics(p.require(INPUT_TOPIC, "with --source kafka"))
                        .setGroupId(p.has(GROUP_ID) ? p.get(GROUP_ID) : "flink-recurrent-" + job)
                        .setStartingOffsets(OffsetsInitializer.earliest())
                        .setDeserializer(new KafkaLines());
                if (p.get(BOUNDED)) {
                    b.setBounded(OffsetsInitializer.latest());
                }
                return env.fromSource(b.build(), WatermarkStrategy.noWatermarks(), "kafka " + p.get(INPUT_TOPIC))
                        .uid(job + "-kafka");
            }
            default -> throw new IllegalStateException(source); // the option's parser allows no other
        }
    }

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
                    .withRollingPolicy(org.apache.flink.streaming.api.functions.sink.filesystem.rollingpolicies.OnCheckpointRollingPolicy.build())
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
