package io.flinkrecurrent.anomaly;

import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.Scratch;
import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.flink.Recurrent;
import io.flinkrecurrent.flink.RecurrentOutput;
import io.flinkrecurrent.testing.Gates;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.api.connector.source.lib.NumberSequenceSource;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The anomaly job's detector operator as a release ran it, for its savepoints ({@link AnomalySavepointGenerator})
 * and their restore into the current code ({@link AnomalySavepointMigrationITCase}): a deterministic stream of
 * {@link #KEYS} hosts, each a daily wave with noise, a jump now and then and a shift, {@link #ROWS} rows each,
 * the savepoint after the first {@link #SAVEPOINT_ROWS} rows of every key. The operator is the anomaly job's own
 * ({@code Recurrent.builder(detector).name("anomaly")}, so its uid is {@code anomaly}), the source's uid
 * {@code events}.
 *
 * <p>Only API that every release has ({@code AnomalyDetector.compact/windowed}, {@code Recurrent.builder}), so
 * that the generator compiles against the release whose savepoints it takes.
 */
final class AnomalySavepoints {
    static final int KEYS = 6;
    static final int ROWS = 1_000;
    static final int SAVEPOINT_ROWS = 700;
    /** The events before the savepoint: every key's first {@link #SAVEPOINT_ROWS} rows. */
    static final long BEFORE = (long) KEYS * SAVEPOINT_ROWS;

    private static final Map<String, Queue<RecurrentOutput>> RUNS = new ConcurrentHashMap<>();

    private AnomalySavepoints() {}

    /** Event i: key {@code host-(i % KEYS)}, its row i / KEYS. */
    static KeyedEvent event(long i) {
        int k = (int) (i % KEYS);
        long n = i / KEYS;
        long h = (n * 0x9E3779B97F4A7C15L) ^ (k * 0xBF58476D1CE4E5B9L);
        h ^= h >>> 31;
        double noise = ((h >>> 40) % 1000) / 250.0;
        double v = 40 + 10 * k + 15 * Math.sin(2 * Math.PI * n / 144.0 + k) + noise;
        if ((n + 37 * k) % 311 == 0 && n > 160) {
            v += 45; // a jump
        }
        if (n >= 820 + 20 * k) {
            v += 12; // a lasting shift, after the savepoint
        }
        KeyedEvent e = new KeyedEvent("host-" + k, new float[] {(float) v}, false, 1_700_000_000_000L + n * 300_000L);
        e.id = i;
        return e;
    }

    /** Every key's outputs over all its rows, the detector stepped in one thread from a fresh state. */
    static Map<String, List<float[]>> plain(RecurrentModel detector) {
        Map<String, float[]> states = new HashMap<>();
        Map<String, List<float[]>> out = new TreeMap<>();
        Scratch scratch = detector.newScratch();
        for (long i = 0; i < (long) KEYS * ROWS; i++) {
            KeyedEvent e = event(i);
            float[] y = new float[detector.outputSize()];
            detector.step(y, states.computeIfAbsent(e.key, x -> detector.newState()), e.input, scratch);
            out.computeIfAbsent(e.key, x -> new ArrayList<>()).add(y);
        }
        return out;
    }

    /** The job: the generator source (held at the savepoint when {@code gate} is set), the detector, a capturing sink. */
    static void build(StreamExecutionEnvironment env, RecurrentModel detector, String run, String gate) {
        RateLimiterStrategy<NumberSequenceSource.NumberSequenceSplit> hold = gate == null
                ? RateLimiterStrategy.noOp() : Gates.holdAt(new long[] {BEFORE}, new String[] {gate});
        DataGeneratorSource<KeyedEvent> source = new DataGeneratorSource<>(AnomalySavepoints::event, (long) KEYS * ROWS,
                hold, TypeInformation.of(KeyedEvent.class));
        var events = env.fromSource(source, WatermarkStrategy.noWatermarks(), "events").uid("events").setParallelism(1);
        Recurrent.builder(detector).name("anomaly").apply(events).sinkTo(new Capture(run)).name("capture");
    }

    static List<RecurrentOutput> captured(String run) {
        return new ArrayList<>(RUNS.getOrDefault(run, new ConcurrentLinkedQueue<>()));
    }

    static void clear(String run) {
        RUNS.remove(run);
    }

    private static final class Capture implements Sink<RecurrentOutput> {
        private static final long serialVersionUID = 1L;
        private final String run;

        Capture(String run) {
            this.run = run;
        }

        @Override
        public SinkWriter<RecurrentOutput> createWriter(WriterInitContext context) {
            Queue<RecurrentOutput> q = RUNS.computeIfAbsent(run, r -> new ConcurrentLinkedQueue<>());
            return new SinkWriter<>() {
                @Override
                public void write(RecurrentOutput o, Context c) {
                    q.add(o);
                }

                @Override
                public void flush(boolean endOfInput) {}

                @Override
                public void close() {}
            };
        }
    }
}
