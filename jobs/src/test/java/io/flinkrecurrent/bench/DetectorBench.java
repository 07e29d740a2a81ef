package io.flinkrecurrent.bench;

import io.flinkrecurrent.anomaly.AnomalyDetector;
import io.flinkrecurrent.anomaly.VectorDetector;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.anomaly.DetectorParams;
import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.cell.Scratch;
import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.flink.Recurrent;
import io.flinkrecurrent.flink.RecurrentOutput;
import io.flinkrecurrent.model.ModelLoader;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The anomaly detector's cost: its state per key, and events per second through the keyed operator on an
 * embedded Flink (parallelism 2) with the heap and the RocksDB backends, for the windowed and the compact
 * detector; and one thread stepping it alone. Every key is a wave with noise, a value every event, 2,000
 * keys. The operator's rate is measured over a time window after a warm-up, from a counting sink.
 *
 * <pre>mvn -q -f jobs -Pbench test-compile exec:exec [-Dexec.args=--quick]</pre>
 */
public final class DetectorBench {
    static final int KEYS = 2_000;
    static final AtomicLong COUNT = new AtomicLong();

    private DetectorBench() {}

    public static void main(String[] args) throws Exception {
        boolean quick = List.of(args).contains("--quick");
        double warm = quick ? 4 : 8;
        double measure = quick ? 6 : 15;
        RecurrentNetwork gru = ModelLoader.load(Path.of("anomaly/forecaster/model.safetensors")).network();
        List<DetectorParams> detectors = List.of(DetectorParams.WINDOWED, DetectorParams.COMPACT, DetectorParams.COMPACT_1,
                DetectorParams.COMPACT.toBuilder().error(true).value(true).novelty(false).build());
        List<String> names = List.of("windowed", "compact (default)", "compact-1", "compact without novelty");
        System.out.printf(Locale.ROOT, "anomaly detector benchmark%s: %d keys, %d cores, Java %s%n", quick ? " (--quick)" : "",
                KEYS, Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        System.out.printf("%-26s %14s %22s %22s %22s%n", "detector", "state a key", "1 thread, no Flink",
                "Flink heap (p=2)", "Flink RocksDB (p=2)");
        List<RecurrentModel> models = new java.util.ArrayList<>();
        List<String> labels = new java.util.ArrayList<>(names);
        for (DetectorParams p : detectors) {
            models.add(new AnomalyDetector(gru, p));
        }
        // the vector detector over an ASD server's and an SMD machine's width of metrics: an event carries them all
        for (int width : new int[] {19, 38}) {
            models.add(new VectorDetector(gru, DetectorParams.COMPACT, width));
            labels.add("vector, " + width + " metrics");
        }
        for (int i = 0; i < models.size(); i++) {
            RecurrentModel d = models.get(i);
            System.out.printf("# %s: stepping alone ...%n", labels.get(i));
            double alone = alone(d, measure);
            double[] flink = new double[2];
            String[] backends = {"hashmap", "rocksdb"};
            for (int b = 0; b < 2; b++) {
                System.out.printf("# %s: Flink, %s ...%n", labels.get(i), backends[b]);
                flink[b] = flink(d, backends[b], warm, measure);
            }
            System.out.printf(Locale.ROOT, "%-26s %,7d floats (%5.1f KiB) %,16.0f ev/s %,16.0f ev/s %,16.0f ev/s%n", labels.get(i),
                    d.stateSize(), d.stateSize() * 4 / 1024.0, alone, flink[0], flink[1]);
        }
    }

    /** The event of key k's row n: one value per metric of the model's input, metric m a wave of its own. */
    static void fill(float[] x, long k, long n) {
        for (int m = 0; m < x.length; m++) {
            x[m] = value(k + (long) m * KEYS, n); // metric 0: the univariate benchmark's value
        }
    }

    /** Value {@code n} of key {@code k}: a wave of period 288 plus noise, the same on every run. */
    static float value(long k, long n) {
        long h = (n * 7919 + k * 104729) % 1000;
        return (float) (50 + 20 * Math.sin(2 * Math.PI * n / 288.0 + k) + h / 250.0);
    }

    /** One thread, the keys' states in arrays: events per second over {@code seconds}. */
    static double alone(RecurrentModel d, double seconds) {
        int keys = 200; // 200 x 110 KiB: the windowed detector's states in a few dozen MiB (38 metrics: 262 KiB)
        float[][] states = new float[keys][d.stateSize()];
        Scratch scratch = d.newScratch();
        float[] x = new float[d.inputSize()];
        float[] out = new float[d.outputSize()]; // score, forecast error, cause (, metric)
        long n = 0;
        long t0 = System.nanoTime();
        long end = t0 + (long) (seconds * 1e9);
        long t;
        do {
            for (int i = 0; i < 1000; i++, n++) {
                int k = (int) (n % keys);
                fill(x, k, n / keys);
                d.step(out, states[k], x, scratch);
            }
            t = System.nanoTime();
        } while (t < end);
        return n / ((t - t0) / 1e9);
    }

    /** Events per second through the operator, counted after {@code warm} seconds for {@code seconds}. */
    static double flink(RecurrentModel d, String backend, double warm, double seconds) throws Exception {
        Configuration conf = new Configuration();
        conf.set(StateBackendOptions.STATE_BACKEND, backend);
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(2);
        final int width = d.inputSize();
        var events = env.fromSource(new DataGeneratorSource<>(i -> {
                    float[] x = new float[width];
                    fill(x, i % KEYS, i / KEYS);
                    return new KeyedEvent("k" + (i % KEYS), x);
                },
                Long.MAX_VALUE, TypeInformation.of(KeyedEvent.class)), WatermarkStrategy.noWatermarks(), "waves");
        Recurrent.builder(d).name("anomaly").apply(events).sinkTo(new Counting()).name("count");
        COUNT.set(0);
        JobClient job = env.executeAsync("detector-bench");
        try {
            Thread.sleep((long) (warm * 1000));
            long c0 = COUNT.get();
            long t0 = System.nanoTime();
            Thread.sleep((long) (seconds * 1000));
            long c1 = COUNT.get();
            return (c1 - c0) / ((System.nanoTime() - t0) / 1e9);
        } finally {
            job.cancel().get();
        }
    }

    /** Counts what reaches it (same JVM). */
    static final class Counting implements Sink<RecurrentOutput> {
        @Override
        public SinkWriter<RecurrentOutput> createWriter(WriterInitContext context) {
            return new SinkWriter<>() {
                @Override public void write(RecurrentOutput o, Context c) { COUNT.incrementAndGet(); }
                @Override public void flush(boolean endOfInput) {}
                @Override public void close() {}
            };
        }
    }
}
