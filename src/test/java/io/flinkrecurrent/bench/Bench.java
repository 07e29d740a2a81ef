package io.flinkrecurrent.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.cell.Scratch;
import io.flinkrecurrent.flink.KeyState;
import io.flinkrecurrent.flink.KeyStateSerializer;
import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.flink.Recurrent;
import io.flinkrecurrent.flink.RecurrentOptions;
import io.flinkrecurrent.flink.RecurrentOutput;
import io.flinkrecurrent.model.ModelLoader;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.Collector;

import java.lang.management.ManagementFactory;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The benchmark suite: the Flink framework floor against the recurrent operator (hashmap and RocksDB),
 * the kernel alone (per event and batched), ONNX Runtime on the same model, and memory per key.
 * Prints a table and machine-readable lines.
 *
 * <pre>mvn -q -Pbench test-compile exec:exec [-Dexec.args='--quick'] [-Dexec.args='--sql-only']</pre>
 * ({@code --sql-only}: the per-event operator and the SQL function only, for {@code ratio.sql_vs_datastream};
 * {@code --modes=PER_EVENT,KEEP_INPUTS}: those pipelines only, the Flink part alone, for one ratio)
 */
public final class Bench {
    static final int KEYS = 10_000;
    static final int INPUT = 16;
    static RecurrentNetwork model;
    static Path modelPath;

    record Row(String what, double value, String unit, String note) {}

