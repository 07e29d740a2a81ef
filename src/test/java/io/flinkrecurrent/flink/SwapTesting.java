package io.flinkrecurrent.flink;

import io.flinkrecurrent.cell.Kernels;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.Scratch;
import io.flinkrecurrent.model.SafeTensors;
import io.flinkrecurrent.model.Tensor;
import io.flinkrecurrent.testing.FlinkTesting;
import io.flinkrecurrent.testing.Golden;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Model files for the swap tests, and the expected outputs of a stream whose model changes: each
 * model replayed by the plain engine on its part of each key's history, with the policy at the change.
 */
public final class SwapTesting {
    public static final Path A = Golden.dir().resolve("public/lstm_i8_h32_l2_head3_softmax.safetensors");

    private SwapTesting() {}

    /** A's architecture with other weights (A's scaled and shifted): same layout, other outputs. */
    public static Path variant(Path dir, String name, float scale) throws IOException {
        return variant(A, dir, name, scale);
    }

    /** A model file's architecture with other weights (scaled and shifted), written to {@code dir/name.safetensors}. */
    public static Path variant(Path model, Path dir, String name, float scale) throws IOException {
        SafeTensors st = SafeTensors.read(model);
        List<Tensor> out = new ArrayList<>();
        int k = 0;
        for (Tensor t : st.tensors().values()) {
            float[] d = t.data().clone();
            for (int i = 0; i < d.length; i++) {
                d[i] = d[i] * scale + ((i + k) % 7 - 3) * 0.01f;
            }
            out.add(new Tensor(t.name(), "F32", t.shape(), d));
            k++;
        }
        Path p = dir.resolve(name + ".safetensors");
        SafeTensors.write(p, st.metadata(), out);
        return p;
    }

    /** A with its second layer dropped: the same input and head, another state layout. */
    static Path oneLayer(Path dir) throws IOException {
        SafeTensors st = SafeTensors.read(A);
        Map<String, String> meta = new LinkedHashMap<>(st.metadata());
        meta.put("num_layers", "1");
        List<Tensor> out = new ArrayList<>();
        for (Tensor t : st.tensors().values()) {
            if (!t.name().endsWith("_l1")) {
                out.add(t);
            }
        }
        Path p = dir.resolve("one-layer.safetensors");
        SafeTensors.write(p, meta, out);
        return p;
    }

    public static ModelUpdate update(ModelUpdate.Kind kind, Path file, String version, ModelUpdate.Policy policy, int warmUp) {
        ModelUpdate u = new ModelUpdate();
        u.kind = kind;
        u.reference = file.toString();
        u.sha256 = ModelReference.sha256(file.toString());
        u.version = version;
        u.policy = policy;
        u.warmUp = warmUp;
        return u;
    }

    /** How a key's state meets a version the first time. */
    record Change(RecurrentModel model, ModelUpdate.Policy policy, int warmUp, long shadowFrom) {
        Change(RecurrentModel model, ModelUpdate.Policy policy, int warmUp) {
            this(model, policy, warmUp, -1);
        }

        /** A promoted shadow that ran from event {@code shadowFrom} on, started with {@code policy}. */
        static Change promoted(RecurrentModel model, ModelUpdate.Policy policy, int warmUp, long shadowFrom) {
            return new Change(model, policy, warmUp, shadowFrom);
        }
    }

