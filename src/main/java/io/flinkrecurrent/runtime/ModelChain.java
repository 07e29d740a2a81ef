package io.flinkrecurrent.runtime;

import io.flinkrecurrent.flink.KeyState;
import io.flinkrecurrent.flink.ModelReference;
import io.flinkrecurrent.flink.ModelUpdate;
import io.flinkrecurrent.flink.SwapRecord;
import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.cell.Layer;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.cell.Scratch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The models a swappable operator has run, in order, and what a key's state does when it meets a
 * newer one. Each accepted update is a generation; the states its model writes carry the generation's
 * tag in {@link KeyState#fingerprint} (generation 0, the job's own model, tags with the model's plain
 * fingerprint, so a job that starts swapping keeps the states it had). A key is brought up to date
 * lazily, at its next event: from the generation that wrote its state to the current one, the state
 * is kept if every swap in between was {@code KEEP}; otherwise the latest other swap decides (zeros,
 * or a warm-up over the key's last inputs through that swap's model, or the shadow's state for a
 * promotion) and the {@code KEEP}s after it carry that on. A state whose tag is not in the chain (the
 * chain keeps the last {@value #MAX_GENERATIONS} generations) is reset as written by another model.
 *
 * <p>Only references and hashes are kept in the checkpoint ({@link SwapRecord}); the models are read
 * again after a restore, and a file that is missing or changed fails the restore with its name.
 */
@Internal
public final class ModelChain {
    static final int MAX_GENERATIONS = 32;

    /** One generation: its record, and its model once loaded. */
    static final class Generation {
        final SwapRecord record;
        RecurrentModel model;
        private Scratch scratch;
        private float[] out;
        private float[] x;

        Generation(SwapRecord record, RecurrentModel model) {
            this.record = record;
            this.model = model;
        }

        ModelUpdate update() { return record.update; }

        long tag() { return record.tag; }

        String version() { return record.update.version; }

        /** The model, read (and checked against its hash) if this generation's was not loaded yet. */
        RecurrentModel model() {
            if (model == null) {
                model = ModelReference.load(record.update.reference, record.update.sha256).network();
            }
            return model;
        }

        /** {@code state} replayed from zeros through this model over the ring's last {@code n} inputs. */
        void warmUp(float[] state, float[] ring, int n) {
            RecurrentModel m = model();
            if (scratch == null) {
                scratch = m.newScratch();
                out = new float[m.outputSize()];
                x = new float[m.inputSize()];
            }
            Arrays.fill(state, 0f);
            if (ring != null) {
                InputRing.replay(state, ring, n, m, out, x, scratch);
            }
        }
    }

    private final RecurrentModel initial;
    private final String initialVersion;
    private final int keepInputs;
    private final int inputSize;
    private final List<Generation> live = new ArrayList<>();
    private Generation shadow;
    private long nextGeneration;

    /** A chain that starts with the job's own model. */
    public ModelChain(RecurrentModel initial, String initialVersion, int keepInputs) {
        this(Objects.requireNonNull(initial, "initial model"), initialVersion, keepInputs, initial.inputSize());
    }

    /**
     * A chain that starts with the job's own model, or with none ({@code initial} null): then
     * {@link #model()} is null until the first update, which must take {@code inputSize} inputs.
     */
    public ModelChain(RecurrentModel initial, String initialVersion, int keepInputs, int inputSize) {
        this.initial = initial;
        this.keepInputs = keepInputs;
        this.inputSize = inputSize;
        if (initial == null) {
            this.initialVersion = null;
            nextGeneration = 1;
            return;
        }
        this.initialVersion = initialVersion != null ? initialVersion : Long.toHexString(initial.fingerprint());
        ModelUpdate u = ModelUpdate.swap(null, null, this.initialVersion, ModelUpdate.Policy.RESET);
        live.add(new Generation(new SwapRecord(0, initial.fingerprint(), false, u), initial));
        nextGeneration = 1;
    }

    /**
     * The chain from a checkpoint's records; the current model and the shadow are loaded (and their
     * hashes checked) now, so a missing or changed file fails the restore rather than the first event.
     */
    public void restore(Iterable<SwapRecord> records) {
        List<SwapRecord> all = new ArrayList<>();
        records.forEach(all::add);
        if (all.isEmpty()) {
            return;
        }
        all.sort(Comparator.comparingLong(r -> r.generation));
        live.clear();
        shadow = null;
        for (SwapRecord r : all) {
            if (r.shadow) {
                shadow = new Generation(r, null);
            } else if (r.update.reference == null) {
                // the job's own model: the one in this job's code now (its tag follows it, so states of another reset)
                live.add(new Generation(new SwapRecord(r.generation, initial.fingerprint(), false,
                        ModelUpdate.swap(null, null, initialVersion, ModelUpdate.Policy.RESET)), initial));
            } else {
                live.add(new Generation(r, null));
            }
            nextGeneration = Math.max(nextGeneration, r.generation + 1);
        }
        List<Generation> loaded = new ArrayList<>();
        if (current() != null) {
            loaded.add(current());
        }
        if (shadow != null) {
            loaded.add(shadow);
        }
        for (Generation g : loaded) {
            if (g.update().reference != null) {
                ModelReference.verify(g.update().reference, g.update().sha256);
            }
            g.model();
        }
    }

    /** What the checkpoint keeps: every generation still in the chain, and the shadow. */
    public List<SwapRecord> records() {
        List<SwapRecord> out = new ArrayList<>();
        for (Generation g : live) {
            out.add(g.record);
        }
        if (shadow != null) {
            out.add(shadow.record);
        }
        return out;
    }

    /** The live generation, or null before the first model of a chain that started with none. */
    Generation current() {
        return live.isEmpty() ? null : live.get(live.size() - 1);
    }

    Generation shadow() {
        return shadow;
    }

    /** The live model, or null while a chain that started with none has had no update. */
    public RecurrentModel model() {
        return current() == null ? null : current().model();
    }

    public long tag() {
        return current() == null ? 0 : current().tag();
    }

    public String version() {
        return current() == null ? null : current().version();
    }

    /** The latest accepted update's generation (live or shadow): 0 until one is accepted. */
    public long generation() {
        return nextGeneration - 1;
    }

    /**
     * Applies an update: null when accepted (the chain changed), {@link #DUPLICATE} when it is the one
     * in force already (a source that re-sends after a restore), else the reason it is refused.
     */
    public String apply(ModelUpdate u) {
        if (u == null || u.kind == null) {
            return "the update has no kind" + (u != null && u.version != null ? " (" + u.version + ")" : "");
        }
        switch (u.kind) {
            case STOP_SHADOW -> {
                if (shadow == null) {
                    return DUPLICATE;
                }
                shadow = null;
                return null;
            }
            case PROMOTE -> {
                if (shadow == null) {
                    return "PROMOTE, but there is no shadow model to promote";
                }
                ModelUpdate s = shadow.update();
                ModelUpdate p = ModelUpdate.swap(s.reference, s.sha256, s.version, s.policy);
                p.kind = ModelUpdate.Kind.PROMOTE;
                p.warmUp = s.warmUp;
                // the promoted generation tags with the shadow's tag: the keys' shadow states are its states
                Generation g = new Generation(new SwapRecord(nextGeneration++, shadow.tag(), false, p), shadow.model);
                g.model = shadow.model();
                append(g);
                shadow = null;
                return null;
            }
            default -> {
                return applyModel(u);
            }
        }
    }

    /** {@link #apply}'s answer for an update that is already in force. */
    public static final String DUPLICATE = "already in force";

    private String applyModel(ModelUpdate u) {
        boolean toShadow = u.kind == ModelUpdate.Kind.SHADOW;
        if (u.version == null || u.version.isBlank()) {
            return "the update has no version name";
        }
        if (u.policy == null) {
            return "the update has no policy";
        }
        Generation same = toShadow ? shadow : current();
        if (toShadow && current() == null) {
            return "a shadow needs a live model beside it, and there is none yet";
        }
        if (same != null && same.update().version.equals(u.version) && Objects.equals(same.update().sha256, u.sha256)) {
            return DUPLICATE;
        }
        if (toShadow && u.policy == ModelUpdate.Policy.KEEP) {
            return "a shadow model starts each key from zeros (RESET) or from its last inputs (WARM_UP), not KEEP";
        }
        if (u.policy == ModelUpdate.Policy.WARM_UP) {
            if (u.warmUp < 1) {
                return "WARM_UP needs a number of inputs of at least 1, got " + u.warmUp;
            }
            if (u.warmUp > keepInputs) {
                return "WARM_UP over " + u.warmUp + " inputs, but the operator keeps " + keepInputs
                        + " per key (RecurrentOptions.keepInputs)";
            }
        }
        RecurrentModel m;
        try {
            m = ModelReference.load(u.reference, u.sha256).network();
        } catch (RuntimeException e) {
            return "the model cannot be used: " + e.getMessage();
        }
        RecurrentModel now = model();
        if (m.inputSize() != inputSize) {
            return "the model takes " + m.inputSize() + " inputs; the stream gives " + inputSize;
        }
        if (u.policy == ModelUpdate.Policy.KEEP && now != null && !layout(m).equals(layout(now))) {
            return "KEEP needs the same state layout, but the live model's is " + layout(now) + " and the new one's "
                    + layout(m);
        }
        long generation = nextGeneration++;
        Generation g = new Generation(new SwapRecord(generation, tag(m.fingerprint(), generation), toShadow, u.copy()), m);
        if (toShadow) {
            shadow = g;
        } else {
            append(g);
        }
        return null;
    }

    private void append(Generation g) {
        live.add(g);
        while (live.size() > MAX_GENERATIONS) {
            live.remove(0);
        }
    }

    /** A generation's tag: unique per generation, so a model that comes back is told from its first run. */
    static long tag(long fingerprint, long generation) {
        long z = fingerprint ^ generation * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The state layout two models must share for KEEP: each layer's cell, widths and state slots. */
    static String layout(RecurrentModel m) {
        if (m instanceof RecurrentNetwork n) {
            StringBuilder sb = new StringBuilder();
            for (Layer l : n.layers()) {
                sb.append(sb.isEmpty() ? "" : " | ").append(l.type()).append(' ').append(l.inputSize()).append("->")
                        .append(l.outSize()).append(" (hidden ").append(l.hiddenSize()).append(", cell ")
                        .append(l.cellSize()).append(')');
            }
            return sb.toString();
        }
        return m.getClass().getName() + " with " + m.stateSize() + " floats";
    }

    /** What {@link #bringUpToDate} did to a key. */
    public enum Change { NONE, KEPT, RESET, WARMED_UP, PROMOTED, UNKNOWN }

    /**
     * Brings a key's live state to the current generation (see the class comment). {@code ring} is the
     * key's last inputs or null; {@code shadowStates} gives the key's shadow state, asked only for a promotion.
     * {@link Change#UNKNOWN}: the tag is not in the chain, the caller resets the key as changed.
     */
    public Change bringUpToDate(KeyState ks, float[] ring, Supplier<KeyState> shadowStates) {
        Generation now = current();
        if (ks.fingerprint == now.tag()) {
            return Change.NONE;
        }
        int i = live.size() - 2;
        while (i >= 0 && live.get(i).tag() != ks.fingerprint) {
            i--;
        }
        if (i < 0) {
            return Change.UNKNOWN;
        }
        int h = live.size() - 1;
        while (h > i && live.get(h).update().kind == ModelUpdate.Kind.SWAP
                && live.get(h).update().policy == ModelUpdate.Policy.KEEP) {
            h--;
        }
        ks.fingerprint = now.tag();
        if (h == i) {
            return Change.KEPT;
        }
        Generation g = live.get(h);
        int size = g.model().stateSize();
        if (ks.state == null || ks.state.length != size) {
            ks.state = new float[size];
        }
        if (g.update().kind == ModelUpdate.Kind.PROMOTE) {
            KeyState shadowState = shadowStates.get();
            if (shadowState != null && shadowState.fingerprint == g.tag() && shadowState.state != null) {
                System.arraycopy(shadowState.state, 0, ks.state, 0, size);
            } else {
                start(g, ks.state, ring, ks.sinceReset);
            }
            return Change.PROMOTED;
        }
        if (g.update().policy == ModelUpdate.Policy.WARM_UP) {
            g.warmUp(ks.state, ring, replayable(g, ks.sinceReset));
            return Change.WARMED_UP;
        }
        Arrays.fill(ks.state, 0f);
        ks.sinceReset = 0;
        return Change.RESET;
    }

    /** A key's shadow state at its first event under the shadow: zeros, or warmed up over its last inputs. */
    void startShadow(KeyState s, float[] ring) {
        s.fingerprint = shadow.tag();
        s.state = new float[shadow.model().stateSize()];
        start(shadow, s.state, ring, Long.MAX_VALUE); // ring: null when the live key starts from zeros at this event
    }

    /**
     * A warm-up's inputs: the update's count, at most the key's inputs since its last reset. A key dropped
     * while idle (none since) still holds its older inputs until its next step: they are not replayed.
     */
    private static int replayable(Generation g, long sinceReset) {
        return (int) Math.min(g.update().warmUp, sinceReset);
    }

    private static void start(Generation g, float[] state, float[] ring, long sinceReset) {
        if (g.update().policy == ModelUpdate.Policy.WARM_UP) {
            g.warmUp(state, ring, replayable(g, sinceReset));
        } else {
            Arrays.fill(state, 0f);
        }
    }
}
