package io.flinkrecurrent.flink;

import com.fasterxml.jackson.databind.JsonNode;
import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.model.ModelLoader;
import io.flinkrecurrent.testing.FlinkTesting;
import io.flinkrecurrent.testing.Golden;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The operator on a Flink mini-cluster at parallelism 2, on each state backend, against PyTorch. */
class RecurrentITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = FlinkTesting.miniCluster();

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"hashmap", "rocksdb", "forst"})
    void everyGoldenStreamOnEveryBackend(String backend) throws Exception {
        for (Path model : Golden.models()) {
            RecurrentNetwork net = ModelLoader.load(model).network();
            List<JsonNode> golden = Golden.lines(Golden.stream(model));
            List<KeyedEvent> events = Golden.events(golden);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(
                    FlinkTesting.jobConfig(backend, dir.resolve(backend + "-" + model.getFileName())));
            env.setParallelism(2);
            DataStream<KeyedEvent> in = env.fromData(TypeInformation.of(KeyedEvent.class), events.toArray(new KeyedEvent[0]))
                    .setParallelism(1);
            List<RecurrentOutput> outs = new ArrayList<>();
            try (CloseableIterator<RecurrentOutput> it = Recurrent.builder(net).emitState(true).apply(in).executeAndCollect()) {
                it.forEachRemaining(outs::add);
            }
            assertEquals(golden.size(), outs.size(), model.getFileName() + ": one output per event");
            for (RecurrentOutput o : outs) {
                JsonNode g = golden.get((int) o.id);
                String where = model.getFileName() + " line " + (o.id + 1) + " on " + backend;
                assertEquals(g.get("key").asText(), o.key, where);
                assertEquals(g.get("seq").asLong(), o.seq, where);
                Golden.assertClose(g.get("expected_output"), o.output, where + " output");
                for (int l = 0; l < net.numLayers(); l++) {
                    Golden.assertClose(g.get("expected_h").get(l), net.h(o.state, l), where + " h" + l);
                }
            }
        }
    }

    @Test
    void badEventsGoToTheSideOutputAndTheJobGoesOn() throws Exception {
        RecurrentNetwork net = ModelLoader.load(Golden.dir().resolve("public/article_linear.safetensors")).network();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(
                FlinkTesting.jobConfig("hashmap", null));
        env.setParallelism(2);
        KeyedEvent nullKey = new KeyedEvent(null, new float[] {3});
        DataStream<KeyedEvent> in = env.fromData(TypeInformation.of(KeyedEvent.class),
                new KeyedEvent("a", new float[] {3}), nullKey, new KeyedEvent("a", new float[] {Float.NaN}),
                new KeyedEvent("b", new float[] {1, 2}), new KeyedEvent("a", new float[] {3})).setParallelism(1);
        SingleOutputStreamOperator<RecurrentOutput> out = Recurrent.apply(in, net);
        DataStream<String> both = out.map(o -> o.key + "=" + o.output[0]).returns(String.class)
                .union(out.getSideOutput(Recurrent.REJECTED).map(r -> r.reason + ":" + r.key).returns(String.class));
        Map<String, Integer> seen = new HashMap<>();
        try (CloseableIterator<String> it = both.executeAndCollect()) {
            it.forEachRemaining(s -> seen.merge(s, 1, Integer::sum));
        }
        assertEquals(Map.of("a=2.0", 1, "a=-4.0", 1, "NULL_KEY:null", 1, "NON_FINITE:a", 1, "INPUT_WIDTH:b", 1), seen);
    }

    /**
     * Event-time ordering on the cluster: a golden stream shuffled (each event up to 4 places from its
     * line) comes out in time order, so every key's outputs are PyTorch's again; per event and
     * micro-batched, on the heap and RocksDB (where the buffer and the timers live in RocksDB).
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"rocksdb per-event", "rocksdb micro-batched", "hashmap micro-batched"})
    void aShuffledStreamOrderedByEventTimeGivesPyTorchsOutputs(String config) throws Exception {
        String backend = config.split(" ")[0];
        Path model = Golden.dir().resolve("public/lstm_i8_h32_l2_head3_softmax.safetensors");
        RecurrentNetwork net = ModelLoader.load(model).network();
        List<JsonNode> golden = Golden.lines(Golden.stream(model));
        List<KeyedEvent> events = new ArrayList<>();
        for (KeyedEvent e : Golden.events(golden)) {
            events.add(new KeyedEvent(e.key, e.input, e.reset, 1_000L * e.id).withId(e.id));
        }
        java.util.Random r = new java.util.Random(5);
        for (int i = 0; i + 4 < events.size(); i += 5) { // shuffle within blocks of five
            java.util.Collections.shuffle(events.subList(i, i + 5), r);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(
                FlinkTesting.jobConfig(backend, dir.resolve(config.replace(' ', '-'))));
        env.setParallelism(2);
        DataStream<KeyedEvent> in = env.fromData(TypeInformation.of(KeyedEvent.class), events.toArray(new KeyedEvent[0]))
                .setParallelism(1)
                .assignTimestampsAndWatermarks(org.apache.flink.api.common.eventtime.WatermarkStrategy
                        .<KeyedEvent>forBoundedOutOfOrderness(java.time.Duration.ofSeconds(5))
                        .withTimestampAssigner((e, t) -> e.timestamp))
                .setParallelism(1);
        Recurrent.Builder b = Recurrent.builder(net).orderByEventTime(java.time.Duration.ofMillis(500));
        if (config.endsWith("micro-batched")) {
            b.microBatch(16, java.time.Duration.ofMillis(20));
        }
        List<RecurrentOutput> outs = new ArrayList<>();
        try (CloseableIterator<RecurrentOutput> it = b.apply(in).executeAndCollect()) {
            it.forEachRemaining(outs::add);
        }
        assertEquals(golden.size(), outs.size(), "one output per event, none late");
        for (RecurrentOutput o : outs) {
            JsonNode g = golden.get((int) o.id);
            String where = "line " + (o.id + 1) + " (" + config + ")";
            assertEquals(g.get("seq").asLong(), o.seq, where);
            Golden.assertClose(g.get("expected_output"), o.output, where + " output");
        }
    }
}