    private static final List<Row> ROWS = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("jmh")) {
            org.openjdk.jmh.Main.main(java.util.Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        boolean quick = List.of(args).contains("--quick");
        long flinkEvents = quick ? 1_500_000 : 5_000_000;
        double seconds = quick ? 2 : 5;
        int memKeys = quick ? 200_000 : 1_000_000;
        modelPath = Path.of(Bench.class.getResource("/golden/perf/lstm_i16_h64_l1.safetensors").toURI());
        model = ModelLoader.load(modelPath).network();
        long t0 = System.nanoTime();
        System.out.println("flink-recurrent benchmark " + (quick ? "(--quick)" : "(full)") + ": LSTM 16 -> 64 (golden/perf)");
        System.out.println("machine: " + Runtime.getRuntime().availableProcessors() + " cores, " + cpu() + ", Java "
                + System.getProperty("java.version") + ", max heap " + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB");

        boolean sqlOnly = List.of(args).contains("--sql-only");
        List<Mode> only = List.of(args).stream().filter(a -> a.startsWith("--modes=")).findFirst()
                .map(a -> java.util.Arrays.stream(a.substring("--modes=".length()).split(",")).map(Mode::valueOf).toList())
                .orElse(null);
        if (only != null && (!only.contains(Mode.PER_EVENT) || only.contains(Mode.SQL))) {
            throw new IllegalArgumentException("--modes: PER_EVENT (every ratio's base) and the others but SQL (--sql-only)");
        }
        double kEvent = Double.NaN;
        double kBatch = Double.NaN;
        double[] ort = {Double.NaN, Double.NaN};
        if (!sqlOnly && only == null) {
            progress("kernel, per event, " + KEYS + " keys");
            kEvent = kernelPerEvent(seconds);
            row("(c) kernel per event, 1 thread", kEvent, "events/s", "10,000 keys' states, reused buffers");
            progress("kernel with a per-key online readout (NLMS, RLS) forecasting the 16 inputs");
            for (io.flinkrecurrent.cell.OnlineReadout r : List.of(io.flinkrecurrent.cell.OnlineReadout.nlms(model, 0.5f),
                    io.flinkrecurrent.cell.OnlineReadout.rls(model, 0.999f, 1f))) {
                row("(c) kernel + " + r.describe().substring(0, r.describe().indexOf(')') + 1) + " readout, 1 thread",
                        kernelPerEvent(seconds, r), "events/s", r.stateSize() + " floats (" + 4 * r.stateSize() + " bytes) of state per key");
            }
            progress("kernel, batched 256");
            kBatch = kernelBatched(seconds, 256);
            row("(c) kernel batched (256 keys), 1 thread", kBatch, "events/s", "distinct keys stepped together");
            progress("ONNX Runtime, per event and batched 256");
            ort = onnxRuntime(seconds);
            row("(d) ONNX Runtime 1.20 per event, 1 thread", ort[0], "events/s", "batch 1, buffers reused");
            row("(d) ONNX Runtime 1.20 batch 256, 1 thread", ort[1], "events/s", "");
        }
        double[] ratio = new double[2];
        double[] ratioPerEvent = new double[2];
        double[] sqlRatio = new double[2];
        double[] updatableRatio = new double[2];
        double[] keepInputsRatio = new double[2];
        double[] evictingRatio = new double[2];
        String[] backends = {"hashmap", "rocksdb"};
        progress("Flink warm-up (the pipelines, not counted)");
        List<Mode> modes = sqlOnly ? List.of(Mode.PER_EVENT, Mode.SQL) : only != null ? only
                : java.util.Arrays.stream(Mode.values()).filter(m -> m != Mode.KEEP_INPUTS_EVICTING).toList();
        for (Mode m : modes) {
            flink(m, "hashmap", flinkEvents / 5);
        }
        for (int b = 0; b < 2; b++) {
            // alternate the pipelines and keep each one's best of two runs (with its latency)
            double[][] best = new double[Mode.values().length][];
            for (int run = 1; run <= 2; run++) {
                for (Mode m : modes) {
                    progress(m.label + " on " + backends[b] + ", " + flinkEvents + " events, run " + run + "/2");
                    double[] r = flink(m, backends[b], flinkEvents);
                    if (best[m.ordinal()] == null || r[0] > best[m.ordinal()][0]) {
                        best[m.ordinal()] = r;
                    }
                }
            }
            for (Mode m : modes) {
                double[] r = best[m.ordinal()];
                row(m.label + ", " + backends[b] + ", parallelism 2", r[0], "events/s", Double.isNaN(r[1])
                        ? "latency not measured (the rows carry no creation time); " + m.note
                        : String.format(Locale.ROOT, "latency mean %.2f ms, p99 %.2f ms; %s", r[1], r[2], m.note));
            }
            sqlRatio[b] = ratio(best, Mode.SQL, Mode.PER_EVENT);
            if (!sqlOnly) {
                ratioPerEvent[b] = ratio(best, Mode.PER_EVENT, Mode.FLOOR);
                ratio[b] = Math.max(ratioPerEvent[b], ratio(best, Mode.BATCHED, Mode.FLOOR));
                updatableRatio[b] = ratio(best, Mode.UPDATABLE, Mode.PER_EVENT);
                keepInputsRatio[b] = ratio(best, Mode.KEEP_INPUTS, Mode.PER_EVENT);
                evictingRatio[b] = ratio(best, Mode.KEEP_INPUTS_EVICTING, Mode.PER_EVENT);
            }
        }
        double perKey = Double.NaN;
        if (!sqlOnly && only == null) {
            progress("memory per key, " + memKeys + " keys on the heap backend");
            perKey = memoryPerKey(memKeys);
            row("memory per key (heap backend)", perKey, "bytes", "raw state " + 4 * model.stateSize() + " bytes + key");
        }

        System.out.println();
        System.out.printf("%-62s %14s  %-9s %s%n", "measurement", "value", "unit", "note");
        for (Row r : ROWS) {
            System.out.printf(Locale.ROOT, "%-62s %,14.0f  %-9s %s%n", r.what, r.value, r.unit, r.note);
        }
        System.out.println();
        if (!sqlOnly) {
            System.out.printf(Locale.ROOT, "ratio.hashmap=%.3f%n", ratio[0]);
            System.out.printf(Locale.ROOT, "ratio.rocksdb=%.3f%n", ratio[1]);
            System.out.printf(Locale.ROOT, "ratio.per_event.hashmap=%.3f%n", ratioPerEvent[0]);
            System.out.printf(Locale.ROOT, "ratio.per_event.rocksdb=%.3f%n", ratioPerEvent[1]);
            System.out.printf(Locale.ROOT, "ratio.updatable_vs_per_event.hashmap=%.3f%n", updatableRatio[0]);
            System.out.printf(Locale.ROOT, "ratio.updatable_vs_per_event.rocksdb=%.3f%n", updatableRatio[1]);
            System.out.printf(Locale.ROOT, "ratio.keep_inputs_16_vs_per_event.hashmap=%.3f%n", keepInputsRatio[0]);
            System.out.printf(Locale.ROOT, "ratio.keep_inputs_16_vs_per_event.rocksdb=%.3f%n", keepInputsRatio[1]);
            if (modes.contains(Mode.KEEP_INPUTS_EVICTING)) {
                System.out.printf(Locale.ROOT, "ratio.keep_inputs_16_evicting_vs_per_event.hashmap=%.3f%n", evictingRatio[0]);
                System.out.printf(Locale.ROOT, "ratio.keep_inputs_16_evicting_vs_per_event.rocksdb=%.3f%n", evictingRatio[1]);
            }
        }
        System.out.printf(Locale.ROOT, "ratio.sql_vs_datastream=%.3f%n", sqlRatio[0]);
        System.out.printf(Locale.ROOT, "ratio.sql_vs_datastream.rocksdb=%.3f%n", sqlRatio[1]);
        if (!sqlOnly) {
            System.out.printf(Locale.ROOT, "kernel.event_vs_ort=%.2f%n", kEvent / ort[0]);
            System.out.printf(Locale.ROOT, "kernel.batch_vs_ort=%.2f%n", kBatch / ort[1]);
            System.out.printf(Locale.ROOT, "memory.bytes_per_key=%.0f%n", perKey);
        }
        System.out.printf(Locale.ROOT, "benchmark done in %.0f s%n", (System.nanoTime() - t0) / 1e9);
    }

    /** The best rate of {@code a} over {@code b}'s; NaN when either did not run ({@code --modes}). */
    static double ratio(double[][] best, Mode a, Mode b) {
        return best[a.ordinal()] == null || best[b.ordinal()] == null ? Double.NaN
                : best[a.ordinal()][0] / best[b.ordinal()][0];
    }

    static void row(String what, double value, String unit, String note) {
        ROWS.add(new Row(what, value, unit, note));
        System.out.printf(Locale.ROOT, "  %-60s %,14.0f %s%n", what, value, unit);
    }

    static void progress(String what) {
        System.out.println("- " + what + " ...");
    }

    static String cpu() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (l.startsWith("model name")) {
                    return l.substring(l.indexOf(':') + 1).trim();
                }
            }
        } catch (Exception e) {
            // not Linux
        }
        return System.getProperty("os.arch");
    }

    static float[][] inputs(int n) {
        Random r = new Random(42);
        float[][] xs = new float[n][INPUT];
        for (float[] x : xs) {
            for (int k = 0; k < INPUT; k++) {
                x[k] = (float) r.nextGaussian();
            }
        }
        return xs;
    }

    /** Runs {@code body} in rounds for about {@code seconds} after a warm-up; returns events per second. */
    static double timed(double seconds, int eventsPerRound, Runnable body) {
        long warm = System.nanoTime() + (long) (seconds * 0.4e9);
        while (System.nanoTime() < warm) {
            body.run();
        }
        long rounds = 0;
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
            body.run();
            rounds++;
        }
        return rounds * (double) eventsPerRound / ((System.nanoTime() - start) / 1e9);
    }

    static double kernelPerEvent(double seconds) {
        return kernelPerEvent(seconds, model);
    }

    /** {@code m} stepped per event over 10,000 keys' states, one thread. */
    static double kernelPerEvent(double seconds, io.flinkrecurrent.cell.RecurrentModel m) {
        float[][] states = new float[KEYS][m.stateSize()];
        float[][] xs = inputs(256);
        float[] out = new float[m.outputSize()];
        Scratch scratch = m.newScratch();
        int[] key = {0};
        return timed(seconds, 1000, () -> {
            for (int i = 0; i < 1000; i++) {
                int k = key[0]++ % KEYS;
                m.step(out, states[k], xs[k & 255], scratch);
            }
        });
    }

    static double kernelBatched(double seconds, int batch) {
        float[][] states = new float[KEYS][model.stateSize()];
        float[][] xs = inputs(batch);
        float[][] outs = new float[batch][model.outputSize()];
        float[][] st = new float[batch][];
        io.flinkrecurrent.cell.BatchScratch scratch = model.newBatchScratch(batch);
        int[] base = {0};
        return timed(seconds, batch, () -> {
            int b0 = base[0];
            for (int b = 0; b < batch; b++) {
                st[b] = states[(b0 + b) % KEYS];
            }
            base[0] = (b0 + batch) % KEYS;
            model.stepBatch(outs, st, xs, batch, scratch);
        });
    }

    static double[] onnxRuntime(double seconds) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
        opts.setIntraOpNumThreads(1);
        opts.setInterOpNumThreads(1);
        byte[] onnx = Bench.class.getResourceAsStream("/onnx/lstm_i16_h64_l1.onnx").readAllBytes();
        try (OrtSession session = env.createSession(onnx, opts)) {
            double single = ortRate(env, session, 1, seconds);
            double batched = ortRate(env, session, 256, seconds);
            return new double[] {single, batched};
        }
    }

    static double ortRate(OrtEnvironment env, OrtSession session, int batch, double seconds) throws Exception {
        int h = 64;
        float[][] states = new float[KEYS][2 * h];
        float[][] xs = inputs(256);
        FloatBuffer x = FloatBuffer.allocate(batch * INPUT);
        FloatBuffer h0 = FloatBuffer.allocate(batch * h);
        FloatBuffer c0 = FloatBuffer.allocate(batch * h);
        long[] xShape = {batch, 1, INPUT};
        long[] sShape = {1, batch, h};
        int[] key = {0};
        float[] hOut = new float[batch * h];
        float[] cOut = new float[batch * h];
        return timed(seconds, batch, () -> {
            try {
                x.clear();
                h0.clear();
                c0.clear();
                int k0 = key[0];
                for (int b = 0; b < batch; b++) {
                    float[] s = states[(k0 + b) % KEYS];
                    x.put(xs[(k0 + b) & 255]);
                    h0.put(s, 0, h);
                    c0.put(s, h, h);
                }
                x.flip();
                h0.flip();
                c0.flip();
                try (OnnxTensor tx = OnnxTensor.createTensor(env, x, xShape);
                     OnnxTensor th = OnnxTensor.createTensor(env, h0, sShape);
                     OnnxTensor tc = OnnxTensor.createTensor(env, c0, sShape);
                     OrtSession.Result r = session.run(Map.of("x", tx, "h0", th, "c0", tc))) {
                    ((OnnxTensor) r.get("hN").orElseThrow()).getFloatBuffer().get(hOut);
                    ((OnnxTensor) r.get("cN").orElseThrow()).getFloatBuffer().get(cOut);
                }
                for (int b = 0; b < batch; b++) {
                    float[] s = states[(k0 + b) % KEYS];
                    System.arraycopy(hOut, b * h, s, 0, h);
                    System.arraycopy(cOut, b * h, s, h, h);
                }
                key[0] = (k0 + batch) % KEYS;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    // ---------------------------------------------------------------- Flink pipelines

    /** The three pipelines of the Flink measurements. */
    enum Mode {
        FLOOR("(a) Flink floor", "ValueState r/w of the same size, no math"),
        PER_EVENT("(b) recurrent operator, per event", "one step per event"),
        BATCHED("(b) recurrent operator, micro-batched", "bundles of up to 256 events or 5 ms"),
        UPDATABLE("(b) recurrent operator, per event, with an update input", "no update arrives"),
        KEEP_INPUTS("(b) recurrent operator, per event, update input + keepInputs(16)", "each key's last 16 inputs kept for warm-ups"),
        /** Only with {@code --modes}: the kept inputs' cache far smaller than the active keys, its worst case. */
        KEEP_INPUTS_EVICTING("(b) ... + keepInputs(16), a cache of 1 MiB", "about 900 of a subtask's 5,000 keys cached: most events evict one"),
        SQL("(e) SQL function (Process Table Function)", "rows in and out of the Table API; per row");

        final String label;
        final String note;

        Mode(String label, String note) {
            this.label = label;
            this.note = note;
        }
    }

    /** Latency buckets of 10 us (event creation, nanoTime in the event's id, to the sink), merged from every writer. */
    static final long[] LATENCY = new long[1 << 17];
    static long first = Long.MAX_VALUE;
    static long last = Long.MIN_VALUE;
    static long count;

    /** Adds one sink writer's tallies (kept locally while it runs: no shared counter on the hot path). */
    static synchronized void merge(long n, long f, long l, long[] latency) {
        count += n;
        first = Math.min(first, f);
        last = Math.max(last, l);
        for (int i = 0; i < latency.length; i++) {
            LATENCY[i] += latency[i];
        }
    }

    static KeyedEvent event(long i) {
        float[] x = new float[INPUT];
        int s = (int) (i * 0x9E3779B1L);
        for (int k = 0; k < INPUT; k++) {
            s = s * 1103515245 + 12345;
            x[k] = (s >> 16) / 32768f;
        }
        KeyedEvent e = new KeyedEvent("k" + (i % KEYS), x);
        e.id = System.nanoTime(); // for the latency at the sink (same JVM)
        return e;
    }

    /** @return {events/s, mean latency ms, p99 latency ms} */
    static double[] flink(Mode mode, String backend, long events) throws Exception {
        Configuration conf = new Configuration();
        conf.set(StateBackendOptions.STATE_BACKEND, backend);
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        conf.set(CoreOptions.DEFAULT_PARALLELISM, 2);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(2);
        synchronized (Bench.class) {
            first = Long.MAX_VALUE;
            last = Long.MIN_VALUE;
            count = 0;
            java.util.Arrays.fill(LATENCY, 0);
        }
        if (mode == Mode.SQL) {
            sql(env, events).sinkTo(new Counting<>(r -> -1L)).name("discard");
            return run(env, mode, events);
        }
        DataStream<KeyedEvent> in = env.fromSource(new DataGeneratorSource<>(Bench::event, events,
                TypeInformation.of(KeyedEvent.class)), WatermarkStrategy.noWatermarks(), "generator");
        DataStream<RecurrentOutput> out = switch (mode) {
            case FLOOR -> in.keyBy(Recurrent.keySelector(), Types.STRING).process(new Floor(model.stateSize(), model.outputSize()),
                    TypeInformation.of(RecurrentOutput.class)).name("floor").uid("floor");
            case PER_EVENT -> Recurrent.builder(model).name("lstm").apply(in);
            case BATCHED -> Recurrent.builder(model).name("lstm").microBatch(256, java.time.Duration.ofMillis(5)).apply(in);
            case UPDATABLE, KEEP_INPUTS, KEEP_INPUTS_EVICTING -> Recurrent.builder(model).name("lstm")
                    .options(o -> o.keepInputs(mode == Mode.UPDATABLE ? 0 : 16)
                            .keptInputsCache(mode == Mode.KEEP_INPUTS_EVICTING ? 1 << 20 : RecurrentOptions.DEFAULT_KEPT_INPUTS_CACHE_BYTES))
                    .updates(env.fromData(TypeInformation.of(io.flinkrecurrent.flink.ModelUpdate.class),
                            io.flinkrecurrent.flink.ModelUpdate.stopShadow())) // nothing to stop: ignored
                    .apply(in);
            case SQL -> throw new IllegalStateException();
        };
        out.sinkTo(new Counting<>(o -> o.id)).name("discard");
        return run(env, mode, events);
    }

    /** The same events (keys and inputs) as rows (k, input), through the SQL function, as rows again. */
    static DataStream<org.apache.flink.types.Row> sql(StreamExecutionEnvironment env, long events) {
        org.apache.flink.api.java.typeutils.RowTypeInfo type = new org.apache.flink.api.java.typeutils.RowTypeInfo(
                new TypeInformation<?>[] {Types.STRING, org.apache.flink.api.common.typeinfo.BasicArrayTypeInfo.FLOAT_ARRAY_TYPE_INFO},
                new String[] {"k", "input"});
        DataStream<org.apache.flink.types.Row> rows = env.fromSource(new DataGeneratorSource<>(i -> {
            KeyedEvent e = event(i);
            Float[] x = new Float[e.input.length];
            for (int j = 0; j < x.length; j++) {
                x[j] = e.input[j];
            }
            return org.apache.flink.types.Row.of(e.key, x);
        }, events, type), WatermarkStrategy.noWatermarks(), "generator");
        org.apache.flink.table.api.bridge.java.StreamTableEnvironment t =
                org.apache.flink.table.api.bridge.java.StreamTableEnvironment.create(env);
        t.createTemporarySystemFunction("recurrent", io.flinkrecurrent.sql.RecurrentFunction.class);
        t.createTemporaryView("events", t.fromDataStream(rows));
        return t.toDataStream(t.sqlQuery("SELECT * FROM recurrent(input => TABLE events PARTITION BY k, model => '"
                + modelPath + "', uid => 'lstm')"));
    }

    static double[] run(StreamExecutionEnvironment env, Mode mode, long events) throws Exception {
        env.execute(mode.name());
        synchronized (Bench.class) {
            if (count != events) {
                throw new IllegalStateException("expected " + events + " outputs, got " + count);
            }
            double sum = 0;
            for (int i = 0; i < LATENCY.length; i++) {
                sum += (i * 10.0 + 5) * LATENCY[i];
            }
            int p99 = 0;
            for (long seen = 0; p99 < LATENCY.length && (seen += LATENCY[p99]) < 0.99 * count; p99++) {
                // walk up to the 99th percentile's bucket
            }
            long timed = java.util.Arrays.stream(LATENCY).sum();
            if (timed == 0) { // the records said nothing of when they were made
                return new double[] {events / ((last - first) / 1e9), Double.NaN, Double.NaN};
            }
            return new double[] {events / ((last - first) / 1e9), sum / count / 1000, (p99 + 1) * 10 / 1000.0};
        }
    }

    /** The framework floor: read and write the same per-key state as the operator, emit the same record, no math. */
    static final class Floor extends KeyedProcessFunction<String, KeyedEvent, RecurrentOutput> {
        private final int stateSize;
        private final int outputSize;
        private transient ValueState<KeyState> state;

        Floor(int stateSize, int outputSize) {
            this.stateSize = stateSize;
            this.outputSize = outputSize;
        }

        @Override
        public void open(OpenContext ctx) {
            state = getRuntimeContext().getState(new ValueStateDescriptor<>("floor", new KeyStateSerializer()));
        }

        @Override
        public void processElement(KeyedEvent e, Context ctx, Collector<RecurrentOutput> out) throws Exception {
            KeyState s = state.value();
            if (s == null) {
                s = new KeyState();
                s.state = new float[stateSize];
            }
            s.state[0] += e.input[0];
            long seq = s.seq++;
            state.update(s);
            out.collect(new RecurrentOutput(ctx.getCurrentKey(), seq, KeyedEvent.NO_TIMESTAMP, e.id,
                    java.util.Arrays.copyOf(s.state, outputSize), null));
        }
    }

    /**
     * Discards records, each writer noting locally how many came, when the first and the last came,
     * and their latencies; merged when it closes (the mini-cluster runs in this JVM).
     */
    static final class Counting<T> implements Sink<T> {
        /** When a record was made (System.nanoTime), or -1 when it does not say. */
        interface SentAt<T> extends java.io.Serializable {
            long of(T record);
        }

        private final SentAt<T> sentAt;

        Counting(SentAt<T> sentAt) {
            this.sentAt = sentAt;
        }

        @Override
        public SinkWriter<T> createWriter(WriterInitContext context) {
            return new SinkWriter<>() {
                private final long[] latency = new long[LATENCY.length];
                private long n;
                private long firstSeen;
                private long lastSeen;

                @Override
                public void write(T element, Context context) {
                    long now = System.nanoTime();
                    long sent = sentAt.of(element);
                    if (sent >= 0) {
                        latency[(int) Math.min(Math.max((now - sent) / 10_000, 0), latency.length - 1)]++;
                    }
                    if (n++ == 0) {
                        firstSeen = now;
                    }
                    lastSeen = now;
                }

                @Override public void flush(boolean endOfInput) {}

                @Override
                public void close() {
                    if (n > 0) {
                        merge(n, firstSeen, lastSeen, latency);
                    }
                }
            };
        }
    }

    /** Heap used per key by the operator's state on the heap backend, measured with the operator test harness. */
    static double memoryPerKey(int keys) throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(Recurrent.builder(model).operator(),
                Recurrent.keySelector(), Types.STRING);
        h.setup();
        h.open();
        float[] x = new float[INPUT];
        x[0] = 1;
        long before = usedHeap();
        for (int i = 0; i < keys; i++) {
            h.processElement(new KeyedEvent("key-" + i, x), 0L);
            if ((i & 0xffff) == 0) {
                h.getOutput().clear();
            }
        }
        h.getOutput().clear();
        long after = usedHeap();
        h.close();
        return (after - before) / (double) keys;
    }

    static long usedHeap() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
