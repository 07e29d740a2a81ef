package io.flinkrecurrent.savepoint;

import io.flinkrecurrent.flink.SwapTesting;

import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.Scratch;
import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.flink.ModelReference;
import io.flinkrecurrent.flink.ModelUpdate;
import io.flinkrecurrent.flink.Recurrent;
import io.flinkrecurrent.flink.RecurrentOutput;
import io.flinkrecurrent.model.ModelLoader;
import io.flinkrecurrent.model.SafeTensors;
import io.flinkrecurrent.model.Tensor;
import io.flinkrecurrent.testing.FlinkTesting;
import io.flinkrecurrent.testing.Gates;
import io.flinkrecurrent.testing.Golden;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A savepoint of a job that swapped its model (A to B, RESET) and then started a shadow (C): the
 * inspection tells which keys are still on A (no event since the swap: their state is A's, tagged with
 * A's fingerprint), which are on B, and which run the shadow; every state, live and shadow, bit for bit
 * the plain engine's; the generations as the broadcast state records them.
 */
class SwappedModelInspectITCase {
    static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setConfiguration(REPORTER.addToConfiguration(new Configuration()))
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());

    static final Path A_FILE = Golden.dir().resolve("public/lstm_i8_h32_l2_head3_softmax.safetensors");
    static final RecurrentModel A = ModelLoader.load(A_FILE).network();
    static final long N = 2_000;
    static final long SWAP_AT = 1_000;
    static final long SHADOW_AT = 1_010;
    static final long HOLD_AT = 1_020;

    @TempDir
    Path dir;

    /** A's architecture with other weights: the same layout, other states. */
    static Path variant(Path dir, String name, float scale) throws IOException {
        return SwapTesting.variant(A_FILE, dir, name, scale);
    }

    static ModelUpdate update(ModelUpdate.Kind kind, Path file, String version) {
        ModelUpdate u = new ModelUpdate();
        u.kind = kind;
        u.reference = file.toString();
        u.sha256 = ModelReference.sha256(file.toString());
        u.version = version;
        u.policy = ModelUpdate.Policy.RESET;
        return u;
    }

    static void awaitGeneration(JobID job, long generation) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            int at = 0;
            for (var e : REPORTER.getMetricsByGroup().entrySet()) {
                Metric m = e.getValue().get("generation");
                if (m != null && job.toString().equals(e.getKey().getAllVariables().get("<job_id>"))
                        && ((Gauge<?>) m).getValue() instanceof Long g && g == generation) {
                    at++;
                }
            }
            if (at >= 2) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the subtasks did not reach model generation " + generation);
    }

    static float[] stepped(RecurrentModel m, List<KeyedEvent> es) {
        float[] st = m.newState();
        Scratch s = m.newScratch();
        float[] y = new float[m.outputSize()];
        for (KeyedEvent e : es) {
            if (e.reset) {
                Arrays.fill(st, 0f);
            }
            m.step(y, st, e.input, s);
        }
        return st;
    }

    @Test
    void tellsWhichKeysAreStillOnTheOldModel() throws Exception {
        Gates.reset();
        Path bFile = variant(dir, "b", 0.6f);
        Path cFile = variant(dir, "c", 0.8f);
        RecurrentModel b = ModelLoader.load(bFile).network();
        RecurrentModel c = ModelLoader.load(cFile).network();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(FlinkTesting.jobConfig("rocksdb", null));
        env.setParallelism(2);
        int width = A.inputSize();
        DataStream<KeyedEvent> events = env.fromSource(new DataGeneratorSource<>(i -> FlinkTesting.event(i, width), N,
                        Gates.holdAt(new long[] {SWAP_AT, SHADOW_AT, HOLD_AT}, new String[] {"swap", "shadow", "hold"}),
                        TypeInformation.of(KeyedEvent.class)), WatermarkStrategy.noWatermarks(), "events")
                .uid("events").setParallelism(1);
        ModelUpdate[] all = {update(ModelUpdate.Kind.SWAP, bFile, "B"), update(ModelUpdate.Kind.SHADOW, cFile, "C")};
        DataStream<ModelUpdate> updates = env.fromSource(new DataGeneratorSource<>(i -> all[(int) (long) i], all.length,
                        Gates.holdAt(new long[] {0, 1}, new String[] {"update-0", "update-1"}), TypeInformation.of(ModelUpdate.class)),
                WatermarkStrategy.noWatermarks(), "updates").uid("updates").setParallelism(1);
        CloseableIterator<RecurrentOutput> it = Recurrent.builder(A).name("swap").modelVersion("A").updates(updates)
                .apply(events).collectAsync();
        JobClient job = env.executeAsync("swap");
        try {
            long outs = 0;
            while (outs < SWAP_AT && it.hasNext()) {
                it.next();
                outs++;
            }
            Gates.open("update-0");
            awaitGeneration(job.getJobID(), 1);
            Gates.open("swap");
            while (outs < SHADOW_AT && it.hasNext()) {
                it.next();
                outs++;
            }
            Gates.open("update-1");
            awaitGeneration(job.getJobID(), 2);
            Gates.open("shadow");
            while (outs < HOLD_AT && it.hasNext()) {
                it.next();
                outs++;
            }
            String savepoint = job.stopWithSavepoint(false, dir.resolve("savepoints").toUri().toString(),
                    SavepointFormatType.CANONICAL).get(60, TimeUnit.SECONDS);
            it.close();

            SavepointInspection inspection = SavepointInspection.open(savepoint);
            List<ModelGeneration> gens = inspection.models(SavepointInspection.localEnvironment(inspection.contents(), "swap"), "swap");
            assertEquals(3, gens.size(), "A, B, the shadow C: " + gens);
            assertEquals("A", gens.get(0).version());
            assertEquals(A.fingerprint(), gens.get(0).tag(), "generation 0 tags with A's fingerprint");
            assertNull(gens.get(0).reference());
            assertEquals("B", gens.get(1).version());
            assertFalse(gens.get(1).shadow());
            assertEquals(ModelReference.sha256(bFile.toString()), gens.get(1).sha256());
            assertEquals("C", gens.get(2).version());
            assertTrue(gens.get(2).shadow());

            Map<String, InspectedKey> got = SavepointInspection.read(savepoint, "swap", Types.STRING);
            Map<String, List<KeyedEvent>> before = new TreeMap<>();
            Map<String, List<KeyedEvent>> afterSwap = new TreeMap<>();
            Map<String, List<KeyedEvent>> underShadow = new TreeMap<>();
            for (long i = 0; i < HOLD_AT; i++) {
                KeyedEvent e = FlinkTesting.event(i, width);
                (i < SWAP_AT ? before : afterSwap).computeIfAbsent(e.key, k -> new ArrayList<>()).add(e);
                if (i >= SHADOW_AT) {
                    underShadow.computeIfAbsent(e.key, k -> new ArrayList<>()).add(e);
                }
            }
            assertEquals(FlinkTesting.KEYS, got.size());
            int onA = 0;
            for (Map.Entry<String, InspectedKey> e : got.entrySet()) {
                String key = e.getKey();
                InspectedKey k = e.getValue();
                List<KeyedEvent> since = afterSwap.get(key);
                if (since == null) {
                    onA++;
                    assertEquals(A.fingerprint(), k.fingerprint, key + " had no event since the swap: still A's");
                    assertEquals("A", ModelGeneration.versionOf(k.fingerprint, gens));
                    assertArrayEquals(InspectITCase.bits(stepped(A, before.get(key))), InspectITCase.bits(k.state), key + " (A)");
                } else {
                    assertEquals(gens.get(1).tag(), k.fingerprint, key + " met B");
                    assertEquals("B", ModelGeneration.versionOf(k.fingerprint, gens));
                    assertArrayEquals(InspectITCase.bits(stepped(b, since)), InspectITCase.bits(k.state), key + " (B from zeros)");
                }
                List<KeyedEvent> shadowed = underShadow.get(key);
                assertEquals(shadowed != null, k.hasShadow, key + ": a shadow state where the key had events under the shadow");
                if (shadowed != null) {
                    assertEquals(gens.get(2).tag(), k.shadowFingerprint, key);
                    assertArrayEquals(InspectITCase.bits(stepped(c, shadowed)), InspectITCase.bits(k.shadowState), key + " (shadow C)");
                }
            }
            assertTrue(onA > 0 && onA < FlinkTesting.KEYS, "some keys on A, some on B: " + onA + " on A");
        } finally {
            try {
                job.cancel().get(10, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // stopped already
            }
        }
    }
}
