package io.flinkrecurrent.savepointcli;

import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.flink.Recurrent;
import io.flinkrecurrent.flink.RecurrentOptions;
import io.flinkrecurrent.flink.RejectedEvent;
import io.flinkrecurrent.io.JsonLineParser;
import io.flinkrecurrent.io.NumberedLine;
import io.flinkrecurrent.io.NumberedLineFormat;
import io.flinkrecurrent.model.ModelFiles;
import io.flinkrecurrent.options.Option;
import io.flinkrecurrent.options.OptionSet;
import io.flinkrecurrent.options.ParsedOptions;
import io.flinkrecurrent.options.UsageException;
import io.flinkrecurrent.savepoint.RecurrentBootstrap;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code savepoint bootstrap}: a savepoint for the recurrent operator computed from a history of events
 * (the replay format's JSON Lines, from a file or a Kafka topic up to given offsets), each key stepped
 * with the operator's own code ({@link RecurrentBootstrap}) on an embedded Flink.
 */
final class SavepointBootstrap {
    static final Option<Path> MODEL = new Option<>("model", "FILE",
            "the job's model file (.safetensors or .onnx) (required)", null, null, t -> new Path(t));
    static final Option<String> EVENTS = Option.text("events", "FILE",
            "the history: JSON Lines events {\"key\":...,\"input\":[...],\"reset\":...} in the order the job would read them", null);
    static final Option<String> BOOTSTRAP = Option.text("bootstrap-servers", "HOST:PORT",
            "the history from Kafka instead: the brokers", null);
    static final Option<String> TOPIC = Option.text("topic", "NAME", "with Kafka: the topic of JSON Lines events", null);
    static final Option<Map<Integer, Long>> UNTIL = new Option<>("until-offsets", "P:O,...",
            "with Kafka: read each partition P from its start up to offset O (exclusive), e.g. 0:1200,1:980 (required with Kafka)",
            null, null, SavepointBootstrap::offsets);
    static final Option<String> OUT = Option.text("out", "PATH", "the savepoint directory to write (must not hold one yet) (required)", null);
    static final Option<String> UID = Option.text("uid", "UID", "the recurrent operator's uid in the job", "recurrent");
    static final Option<Integer> MAX_PARALLELISM = Option.integer("max-parallelism", "N",
            "the savepoint's maximum parallelism (the job's key groups: it cannot change later)", 128, 1);
    static final Option<Integer> PARALLELISM = Option.integer("parallelism", "N", "the bootstrap's parallelism", 2, 1);
    static final Option<Long> RESET_AFTER = Option.longInteger("reset-after", "N", "the job's resetAfterSteps(N)", null, 1);
    static final Option<Integer> KEEP_INPUTS = Option.integer("keep-inputs", "N", "the job's keepInputs(N) (model updates' warm-up)", null, 1);
    static final Option<String> ON_NON_FINITE = Option.choice("on-non-finite", "the job's onNonFiniteState policy", "reject",
            "reject", "reset");
    static final Option<Long> STATE_TTL = Option.longInteger("state-ttl-ms", "MS", "the job's stateTtl, in milliseconds", null, 1);
    static final OptionSet OPTIONS = OptionSet.of(MODEL, EVENTS, BOOTSTRAP, TOPIC, UNTIL, OUT, UID, MAX_PARALLELISM, PARALLELISM,
            RESET_AFTER, KEEP_INPUTS, ON_NON_FINITE, STATE_TTL);

    private static final Pattern KEY = Pattern.compile("\"key\"\\s*:\\s*(\"((?:[^\"\\\\]|\\\\.)*)\"|-?\\d+)");

    private SavepointBootstrap() {}

    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        ParsedOptions p = OPTIONS.parse("savepoint", args, 1);
        Path modelPath = p.require(MODEL, "");
        String target = p.require(OUT, "");
        boolean kafka = p.has(BOOTSTRAP) || p.has(TOPIC);
        if (kafka == p.has(EVENTS)) {
            throw new UsageException("savepoint", "give the history as --events FILE or as --bootstrap-servers, --topic and --until-offsets");
        }
        File dir = target.startsWith("file:") ? new File(java.net.URI.create(target)) : new File(target);
        if (new File(dir, "_metadata").exists()) {
            err.println("error: " + target + " holds a savepoint already; give another --out");
            return 1;
        }
        RecurrentNetwork model = ModelFiles.load(java.nio.file.Path.of(modelPath.getPath())).network();
        RecurrentOptions.Builder o = RecurrentOptions.builder();
        if (p.has(RESET_AFTER)) {
            o.resetAfterSteps(p.get(RESET_AFTER));
        }
        if (p.has(KEEP_INPUTS)) {
            o.keepInputs(p.get(KEEP_INPUTS));
        }
        if (p.get(ON_NON_FINITE).equals("reset")) {
            o.onNonFiniteState(RecurrentOptions.NonFinitePolicy.RESET);
        }
        if (p.has(STATE_TTL)) {
            o.stateTtl(Duration.ofMillis(p.get(STATE_TTL)));
        }

        Configuration conf = new Configuration();
        conf.set(ExecutionOptions.RUNTIME_MODE, RuntimeExecutionMode.STREAMING);
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(p.get(PARALLELISM));
        String from;
        DataStream<NumberedLine> lines;
        if (kafka) {
            String topic = p.require(TOPIC, "with Kafka");
            Map<Integer, Long> until = p.require(UNTIL, "with Kafka");
            Map<TopicPartition, Long> stop = new HashMap<>();
            until.forEach((part, off) -> stop.put(new TopicPartition(topic, part), off));
            KafkaSource<NumberedLine> source = KafkaSource.<NumberedLine>builder()
                    .setBootstrapServers(p.require(BOOTSTRAP, "with Kafka"))
                    .setGroupId("flink-recurrent-bootstrap")
                    .setPartitions(new java.util.HashSet<>(stop.keySet()))
                    .setStartingOffsets(OffsetsInitializer.earliest())
                    .setBounded(OffsetsInitializer.offsets(stop))
                    .setDeserializer(new KafkaLines())
                    .build();
            from = "topic " + topic;
            lines = env.fromSource(source, WatermarkStrategy.noWatermarks(), "kafka " + topic);
        } else {
            String events = p.get(EVENTS);
            if (!new File(events).isFile()) {
                err.println("error: " + events + ": no such file");
                return 1;
            }
            from = events;
            FileSource<NumberedLine> fs = FileSource.forRecordStreamFormat(new NumberedLineFormat(),
                    new Path(new File(events).getAbsoluteFile().toURI())).build();
            lines = env.fromSource(fs, WatermarkStrategy.noWatermarks(), "file " + events).setParallelism(1);
        }
        SingleOutputStreamOperator<KeyedEvent> events = Recurrent.sameParallelism(
                lines.process(new JsonLineParser(model.inputSize()), TypeInformation.of(KeyedEvent.class)).name("parse-events"), lines);
        CloseableIterator<RejectedEvent> bad = events.getSideOutput(Recurrent.REJECTED).collectAsync();
        RecurrentBootstrap.keyedEvents(model).options(o.build())
                .write(events, p.get(UID), p.get(MAX_PARALLELISM), dir.getAbsoluteFile().toURI().toString());
        long start = System.nanoTime();
        env.execute("savepoint bootstrap " + p.get(UID));
        List<String> problems = new ArrayList<>();
        bad.forEachRemaining(r -> problems.add(describe(from, r)));
        bad.close();
        problems.sort(null);
        for (String s : problems) {
            err.println("error: " + s + " (skipped, as the job skips it)");
        }
        out.println("savepoint bootstrap: " + dir.getAbsoluteFile().toURI() + " for operator '" + p.get(UID) + "' (max parallelism "
                + p.get(MAX_PARALLELISM) + ", model " + Long.toHexString(model.fingerprint()) + ") from " + from + ", "
                + problems.size() + " lines skipped, in " + (System.nanoTime() - start) / 1_000_000 + " ms");
        return problems.isEmpty() ? 0 : 3;
    }

    /** "FILE: line 12: field 'input' ... (key acct-17)". */
    static String describe(String from, RejectedEvent r) {
        String key = r.key;
        if (key == null && r.raw != null) {
            Matcher m = KEY.matcher(r.raw);
            if (m.find()) {
                key = m.group(2) != null ? m.group(2) : m.group(1);
            }
        }
        return from + ": " + r.message + (key != null ? " (key " + key + ")" : "");
    }

    static Map<Integer, Long> offsets(String text) {
        Map<Integer, Long> m = new java.util.TreeMap<>();
        for (String part : text.split(",")) {
            String[] po = part.trim().split(":");
            if (po.length != 2) {
                throw new IllegalArgumentException("expected PARTITION:OFFSET[,...], got '" + part.trim() + "'");
            }
            try {
                int partition = Integer.parseInt(po[0].trim());
                long offset = Long.parseLong(po[1].trim());
                if (partition < 0 || offset < 0) {
                    throw new NumberFormatException();
                }
                if (m.put(partition, offset) != null) {
                    throw new IllegalArgumentException("partition " + partition + " is given twice");
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("expected a partition and an offset, non-negative integers, got '" + part.trim() + "'");
            }
        }
        return m;
    }

    /** A Kafka record's value as a numbered line (partition and offset). */
    static final class KafkaLines implements KafkaRecordDeserializationSchema<NumberedLine> {
        private static final long serialVersionUID = 1L;

        @Override
        public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<NumberedLine> out) {
            String text = record.value() == null ? "" : new String(record.value(), StandardCharsets.UTF_8);
            out.collect(NumberedLine.record(record.partition(), record.offset(), text));
        }

        @Override
        public TypeInformation<NumberedLine> getProducedType() {
            return TypeInformation.of(NumberedLine.class);
        }
    }
}
