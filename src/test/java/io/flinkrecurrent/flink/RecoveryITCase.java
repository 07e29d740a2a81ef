package io.flinkrecurrent.flink;

import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.model.ModelLoader;
import io.flinkrecurrent.testing.FailOnce;
import io.flinkrecurrent.testing.FlinkTesting;
import io.flinkrecurrent.testing.Golden;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Exactly-once state: a job that fails mid-stream and recovers from its checkpoint, and a job stopped
 * with a savepoint at parallelism 2 and resumed at 1 or 3, give every key the outputs of an
 * uninterrupted run, without gaps, and duplicates (from replay after recovery) identical.
 */
class RecoveryITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = FlinkTesting.miniCluster();

    static final RecurrentNetwork MODEL =
            ModelLoader.load(Golden.dir().resolve("public/lstm_i8_h32_l2_head3_softmax.safetensors")).network();
    static final long EVENTS = 4_000;

    @TempDir
    Path dir;

    static DataStream<KeyedEvent> source(StreamExecutionEnvironment env, double perSecond) {
        int width = MODEL.inputSize();
        DataGeneratorSource<KeyedEvent> gen = new DataGeneratorSource<>(i -> FlinkTesting.event(i, width), EVENTS,
                RateLimiterStrategy.perSecond(perSecond), TypeInformation.of(KeyedEvent.class));
        return env.fromSource(gen, WatermarkStrategy.noWatermarks(), "events").uid("events").setParallelism(1);
    }

    @ParameterizedTest(name = "{0}, micro-batched: {1}")
    @CsvSource({"hashmap, false", "rocksdb, false", "forst, false", "hashmap, true", "rocksdb, true"})
    void failureMidStreamLosesNothing(String backend, boolean microBatched) throws Exception {
        FailOnce.FAILURES.set(0);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(
                FlinkTesting.jobConfig(backend, dir.resolve("checkpoints")));
        env.setParallelism(2);
        DataStream<KeyedEvent> in = source(env, 2_000).map(new FailOnce<KeyedEvent>(EVENTS / 2, e -> e.id))
                .returns(TypeInformation.of(KeyedEvent.class)).name("fail-once").setParallelism(1);
        Recurrent.Builder b = Recurrent.builder(MODEL).name("lstm");
        if (microBatched) {
            b.microBatch(64, java.time.Duration.ofMillis(20));
        }
        List<RecurrentOutput> outs = new ArrayList<>();
        try (CloseableIterator<RecurrentOutput> it = b.apply(in).executeAndCollect()) {
            it.forEachRemaining(outs::add);
        }
        assertEquals(1, FailOnce.FAILURES.get(), "the job failed once and recovered");
        FlinkTesting.assertCompleteAndIdentical(FlinkTesting.expected(MODEL, EVENTS), outs);
    }

    /** ForSt writes only native savepoints; the others are tested with the portable canonical format. */
    @ParameterizedTest(name = "{0}: parallelism 2 -> {1}, {2} savepoint")
    @CsvSource({"hashmap, 1, CANONICAL", "hashmap, 3, CANONICAL", "rocksdb, 3, CANONICAL", "rocksdb, 1, NATIVE",
            "forst, 1, NATIVE", "forst, 3, NATIVE"})
    void savepointAtTwoRestoresAtAnotherParallelism(String backend, int parallelism, SavepointFormatType format)
            throws Exception {
        List<RecurrentOutput> outs = new ArrayList<>();
        // 1: parallelism 2, stopped with a savepoint part-way
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(
                FlinkTesting.jobConfig(backend, dir.resolve("checkpoints")));
        env.setParallelism(2);
        CloseableIterator<RecurrentOutput> it = Recurrent.builder(MODEL).name("lstm").apply(source(env, 1_000)).collectAsync();
        JobClient job = env.executeAsync("before the savepoint");
        while (outs.size() < EVENTS / 4 && it.hasNext()) {
            outs.add(it.next());
        }
        String savepoint = job.stopWithSavepoint(false, dir.resolve("savepoints").toUri().toString(),
                format).get(60, TimeUnit.SECONDS);
        it.forEachRemaining(outs::add);
        it.close();
        int before = outs.size();
        assertTrue(before < EVENTS, "stopped part-way (" + before + " outputs)");

        // 2: the same job resumed from the savepoint at another parallelism
        Configuration conf = FlinkTesting.jobConfig(backend, dir.resolve("checkpoints2"));
        conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        // The test's collect sink (no uid of ours) is not restored; the recurrent operator's state is, or
        // its outputs would restart at seq 0 from zeros and fail the comparison below.
        conf.set(StateRecoveryOptions.SAVEPOINT_IGNORE_UNCLAIMED_STATE, true);
        StreamExecutionEnvironment env2 = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env2.setParallelism(parallelism);
        try (CloseableIterator<RecurrentOutput> it2 = Recurrent.builder(MODEL).name("lstm").apply(source(env2, 20_000))
                .executeAndCollect()) {
            it2.forEachRemaining(outs::add);
        }
        assertTrue(outs.size() - before < EVENTS, "the resumed job continued, it did not start over");
        FlinkTesting.assertCompleteAndIdentical(FlinkTesting.expected(MODEL, EVENTS), outs);
    }
}
