package io.flinkrecurrent.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.flink.Recurrent;
import io.flinkrecurrent.flink.RecurrentOutput;
import io.flinkrecurrent.model.ModelLoader;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How the operator scales with the number of keys, on RocksDB with incremental checkpoints: for each
 * key count, throughput, the last checkpoint's duration, its full and incremental size, and (at the
 * key count given with {@code --recovery}) the time from a failure to the first output after the
 * restore. Checkpoint figures are over all the run's completed checkpoints (Flink's summary: average and
 * largest end-to-end duration, largest full size, average size of what each one added). The LSTM of golden/perf (128 floats of state per key), parallelism 2, a checkpoint every
 * 5 s, each key's events spread over the run.
 *
 * <pre>mvn -q -Pbench test-compile exec:exec -Dbench.main=io.flinkrecurrent.bench.Scale -Dexec.args='10000 1000000 10000000 --recovery 1000000'</pre>
 */
public final class Scale {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One run: checkpoint figures over its completed checkpoints (durations end to end, sizes as Flink reports them). */
    record Result(long keys, long events, double seconds, long checkpoints, long avgDurationMs, long maxDurationMs,
                  long maxFullBytes, long avgIncrementalBytes, long maxIncrementalBytes, double recoverySeconds) {}

    public static void main(String[] args) throws Exception {
        List<Long> keyCounts = new ArrayList<>();
        long recoveryKeys = -1;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--recovery")) {
                recoveryKeys = Long.parseLong(args[++i]);
            } else {
                keyCounts.add(Long.parseLong(args[i]));
            }
        }
        if (keyCounts.isEmpty()) {
            keyCounts = List.of(10_000L, 1_000_000L, 10_000_000L);
            recoveryKeys = 1_000_000L;
        }
        RecurrentNetwork model = ModelLoader.load(Path.of(Scale.class.getResource("/golden/perf/lstm_i16_h64_l1.safetensors").toURI())).network();
        System.out.println("flink-recurrent scale: LSTM 16 -> 64, " + model.stateSize() + " floats of state per key; RocksDB, "
                + "incremental checkpoints every 5 s, parallelism 2; machine: " + Runtime.getRuntime().availableProcessors()
                + " cores, max heap " + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB");
        List<Result> results = new ArrayList<>();
        for (long keys : keyCounts) {
            results.add(run(model, keys, false));
        }
        if (recoveryKeys > 0) {
            results.add(run(model, recoveryKeys, true));
        }
        System.out.println();
        System.out.printf("%12s %12s %10s %6s %14s %14s %12s %18s %12s%n", "keys", "events", "events/s", "cps",
                "cp avg (ms)", "cp max (ms)", "full (MiB)", "incr. avg/max (MiB)", "recovery (s)");
        for (Result r : results) {
            System.out.printf(Locale.ROOT, "%,12d %,12d %,10.0f %6d %,14d %,14d %,12.1f %18s %12s%n", r.keys, r.events,
                    r.events / r.seconds, r.checkpoints, r.avgDurationMs, r.maxDurationMs, r.maxFullBytes / 1048576.0,
                    String.format(Locale.ROOT, "%.1f / %.1f", r.avgIncrementalBytes / 1048576.0, r.maxIncrementalBytes / 1048576.0),
                    r.recoverySeconds < 0 ? "-" : String.format(Locale.ROOT, "%.1f", r.recoverySeconds));
        }
        System.out.println();
        for (Result r : results) {
            String k = (r.recoverySeconds >= 0 ? "recovery." : "scale.") + r.keys;
            System.out.printf(Locale.ROOT, "%s.events_per_s=%.0f%n", k, r.events / r.seconds);
            System.out.printf(Locale.ROOT, "%s.checkpoint_avg_ms=%d%n", k, r.avgDurationMs);
            System.out.printf(Locale.ROOT, "%s.checkpoint_max_ms=%d%n", k, r.maxDurationMs);
            System.out.printf(Locale.ROOT, "%s.checkpoint_full_bytes=%d%n", k, r.maxFullBytes);
            System.out.printf(Locale.ROOT, "%s.checkpoint_incremental_avg_bytes=%d%n", k, r.avgIncrementalBytes);
            if (r.recoverySeconds >= 0) {
                System.out.printf(Locale.ROOT, "%s.recovery_s=%.2f%n", k, r.recoverySeconds);
            }
        }
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** One job over {@code keys} keys, each key's events spread over the run (three per key, at least 3 M events). */
    static Result run(RecurrentNetwork model, long keys, boolean failOnce) throws Exception {
        long events = Math.max(3 * keys, 3_000_000L);
        Path checkpoints = Files.createTempDirectory("flink-recurrent-scale");
        int port = freePort();
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        conf.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        conf.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, true);
        conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofSeconds(5));
        conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
        conf.set(RestOptions.PORT, port);
        conf.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.ofMebiBytes(1024));
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 1);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ZERO);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(2);
        FAILED_AT.set(0);
        RECOVERED_AT.set(0);
        CHECKPOINTED.set(false);
        DataGeneratorSource<KeyedEvent> source = new DataGeneratorSource<>(i -> {
            float[] x = new float[16];
            x[(int) (i % 16)] = 1;
            x[(int) ((i / 16) % 16)] += 0.5f;
            return new KeyedEvent("key-" + (i % keys), x);
        }, events, TypeInformation.of(KeyedEvent.class));
        var in = env.fromSource(source, WatermarkStrategy.noWatermarks(), "generator").setParallelism(1);
        var mapped = failOnce ? in.map(new FailOnce(2 * events / 3)).returns(KeyedEvent.class).setParallelism(1) : in;
        Recurrent.builder(model).name("scale").apply(mapped).sinkTo(new Discard()).name("discard");
        System.out.printf(Locale.ROOT, "- %,d keys, %,d events%s ...%n", keys, events, failOnce ? ", one failure after a checkpoint" : "");
        long t0 = System.nanoTime();
        JobClient job = env.executeAsync("scale " + keys);
        var result = job.getJobExecutionResult();
        HttpClient http = HttpClient.newHttpClient();
        JsonNode stats = null;
        // the local cluster goes away with its job: the checkpoint statistics are read while it runs
        while (!result.isDone()) {
            Thread.sleep(500);
            JsonNode c = checkpointStats(http, port, job.getJobID().toString());
            if (c != null && c.path("counts").path("completed").asLong() > 0) {
                stats = c;
            }
        }
        result.get(); // throws if the job failed
        double seconds = (System.nanoTime() - t0) / 1e9;
        double recovery = failOnce ? (RECOVERED_AT.get() - FAILED_AT.get()) / 1e9 : -1;
        JsonNode sum = stats == null ? null : stats.path("summary");
        Result r = new Result(keys, events, seconds, stats == null ? 0 : stats.path("counts").path("completed").asLong(),
                sum == null ? -1 : sum.path("end_to_end_duration").path("avg").asLong(),
                sum == null ? -1 : sum.path("end_to_end_duration").path("max").asLong(),
                sum == null ? -1 : sum.path("state_size").path("max").asLong(),
                sum == null ? -1 : sum.path("checkpointed_size").path("avg").asLong(),
                sum == null ? -1 : sum.path("checkpointed_size").path("max").asLong(), recovery);
        System.out.printf(Locale.ROOT, "  %,.0f events/s over %.1f s; %d checkpoints, %d ms on average (at most %d), up to %.1f MiB"
                        + " (%.1f MiB new on average)%s%n",
                events / seconds, seconds, r.checkpoints, r.avgDurationMs, r.maxDurationMs, r.maxFullBytes / 1048576.0,
                r.avgIncrementalBytes / 1048576.0,
                failOnce ? String.format(Locale.ROOT, "; from the failure to the first output after the restore: %.1f s", recovery) : "");
        deleteQuietly(checkpoints);
        return r;
    }

    static JsonNode checkpointStats(HttpClient http, int port, String job) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/jobs/" + job + "/checkpoints"))
                    .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
        } catch (Exception e) {
            return null;
        }
    }

    static void deleteQuietly(Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (Exception ignored) {
            // a temporary folder
        }
    }

    static final AtomicLong FAILED_AT = new AtomicLong();
    static final AtomicLong RECOVERED_AT = new AtomicLong();
    static final java.util.concurrent.atomic.AtomicBoolean CHECKPOINTED = new java.util.concurrent.atomic.AtomicBoolean();

    /** Fails once, at the first event after a completed checkpoint past {@code after} events (same JVM: a static flag). */
    static final class FailOnce extends RichMapFunction<KeyedEvent, KeyedEvent> implements CheckpointListener {
        private final long after;
        private long seen;

        FailOnce(long after) {
            this.after = after;
        }

        @Override
        public KeyedEvent map(KeyedEvent e) {
            if (++seen > after && CHECKPOINTED.get() && FAILED_AT.get() == 0) {
                FAILED_AT.set(System.nanoTime());
                throw new IllegalStateException("the benchmark's injected failure");
            }
            return e;
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) {
            if (seen > after / 2) {
                CHECKPOINTED.set(true);
            }
        }
    }

    /** Counts nothing, keeps nothing; notes the first output after an injected failure. */
    static final class Discard implements Sink<RecurrentOutput> {
        @Override
        public SinkWriter<RecurrentOutput> createWriter(WriterInitContext context) {
            boolean restarted = context.getTaskInfo().getAttemptNumber() > 0; // a writer of the restored job
            return new SinkWriter<>() {
                @Override
                public void write(RecurrentOutput o, Context c) {
                    if (restarted && RECOVERED_AT.get() == 0) {
                        RECOVERED_AT.compareAndSet(0, System.nanoTime());
                    }
                }

                @Override
                public void flush(boolean endOfInput) {}

                @Override
                public void close() {}
            };
        }
    }
}
