package io.flinkrecurrent.testing;

import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.Scratch;
import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.flink.RecurrentOutput;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the end-to-end tests share: the mini-cluster, job configuration, a deterministic event stream. */
public final class FlinkTesting {
    private FlinkTesting() {}

    /** One TaskManager with four slots: parallelism 2 by default, room to rescale to 3. */
    public static MiniClusterExtension miniCluster() {
        return new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
                .setNumberTaskManagers(1)
                .setNumberSlotsPerTaskManager(4)
                .build());
    }

    /** Streaming, no Kryo fallback, the given state backend, checkpoints every 100 ms into {@code checkpoints}. */
    public static Configuration jobConfig(String backend, Path checkpoints) {
        Configuration c = new Configuration();
        c.set(ExecutionOptions.RUNTIME_MODE, RuntimeExecutionMode.STREAMING);
        c.set(PipelineOptions.GENERIC_TYPES, false);
        c.set(StateBackendOptions.STATE_BACKEND, backend);
        if (checkpoints != null) {
            c.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofMillis(100));
            c.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
        }
        c.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        c.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
        c.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(200));
        return c;
    }

    /** Number of keys of {@link #event}. */
    public static final int KEYS = 23;

    /** The i-th event of a deterministic stream: 23 keys, inputs from a hash of i, a reset now and then. */
    public static KeyedEvent event(long i, int inputSize) {
        float[] x = new float[inputSize];
        long s = i * 0x9E3779B97F4A7C15L;
        for (int k = 0; k < inputSize; k++) {
            s ^= s >>> 29;
            s *= 0xBF58476D1CE4E5B9L;
            x[k] = ((s >>> 40) % 1025 - 512) / 128f; // multiples of 1/128 in [-4, 4]
        }
        KeyedEvent e = new KeyedEvent("key-" + (i % KEYS), x);
        e.reset = i % 101 == 100;
        e.id = i;
        return e;
    }

    /** Each key's expected outputs for events 0..n-1, by the plain engine (same kernels, so bit for bit). */
    public static Map<String, List<float[]>> expected(RecurrentModel model, long n) {
        Map<String, float[]> states = new HashMap<>();
        Map<String, List<float[]>> out = new TreeMap<>();
        Scratch scratch = model.newScratch();
        for (long i = 0; i < n; i++) {
            KeyedEvent e = event(i, model.inputSize());
            float[] st = states.computeIfAbsent(e.key, k -> model.newState());
            if (e.reset) {
                Arrays.fill(st, 0f);
            }
            float[] y = new float[model.outputSize()];
            model.step(y, st, e.input, scratch);
            out.computeIfAbsent(e.key, k -> new ArrayList<>()).add(y);
        }
        return out;
    }

    /**
     * Asserts that the outputs, deduplicated by (key, seq), are complete for every key (seq 0..n-1, no
     * gap), that duplicates carry identical values, and that every value equals the uninterrupted run.
     */
    public static void assertCompleteAndIdentical(Map<String, List<float[]>> expected, List<RecurrentOutput> outputs) {
        Map<String, Map<Long, float[]>> got = new TreeMap<>();
        for (RecurrentOutput o : outputs) {
            float[] prev = got.computeIfAbsent(o.key, k -> new TreeMap<>()).putIfAbsent(o.seq, o.output);
            if (prev != null) {
                assertArrayEquals(prev, o.output, "a duplicate of " + o.key + "#" + o.seq + " differs");
            }
        }
        assertEquals(expected.keySet(), got.keySet(), "keys");
        for (Map.Entry<String, List<float[]>> e : expected.entrySet()) {
            Map<Long, float[]> byseq = got.get(e.getKey());
            assertEquals(e.getValue().size(), byseq.size(), "outputs of " + e.getKey() + " (a gap?)");
            for (int s = 0; s < e.getValue().size(); s++) {
                assertTrue(byseq.containsKey((long) s), e.getKey() + " has no seq " + s);
                // bit for bit; within float rounding where batched products use the Vector API's FMAs
                assertArrayEquals(e.getValue().get(s), byseq.get((long) s), io.flinkrecurrent.cell.Kernels.VECTOR ? 1e-6f : 0f,
                        e.getKey() + "#" + s);
            }
        }
    }
}
