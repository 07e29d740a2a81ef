package io.flinkrecurrent.jobs;

import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.model.ModelLoader;
import io.flinkrecurrent.options.Option;
import io.flinkrecurrent.options.ParsedOptions;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * The options every example job shares: where its events come from, where its results go, its model
 * and the updates of its model while it runs.
 */
public final class JobOptions {
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
            "a folder (path or URI) watched for new .safetensors/.onnx files, each one the live model, and .json model-update records", null);
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
    private JobOptions() {}

    /** The model: --model FILE, else the job's bundled one from the class path. */
    public static RecurrentNetwork model(ParsedOptions p, String resource) throws IOException {
        if (p.has(MODEL)) {
            return ModelLoader.load(p.get(MODEL)).network();
        }
        return ModelLoader.load(java.nio.file.Path.of("classpath:" + resource), resource(resource), null).network();
    }

    static byte[] resource(String name) throws IOException {
        try (InputStream in = JobOptions.class.getClassLoader().getResourceAsStream(name)) {
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
}
