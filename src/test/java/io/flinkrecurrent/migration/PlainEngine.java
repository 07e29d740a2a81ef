package io.flinkrecurrent.migration;

import io.flinkrecurrent.cell.Kernels;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.Scratch;
import io.flinkrecurrent.model.ModelLoader;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A scenario's outputs without Flink: its events, watermarks and updates replayed in one thread, each
 * key's state stepped directly by the model's cells, with the operator's documented rules written out
 * again here (resets by flag, by step count and by event-time idleness, the idle timer dropping a key's
 * state when the watermark passes its deadline, event-time ordering with its lateness and buffer limits,
 * model generations with their policies, the shadow model, the kept inputs, events waiting for a first
 * model; the SQL function's ordering). Every output is marked as before or after the savepoint: the
 * generator checks the job's outputs before it against these, and writes those after it as the
 * continuation the migration test expects.
 *
 * <p>It replays what the scenarios use, and refuses what it does not model (processing time, a
 * per-subtask buffer limit at a parallelism above 1, overflows) rather than guess.
 */
final class PlainEngine {
    static final long NONE = Long.MIN_VALUE;

    /** The outputs of a scenario, split at its savepoint. */
    record Run(List<Out> before, List<Out> after, long waitingAtSavepoint) {}

    /** One model generation (or the shadow). */
    private static final class Gen {
        final RecurrentModel model;
        final String version;
        final String kind;
        final String policy;
        final int warmUp;
        final Scratch scratch;
        /** A promoted generation: the shadow it was. */
        Gen promotedFrom;

        Gen(RecurrentModel model, String version, String kind, String policy, int warmUp) {
            this.model = model;
            this.version = version;
            this.kind = kind;
            this.policy = policy;
            this.warmUp = warmUp;
            this.scratch = model.newScratch();
        }
    }

    private static final class Key {
        final String name;
        boolean created;
        float[] state; // null: zeros (a dropped state)
        long seq;
        long sinceReset;
        long last = NONE;
        boolean timer;
        int gen;
        List<float[]> ring; // null until the key's first step, with keepInputs
        float[] shadow;
        Gen shadowOf;
        final List<Scenario.Event> pending = new ArrayList<>();
        final List<Scenario.Event> awaiting = new ArrayList<>();

        Key(String name) {
            this.name = name;
        }
    }

    private final Scenario s;
    private final Scenario.Options o;
    private final List<Scenario.Event> events;
    private final Map<String, Key> keys = new TreeMap<>();
    private final List<Gen> live = new ArrayList<>();
    private Gen shadow;
    private long buffered;
    private boolean afterSavepoint;
    private long waitingAtSavepoint;
    private long mostWaitingBefore;
    private List<Out> out;

    private PlainEngine(Scenario s, List<Scenario.Event> events) {
        this.s = s;
        this.o = s.options;
        this.events = events;
        if (s.model != null) {
            RecurrentModel m = load(s.model);
            // the outputs' version: the name given, else the model's fingerprint in hex (documented)
            live.add(new Gen(m, s.modelVersion != null ? s.modelVersion : Long.toHexString(m.fingerprint()), "SWAP", "RESET", 0));
        }
        if (o.idleGapMs > 0 && o.idleDomain != null && !o.idleDomain.equals("EVENT_TIME")) {
            throw new IllegalArgumentException("only event-time idleness can be replayed");
        }
    }

    private static final Map<String, RecurrentModel> MODELS = new HashMap<>();

    static synchronized RecurrentModel load(String path) {
        return MODELS.computeIfAbsent(path, p -> ModelLoader.load(Path.of(p)).network());
    }

    static Run run(Scenario s, List<Scenario.Event> events) {
        return new PlainEngine(s, events).replay();
    }

    /**
     * Ordering by event time, no per-subtask limit: how many events wait when the savepoint is taken, and
     * the most that waited at once before it (in all subtasks).
     */
    static long[] waiting(Scenario s, List<Scenario.Event> events) {
        Scenario unlimited = Scenario.JSON.convertValue(s, Scenario.class);
        unlimited.options.maxBufferedPerSubtask = 0;
        PlainEngine p = new PlainEngine(unlimited, events);
        p.replay();
        return new long[] {p.waitingAtSavepoint, p.mostWaitingBefore};
    }

    private Run replay() {
        List<Out> before = new ArrayList<>();
        List<Out> after = new ArrayList<>();
        out = before;
        int n = events.size();
        for (int i = 0; i < n; i++) {
            if (i == s.savepointAt) {
                out = after;
                afterSavepoint = true;
                waitingAtSavepoint = buffered;
                if (o.maxBufferedPerSubtask > 0 && s.restoreParallelism != 1) {
                    // the limit counts a subtask's events: replayed as the sum over all keys, which is that at parallelism 1
                    throw new IllegalArgumentException("a per-subtask buffer limit is replayed at restore parallelism 1 only");
                }
            }
            for (Scenario.Update u : s.updates) {
                if (u.beforeEvent == i) {
                    update(u);
                }
            }
            Scenario.Event e = events.get(i);
            if (s.sql()) {
                row(e);
            } else {
                event(e);
            }
            if (e.watermark != null) {
                watermark(e.watermark);
            }
        }
        if (!afterSavepoint) {
            waitingAtSavepoint = buffered;
        }
        out = after;
        afterSavepoint = true;
        for (Scenario.Update u : s.updates) {
            if (u.beforeEvent >= n) {
                update(u);
            }
        }
        watermark(Long.MAX_VALUE); // the end of the bounded source
        return new Run(before, after, waitingAtSavepoint);
    }

    private Key key(String k) {
        return keys.computeIfAbsent(k, Key::new);
    }

    private Gen current() {
        return live.isEmpty() ? null : live.get(live.size() - 1);
    }

    private long lateness() {
        return o.ordered ? o.latenessMs : 0;
    }

    // ------------------------------------------------------------------ the DataStream operator

    private void event(Scenario.Event e) {
        long ts = e.ts == null ? NONE : e.ts;
        Key k = key(e.key);
        if (current() == null) {
            k.awaiting.add(e); // no model yet: waits (within the default limits)
            return;
        }
        if (o.ordered) {
            if (ts == NONE) {
                out.add(Out.rejected(e.key, e.id, "NO_TIMESTAMP", null));
                return;
            }
            if (k.last != NONE && ts < k.last) {
                out.add(Out.rejected(e.key, e.id, "LATE", ts));
                return;
            }
            long perKey = o.maxBufferedPerKey > 0 ? o.maxBufferedPerKey : 10_000;
            long perSubtask = o.maxBufferedPerSubtask > 0 ? o.maxBufferedPerSubtask : 100_000;
            if (buffered >= perSubtask && !afterSavepoint && s.parallelism != 1) {
                throw new IllegalArgumentException("the per-subtask limit is reached before the savepoint, at parallelism "
                        + s.parallelism + ": not replayed (the count is a subtask's)");
            }
            if (k.pending.size() >= perKey || buffered >= perSubtask) {
                if ("RELEASE".equals(o.bufferFull)) {
                    throw new IllegalArgumentException("the RELEASE policy is not replayed");
                }
                out.add(Out.rejected(e.key, e.id, "BUFFER_FULL", ts));
                return;
            }
            k.pending.add(e);
            buffered++;
            if (!afterSavepoint) {
                mostWaitingBefore = Math.max(mostWaitingBefore, buffered);
            }
            return;
        }
        step(k, e, ts);
    }

    /** The operator's step of one event of the key: bring up to date, prepare, step, advance, emit, after-step. */
    private void step(Key k, Scenario.Event e, long ts) {
        Gen g = current();
        boolean promoted = false;
        if (!k.created) {
            k.created = true;
            k.gen = live.size() - 1;
            k.sinceReset = 0;
        } else if (k.gen != live.size() - 1) {
            promoted = bringUpToDate(k);
        }
        if (promoted) { // the key's live state is the shadow's now; a newer shadow starts afresh for it
            k.shadow = null;
            k.shadowOf = null;
        }
        // KeyStates.prepare
        if (e.reset) {
            zero(k);
        } else if (o.resetAfterSteps > 0 && k.sinceReset >= o.resetAfterSteps) {
            zero(k);
        } else if (k.sinceReset > 0 && k.state != null && o.idleGapMs > 0 && ts != NONE && k.last != NONE
                && ts - k.last > o.idleGapMs) {
            zero(k);
        }
        if (k.state == null) {
            k.state = new float[g.model.stateSize()];
        }
        boolean zero = k.sinceReset == 0;
        float[] y = new float[g.model.outputSize()];
        g.model.step(y, k.state, e.input, g.scratch);
        if (!Kernels.allFinite(k.state) || !Kernels.allFinite(y)) {
            throw new IllegalStateException("the scenario overflows at event " + e.id + ": not replayed");
        }
        long seq = k.seq++;
        k.sinceReset++;
        if (ts != NONE && (k.last == NONE || ts > k.last)) {
            k.last = ts;
        }
        if (o.idleGapMs > 0 && k.last != NONE) {
            k.timer = true;
        }
        Long at = ts == NONE ? null : ts + lateness();
        out.add(Out.output(e.key, seq, ts, e.id, g.version, at, y));
        if (o.keepInputs > 0) {
            if (k.ring == null) {
                k.ring = new ArrayList<>();
            } else if (zero) {
                k.ring.clear();
            }
            if (shadow != null) {
                stepShadow(k, e, seq, ts, y, zero, k.ring);
            }
            k.ring.add(e.input.clone());
            if (k.ring.size() > o.keepInputs) {
                k.ring.remove(0);
            }
        } else if (shadow != null) {
            stepShadow(k, e, seq, ts, y, zero, null);
        }
    }

    private static void zero(Key k) {
        if (k.state != null) {
            Arrays.fill(k.state, 0f);
        }
        k.sinceReset = 0;
    }

    /** ModelChain.bringUpToDate: the latest policy other than KEEP since the key's generation decides. True: promoted. */
    private boolean bringUpToDate(Key k) {
        int i = k.gen;
        int h = live.size() - 1;
        while (h > i && live.get(h).kind.equals("SWAP") && live.get(h).policy.equals("KEEP")) {
            h--;
        }
        k.gen = live.size() - 1;
        if (h == i) {
            return false;
        }
        Gen g = live.get(h);
        k.state = new float[g.model.stateSize()];
        if (g.kind.equals("PROMOTE")) {
            if (k.shadow != null && k.shadowOf == g.promotedFrom) {
                System.arraycopy(k.shadow, 0, k.state, 0, k.state.length);
            } else {
                start(g, k.state, k.ring, k.sinceReset);
            }
            return true;
        }
        if (g.policy.equals("WARM_UP")) {
            warmUp(g, k.state, k.ring, k.sinceReset);
            return false;
        }
        k.sinceReset = 0;
        return false;
    }

    private static void start(Gen g, float[] state, List<float[]> ring, long sinceReset) {
        Arrays.fill(state, 0f);
        if (g.policy.equals("WARM_UP")) {
            warmUp(g, state, ring, sinceReset);
        }
    }

    /**
     * Zeros, then the ring's last {@code g.warmUp} inputs stepped through the generation's model, oldest first;
     * none beyond the key's inputs since its last reset (a key dropped while idle keeps its old ring until its next step).
     */
    private static void warmUp(Gen g, float[] state, List<float[]> ring, long sinceReset) {
        Arrays.fill(state, 0f);
        if (ring == null) {
            return;
        }
        float[] y = new float[g.model.outputSize()];
        int n = (int) Math.min(g.warmUp, sinceReset);
        for (float[] x : ring.subList(Math.max(0, ring.size() - n), ring.size())) {
            g.model.step(y, state, x, g.scratch);
        }
    }

    private void stepShadow(Key k, Scenario.Event e, long seq, long ts, float[] y, boolean zero, List<float[]> ring) {
        if (k.shadow == null || k.shadowOf != shadow) {
            k.shadow = new float[shadow.model.stateSize()];
            k.shadowOf = shadow;
            if (!zero) {
                start(shadow, k.shadow, ring, Long.MAX_VALUE);
            }
        } else if (zero) {
            Arrays.fill(k.shadow, 0f);
        }
        float[] ys = new float[shadow.model.outputSize()];
        shadow.model.step(ys, k.shadow, e.input, shadow.scratch);
        if (!Kernels.allFinite(k.shadow) || !Kernels.allFinite(ys)) {
            Arrays.fill(k.shadow, 0f);
        }
        out.add(Out.shadow(e.key, seq, ts, current().version, y, shadow.version, ys, ts == NONE ? null : ts + lateness()));
    }

    private void update(Scenario.Update u) {
        switch (u.kind) {
            case "SWAP" -> {
                boolean first = current() == null;
                live.add(new Gen(load(u.file), u.version, "SWAP", u.policy, u.warmUp));
                if (first) {
                    for (Key k : keys.values()) { // each key's waiting events, in arrival order
                        List<Scenario.Event> waiting = new ArrayList<>(k.awaiting);
                        k.awaiting.clear();
                        for (Scenario.Event e : waiting) {
                            step(k, e, e.ts == null ? NONE : e.ts);
                        }
                    }
                }
            }
            case "SHADOW" -> shadow = new Gen(load(u.file), u.version, "SHADOW", u.policy, u.warmUp);
            case "PROMOTE" -> {
                Gen p = new Gen(shadow.model, shadow.version, "PROMOTE", shadow.policy, shadow.warmUp);
                p.promotedFrom = shadow;
                live.add(p);
                shadow = null;
            }
            case "STOP_SHADOW" -> shadow = null;
            default -> throw new IllegalArgumentException("update kind " + u.kind);
        }
    }

    private void watermark(long w) {
        if (o.idleGapMs > 0) {
            for (Key k : keys.values()) { // the idle timers fire first (the operator's first timer service)
                if (k.timer && k.last + o.idleGapMs + 1 <= w) {
                    k.timer = false;
                    if (k.state != null) {
                        k.state = null;
                        k.sinceReset = 0;
                    }
                }
            }
        }
        if (!o.ordered) {
            return;
        }
        for (Key k : keys.values()) {
            List<Scenario.Event> ready = new ArrayList<>();
            for (Scenario.Event e : k.pending) {
                if (e.ts + o.latenessMs <= w) {
                    ready.add(e);
                }
            }
            if (ready.isEmpty()) {
                continue;
            }
            k.pending.removeAll(ready);
            buffered -= ready.size();
            ready.sort(Comparator.comparingLong(e -> e.ts)); // stable: arrival order within a time
            for (Scenario.Event e : ready) {
                if (s.sql()) {
                    sqlStep(k, e);
                } else {
                    step(k, e, e.ts);
                }
            }
        }
    }

    // ------------------------------------------------------------------ the SQL function

    private void row(Scenario.Event e) {
        Key k = key(e.key);
        if (!o.ordered) {
            sqlStep(k, e);
            return;
        }
        if (k.last != NONE && e.ts < k.last) {
            out.add(Out.sql(e.key, null, null, "LATE", e.ts));
            return;
        }
        int max = o.maxBufferedPerKey > 0 ? o.maxBufferedPerKey : 10_000;
        if (k.pending.size() >= max) {
            out.add(Out.sql(e.key, null, null, "BUFFER_FULL", e.ts));
            return;
        }
        k.pending.add(e);
    }

    private void sqlStep(Key k, Scenario.Event e) {
        Gen g = current();
        if (k.state == null) {
            k.state = new float[g.model.stateSize()];
        }
        if (e.reset) {
            zero(k);
        }
        float[] y = new float[g.model.outputSize()];
        g.model.step(y, k.state, e.input, g.scratch);
        long seq = k.seq++;
        k.sinceReset++;
        if (k.last == NONE || e.ts > k.last) {
            k.last = e.ts;
        }
        out.add(Out.sql(e.key, seq, y, null, o.ordered ? e.ts + o.latenessMs : e.ts));
    }
}