    /**
     * Checks every key's outputs of events {@code 0..n-1} of {@link FlinkTesting#event}: complete (seq
     * 0..m-1 once, duplicates identical), each version's outputs after the one before it, and every value
     * the plain engine's, switching to the version's model with its policy at the key's first output of it.
     * Returns the number of outputs of each version.
     */
    static Map<String, Integer> assertSwapped(List<RecurrentOutput> outputs, long n, String firstVersion,
                                              RecurrentModel first, Map<String, Change> changes, int keepInputs) {
        Map<String, TreeMap<Long, RecurrentOutput>> byKey = new TreeMap<>();
        for (RecurrentOutput o : outputs) {
            RecurrentOutput prev = byKey.computeIfAbsent(o.key, k -> new TreeMap<>()).putIfAbsent(o.seq, o);
            if (prev != null) {
                assertEquals(prev.version, o.version, "a duplicate of " + o.key + "#" + o.seq);
                assertArrayEquals(prev.output, o.output, "a duplicate of " + o.key + "#" + o.seq + " differs");
            }
        }
        Map<String, List<KeyedEvent>> events = new TreeMap<>();
        for (long i = 0; i < n; i++) {
            KeyedEvent e = FlinkTesting.event(i, first.inputSize());
            events.computeIfAbsent(e.key, k -> new ArrayList<>()).add(e);
        }
        assertEquals(events.keySet(), byKey.keySet(), "keys");
        Map<String, Integer> perVersion = new TreeMap<>();
        for (Map.Entry<String, List<KeyedEvent>> ke : events.entrySet()) {
            TreeMap<Long, RecurrentOutput> got = byKey.get(ke.getKey());
            List<KeyedEvent> es = ke.getValue();
            assertEquals(es.size(), got.size(), "outputs of " + ke.getKey() + " (a gap?)");
            RecurrentModel model = first;
            String version = firstVersion;
            Scratch scratch = model.newScratch();
            float[] state = model.newState();
            List<float[]> sinceReset = new ArrayList<>();
            List<String> seen = new ArrayList<>(List.of(firstVersion));
            for (int s = 0; s < es.size(); s++) {
                RecurrentOutput o = got.get((long) s);
                assertTrue(o != null, ke.getKey() + " has no seq " + s);
                if (!o.version.equals(version)) {
                    assertTrue(!seen.contains(o.version), ke.getKey() + "#" + s + ": version " + o.version + " again after " + seen);
                    Change c = changes.get(o.version);
                    assertTrue(c != null, "unexpected version " + o.version);
                    seen.add(o.version);
                    version = o.version;
                    model = c.model();
                    scratch = model.newScratch();
                    if (c.shadowFrom() >= 0) {
                        state = shadowState(model, c, es.subList(0, s));
                    } else switch (c.policy()) {
                        case KEEP -> { }
                        case RESET -> {
                            state = model.newState();
                            sinceReset.clear();
                        }
                        case WARM_UP -> {
                            state = model.newState();
                            float[] y = new float[model.outputSize()];
                            int from = Math.max(0, sinceReset.size() - Math.min(c.warmUp(), keepInputs));
                            for (float[] x : sinceReset.subList(from, sinceReset.size())) {
                                model.step(y, state, x, scratch);
                            }
                        }
                    }
                }
                KeyedEvent e = es.get(s);
                if (e.reset) {
                    Arrays.fill(state, 0f);
                    sinceReset.clear();
                }
                float[] y = new float[model.outputSize()];
                model.step(y, state, e.input, scratch);
                sinceReset.add(e.input);
                assertArrayEquals(y, o.output, Kernels.VECTOR ? 1e-6f : 0f, ke.getKey() + "#" + s + " (" + version + ")");
                perVersion.merge(version, 1, Integer::sum);
            }
            assertEquals(changes.size() + 1, seen.size(), ke.getKey() + " has outputs of " + seen
                    + " only: the change did not land mid-stream for it");
        }
        return perVersion;
    }

    /** The shadow's state after a key's events: started at event {@code c.shadowFrom()} as its policy says. */
    static float[] shadowState(RecurrentModel model, Change c, List<KeyedEvent> events) {
        float[] state = model.newState();
        float[] y = new float[model.outputSize()];
        Scratch scratch = model.newScratch();
        List<float[]> since = new ArrayList<>();
        boolean started = false;
        for (KeyedEvent e : events) {
            if (e.id < c.shadowFrom()) {
                if (e.reset) {
                    since.clear();
                }
                since.add(e.input);
                continue;
            }
            if (!started && c.policy() == ModelUpdate.Policy.WARM_UP && !e.reset) {
                for (float[] x : since.subList(Math.max(0, since.size() - c.warmUp()), since.size())) {
                    model.step(y, state, x, scratch);
                }
            }
            started = true;
            if (e.reset) {
                Arrays.fill(state, 0f);
            }
            model.step(y, state, e.input, scratch);
        }
        return state;
    }

    /** Each key's events from {@code from} on, by key. */
    static Map<String, List<KeyedEvent>> eventsFrom(long from, long n, int width) {
        Map<String, List<KeyedEvent>> out = new HashMap<>();
        for (long i = from; i < n; i++) {
            KeyedEvent e = FlinkTesting.event(i, width);
            out.computeIfAbsent(e.key, k -> new ArrayList<>()).add(e);
        }
        return out;
    }
}
