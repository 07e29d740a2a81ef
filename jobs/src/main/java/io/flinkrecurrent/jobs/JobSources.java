package io.flinkrecurrent.jobs;

import io.flinkrecurrent.flink.ModelUpdate;
import io.flinkrecurrent.flink.ModelUpdates;
import io.flinkrecurrent.io.NumberedLine;
import io.flinkrecurrent.io.NumberedLineFormat;
import io.flinkrecurrent.options.ParsedOptions;
import io.flinkrecurrent.options.UsageException;
import io.flinkrecurrent.updates.ModelUpdateRecords;
import io.flinkrecurrent.updates.UpdateRecordFiles;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static io.flinkrecurrent.jobs.JobOptions.*;

/**
 * Where an example job's streams come from: its events (the bundled sample, bounded, the default; a
 * file or folder of CSV or JSON Lines; a Kafka topic; a synthetic generator) and the updates of its
 * model (a watched folder or a Kafka topic of JSON records).
 */
public final class JobSources {
    private JobSources() {}

    /** Model updates from the folder {@code --model-updates} or the topic {@code --model-updates-topic} names, or null. */
    public static DataStream<ModelUpdate> modelUpdates(StreamExecutionEnvironment env, ParsedOptions p,
                                                                           String job) {
        if (p.has(UPDATES_TOPIC)) {
            if (p.has(MODEL_UPDATES)) {
                throw new UsageException(job, "--model-updates and --model-updates-topic: one source of updates");
            }
            // from the topic's start: a restarted job without a checkpoint ends on the latest update
            var source = KafkaSource.<ModelUpdate>builder()
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
        var policy = ModelUpdate.Policy.valueOf(p.get(UPDATE_POLICY).toUpperCase(Locale.ROOT));
        Duration check = Duration.ofMillis(p.get(UPDATE_CHECK));
        DataStream<ModelUpdate> files = env.fromSource(ModelUpdates.watchDirectory(p.get(MODEL_UPDATES), check, policy,
                        policy == ModelUpdate.Policy.WARM_UP ? p.get(WARM_UP) : 0),
                WatermarkStrategy.noWatermarks(), "model-updates").uid(job + "-model-updates").setParallelism(1);
        // .json records beside the model files: the same record as on the topic
        DataStream<ModelUpdate> records = env.fromSource(UpdateRecordFiles.watch(p.get(MODEL_UPDATES), check),
                WatermarkStrategy.noWatermarks(), "model-update-records").uid(job + "-model-update-records").setParallelism(1);
        return files.union(records);
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

    /** A Kafka record's value as a line, with its partition and offset (what a rejection names). */
    static final class KafkaLines implements KafkaRecordDeserializationSchema<NumberedLine> {
        @Override
        public void deserialize(ConsumerRecord<byte[], byte[]> record,
                                Collector<NumberedLine> out) {
            String text = record.value() == null ? "" : new String(record.value(), StandardCharsets.UTF_8);
            out.collect(NumberedLine.record(record.partition(), record.offset(), text));
        }

        @Override
        public TypeInformation<NumberedLine> getProducedType() {
            return TypeInformation.of(NumberedLine.class);
        }
    }
}
