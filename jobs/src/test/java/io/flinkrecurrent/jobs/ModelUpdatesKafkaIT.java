package io.flinkrecurrent.jobs;

import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.flink.RejectedEvent;
import io.flinkrecurrent.model.ModelLoader;
import io.flinkrecurrent.model.SafeTensors;
import io.flinkrecurrent.model.Tensor;
import io.flinkrecurrent.options.ParsedOptions;
import io.flinkrecurrent.testing.FlinkTesting;
import io.flinkrecurrent.testing.Gates;
import io.flinkrecurrent.testing.KafkaBroker;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Model updates from a Kafka topic of JSON records on a real broker: the repetition job's pipeline with
 * {@code --model-updates-topic}; a record that is not an update is refused with its partition and offset
 * and the job goes on; a valid one becomes every subtask's model mid-stream, checked result by result.
 */
// the tests wait on side outputs (next()): a lost record must fail them, not hang the build
@org.junit.jupiter.api.Timeout(value = 3, unit = java.util.concurrent.TimeUnit.MINUTES)
class ModelUpdatesKafkaIT {
    static final long N = 3_000;
    static final long SWAP_AT = 1_000;
    static final RepetitionJob JOB = new RepetitionJob();

    @TempDir
    static Path dir;
    @org.junit.jupiter.api.extension.RegisterExtension
    static final KafkaBroker.PerClass KAFKA = new KafkaBroker.PerClass();

    @Test
    void updatesFromATopicReachTheRunningJob() throws Exception {
        Gates.reset();
        KAFKA.broker().createTopic("model-updates", 1);
        ParsedOptions p = JOB.optionSet().parse(JOB.name(), new String[] {"--model-updates-topic", "model-updates",
                "--bootstrap-servers", KAFKA.broker().bootstrapServers()});
        RecurrentModel bundled = JobOptions.model(p, JOB.modelResource());
        SafeTensors st = SafeTensors.read(Path.of("bundled"), JobOptions.resource(JOB.modelResource()));
        List<Tensor> scaled = new ArrayList<>();
        for (Tensor t : st.tensors().values()) {
            float[] d = t.data().clone();
            for (int i = 0; i < d.length; i++) {
                d[i] *= 0.5f;
            }
            scaled.add(new Tensor(t.name(), "F32", t.shape(), d));
        }
        Path r2 = dir.resolve("r2.safetensors");
        SafeTensors.write(r2, st.metadata(), scaled);

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(FlinkTesting.jobConfig("hashmap", null));
        env.setParallelism(2);
        DataStream<SymbolEvent> events = env.fromSource(new DataGeneratorSource<>(
                        i -> SymbolJobs.ParseSymbols.fromCsv(JOB.generate(i)), N,
                        Gates.holdAt(new long[] {SWAP_AT}, new String[] {"events"}), TypeInformation.of(SymbolEvent.class)),
                WatermarkStrategy.noWatermarks(), "symbols").setParallelism(1);
        SymbolJobs.Streams s = SymbolJobs.apply(events, bundled, RepetitionJob.SYMBOLS, JOB.name(), RepetitionJob.DECODER,
                JobSources.modelUpdates(env, p, JOB.name()), JobOptions.keepInputs(p));
        CloseableIterator<SymbolResult> results = s.results().collectAsync();
        CloseableIterator<RejectedEvent> rejected = s.rejected().collectAsync();
        JobClient job = env.executeAsync("updates from kafka");
        try {
            List<SymbolResult> out = new ArrayList<>();
            while (out.size() < SWAP_AT) {
                out.add(results.next());
            }
            // the update, then a record that is not one: its two refusals mean both subtasks have the update
            KAFKA.broker().produce("model-updates", List.of("{\"model\":\"" + r2 + "\",\"policy\":\"reset\"}", "not json"));
            List<RejectedEvent> refusals = List.of(rejected.next(), rejected.next());
            for (RejectedEvent r : refusals) {
                assertTrue(r.message.contains("partition 0 offset 1") && r.message.contains("not JSON"), r.message);
            }
            Gates.open("events");
            while (out.size() < N) {
                out.add(results.next());
            }
            Map<String, String> versionOf = new HashMap<>();
            for (SymbolResult r : out) {
                versionOf.put(r.key + "#" + r.seq, r.model);
            }
            assertEquals(N - SWAP_AT, versionOf.values().stream().filter("r2"::equals).count(), "every result after the swap by r2");
            List<String> expected = Expected.symbolJobSwapped(Map.of("bundled", bundled, "r2", ModelLoader.load(r2).network()),
                    RepetitionJob.SYMBOLS, RepetitionJob.DECODER, Expected.generated(JOB, N), (k, seq) -> versionOf.get(k + "#" + seq));
            ClusterIT.assertSameLines(expected, out.stream().map(SymbolResult::toJson).toList());
        } finally {
            job.cancel().get(30, TimeUnit.SECONDS);
            results.close();
            rejected.close();
        }
    }
}
