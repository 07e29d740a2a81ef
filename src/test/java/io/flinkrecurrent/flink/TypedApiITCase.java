package io.flinkrecurrent.flink;

import io.flinkrecurrent.cell.Recurrence;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.testing.FlinkTesting;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * The typed API on a mini-cluster: the user's own POJO with a {@code Long} key, its payload carried
 * into the result, its rejections back as the user's type, with {@code pipeline.generic-types: false}.
 */
class TypedApiITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = FlinkTesting.miniCluster();

    @TempDir
    Path dir;

    /** A user's event: a sensor reading. */
    public static class Reading {
        public Long deviceId;
        public float temp;
        public float load;
        public boolean restart;
        public String note;

        public Reading() {}

        Reading(Long deviceId, float temp, float load, boolean restart, String note) {
            this.deviceId = deviceId;
            this.temp = temp;
            this.load = load;
            this.restart = restart;
            this.note = note;
        }

        public Long deviceId() {
            return deviceId;
        }

        public boolean isRestart() {
            return restart;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Reading r && Objects.equals(deviceId, r.deviceId) && Float.compare(temp, r.temp) == 0
                    && Float.compare(load, r.load) == 0 && restart == r.restart && Objects.equals(note, r.note);
        }

        @Override
        public int hashCode() {
            return Objects.hash(deviceId, temp, load, restart, note);
        }
    }

    /** The user's result: the reading's payload and the model's answer. */
    public static class Alert {
        public long deviceId;
        public long seq;
        public float score;
        public String note;
        public boolean fresh;

        public Alert() {}

        Alert(long deviceId, long seq, float score, String note, boolean fresh) {
            this.deviceId = deviceId;
            this.seq = seq;
            this.score = score;
            this.note = note;
            this.fresh = fresh;
        }
    }

    /** The article's recurrence over two inputs: h = 2h + temp + load, y = 5 - h. */
    static final RecurrentModel MODEL = Recurrence.of("article-2", 1, 2, 1, 1,
            (next, h, x) -> next[0] = 2 * h[0] + x[0] + x[1],
            (y, h) -> y[0] = 5 - h[0]);

    static List<Reading> readings() {
        List<Reading> l = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            long device = 1_000_000_000_000L + i % 7;
            l.add(new Reading(device, (i % 5) * 0.25f, -0.5f, i % 11 == 0, "r" + i));
        }
        l.add(new Reading(null, 1, 1, false, "no device"));
        l.add(new Reading(5L, Float.NaN, 1, false, "broken sensor"));
        return l;
    }

    @Test
    void userPojoWithLongKeyPayloadCarriedRejectionsTyped() throws Exception {
        for (int batch : new int[] {1, 64}) {
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(
                    FlinkTesting.jobConfig("hashmap", dir.resolve("b" + batch)));
            env.setParallelism(2);
            List<Reading> input = readings();
            DataStream<Reading> in = env.fromData(TypeInformation.of(Reading.class), input.toArray(new Reading[0]))
                    .setParallelism(1);

            RecurrentStream<Reading, Alert> alerts = Recurrent.of(MODEL)
                    .keyBy(Reading::deviceId)
                    .input((x, r) -> {
                        x[0] = r.temp;
                        x[1] = r.load;
                    })
                    .resetWhen(Reading::isRestart)
                    .emit((r, y, ctx) -> new Alert(ctx.key(), ctx.seq(), y[0], r.note, ctx.fromZero()), Alert.class)
                    .options(o -> o.microBatch(batch, Duration.ofMillis(5)))
                    .name("sensors")
                    .apply(in);

            List<Alert> got = new ArrayList<>();
            List<Rejected<Reading>> bad = new ArrayList<>();
            try (CloseableIterator<Alert> a = alerts.collectAsync();
                 CloseableIterator<Rejected<Reading>> r = alerts.rejected().collectAsync()) {
                env.execute("typed api");
                a.forEachRemaining(got::add);
                r.forEachRemaining(bad::add);
            }

            // expected: each device's readings in order through the plain recurrence
            Map<Long, float[]> state = new HashMap<>();
            Map<Long, Long> seq = new HashMap<>();
            Map<String, Alert> expected = new HashMap<>();
            float[] y = new float[1];
            var scratch = MODEL.newScratch();
            for (Reading r : input) {
                if (r.deviceId == null || !Float.isFinite(r.temp)) {
                    continue;
                }
                float[] s = state.computeIfAbsent(r.deviceId, k -> MODEL.newState());
                boolean fresh = !seq.containsKey(r.deviceId) || r.restart;
                if (r.restart) {
                    java.util.Arrays.fill(s, 0f);
                }
                MODEL.step(y, s, new float[] {r.temp, r.load}, scratch);
                long n = seq.merge(r.deviceId, 1L, Long::sum) - 1;
                expected.put(r.note, new Alert(r.deviceId, n, y[0], r.note, fresh));
            }
            assertEquals(expected.size(), got.size(), "batch " + batch + ": one alert per applied reading");
            for (Alert a : got) {
                Alert e = expected.get(a.note);
                assertEquals(e.deviceId, a.deviceId, a.note);
                assertEquals(e.seq, a.seq, a.note);
                assertEquals(e.score, a.score, a.note + " (bit for bit)");
                assertEquals(e.fresh, a.fresh, a.note + " fromZero");
            }
            bad.sort(Comparator.comparing(x -> x.reason));
            assertEquals(2, bad.size(), "batch " + batch + ": " + bad);
            assertEquals(RejectedEvent.Reason.NULL_KEY, bad.get(0).reason);
            assertNull(bad.get(0).key);
            assertEquals("no device", bad.get(0).event.note, "the user's own event comes back");
            assertEquals(RejectedEvent.Reason.NON_FINITE, bad.get(1).reason);
            assertEquals("5", bad.get(1).key);
            assertEquals("broken sensor", bad.get(1).event.note);
            assertSame(Reading.class, bad.get(1).event.getClass());
        }
    }

    @Test
    void twoOperatorsWithDefaultNamesGetDistinctUids() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        DataStream<Reading> in = env.fromData(TypeInformation.of(Reading.class), readings().toArray(new Reading[0]));
        var first = Recurrent.of(MODEL).keyBy(Reading::deviceId).input((x, r) -> x[0] = r.temp)
                .emit((r, y, c) -> y[0], org.apache.flink.api.common.typeinfo.Types.FLOAT).apply(in);
        var second = Recurrent.of(MODEL).keyBy(Reading::deviceId).input((x, r) -> x[0] = r.load)
                .emit((r, y, c) -> y[0], org.apache.flink.api.common.typeinfo.Types.FLOAT).apply(in);
        assertEquals("recurrent", first.getTransformation().getUid());
        assertEquals("recurrent-2", second.getTransformation().getUid());
        var third = Recurrent.builder(MODEL).apply(in.map(r -> new KeyedEvent("k", new float[] {r.temp, r.load}))
                .returns(KeyedEvent.class));
        assertEquals("recurrent-3", third.getTransformation().getUid());
    }
}
