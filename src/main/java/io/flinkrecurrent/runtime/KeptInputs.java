package io.flinkrecurrent.runtime;

import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.flink.KeyState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeutils.base.array.FloatPrimitiveArraySerializer;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.operators.KeyContext;

import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Each key's kept inputs ({@link io.flinkrecurrent.flink.RecurrentOptions#keepInputs}), written behind:
 * a key's ring ({@link InputRing}) lives in a bounded cache of the subtask while the key is active, and
 * reaches its keyed state {@value #STATE} when a checkpoint is taken ({@link #flush}, from the operator's
 * {@code snapshotState}) or when the cache evicts it. So an event costs a lookup in the cache and a
 * copy of its input, not a second state read and write: on RocksDB those cost a third of the
 * throughput, whether the ring sat in the key's own value (its bytes read and written with every
 * event) or in a state of its own.
 *
 * <p>Exactly once as the key's state is: a checkpoint holds every ring as of its barrier, a restore
 * starts from an empty cache and reads the rings from state. The cache holds at most
 * {@code maxBytes} of rings (at least one key), least recently stepped out first; an evicted ring
 * that changed since it was read is written to state then (the metric {@code evictions}). A key the
 * cache does not hold reads its ring from state once ({@code loads}): a subtask whose active keys'
 * rings do not fit pays a read and a write for every event of a key it evicted, so the bound should
 * hold the keys active between two checkpoints (the gauge {@code cachedKeys}).
 *
 * <p>A ring in state carries a stamp: the key's count of steps ({@link KeyState#seq}) when its last
 * input joined it ({@link #toState}). A ring whose stamp is not the key's count at its next event
 * missed some of its steps (the job ran without {@code keepInputs} for a while, or the ring expired
 * before the key): it is read as empty ({@link #fromState}), never replayed.
 *
 * <p>Rings written before this layout are moved here at their key's first event: from the key's own
 * value ({@link KeyState#recentInputs}, format 2 of its serializer) or from the state
 * {@value #LEGACY_STATE} (release 0.1), which is cleared then; both were written with the key's state.
 */
@Internal
public final class KeptInputs {
    /** The keyed state of each key's ring, written behind (in every checkpoint, never renamed). */
    public static final String STATE = "recurrent-kept-inputs";
    /** Where release 0.1 kept a key's ring beside its state: read once per key, then moved to {@link #STATE}. */
    public static final String LEGACY_STATE = "recurrent-recent-inputs";
    /** What a cached key costs beyond its ring's floats: the entry, the array's header, the map's links (not the key). */
    static final int ENTRY_OVERHEAD_BYTES = 96;
    /** The stamp's floats after the ring in state: the key's step count, 22 bits a float (exact). */
    static final int STAMP_FLOATS = 3;

    /** A cached ring, the key's step count when its last input joined, and whether it changed since it was read or written. */
    private static final class Entry {
        final float[] ring;
        long steps;
        boolean dirty;

        Entry(float[] ring, long steps, boolean dirty) {
            this.ring = ring;
            this.steps = steps;
            this.dirty = dirty;
        }
    }

    private final int capacity;
    private final int width;
    private final int maxKeys;
    private final ValueState<float[]> state;
    /** Release 0.1's state, or null when the caller registers none. */
    private final ValueState<float[]> legacy;
    private final KeyContext keys;
    /** In access order: the eldest is the least recently used. */
    private final LinkedHashMap<Object, Entry> cache = new LinkedHashMap<>(16, 0.75f, true);
    private final Counter loads;
    private final Counter evictions;
    private final Counter writes;

    /**
     * @param capacity inputs kept per key; {@code width} floats each
     * @param maxBytes the cache's bound in bytes of rings (at least one key is cached)
     * @param state the keyed state {@link #descriptor}; {@code legacy} the 0.1 state {@link #legacyDescriptor}, or null
     * @param keys the operator's key context: an eviction or a flush writes under another key, then sets the current one back
     */
    public KeptInputs(int capacity, int width, long maxBytes, ValueState<float[]> state, ValueState<float[]> legacy,
                      KeyContext keys, MetricGroup metrics) {
        if (capacity < 1 || width < 1) {
            throw new IllegalArgumentException("kept inputs: capacity " + capacity + ", width " + width);
        }
        if (maxBytes < 0) {
            throw new IllegalArgumentException("kept inputs: a negative cache bound, " + maxBytes + " bytes");
        }
        this.capacity = capacity;
        this.width = width;
        this.maxKeys = (int) Math.max(1, Math.min(Integer.MAX_VALUE, maxBytes / entryBytes(capacity, width)));
        this.state = state;
        this.legacy = legacy;
        this.keys = keys;
        MetricGroup g = metrics.addGroup("keptInputs");
        g.gauge("cachedKeys", (Gauge<Integer>) cache::size);
        g.gauge("maxCachedKeys", (Gauge<Integer>) () -> maxKeys);
        loads = g.counter("loads");
        evictions = g.counter("evictions");
        writes = g.counter("writes");
    }

    /** What one cached key costs, in bytes. */
    public static long entryBytes(int capacity, int width) {
        return 4L * (2 + (long) capacity * width) + ENTRY_OVERHEAD_BYTES;
    }

    /** The keyed state of the rings, with the key state's TTL (so that a ring expires with its key). */
    public static ValueStateDescriptor<float[]> descriptor(Duration ttl) {
        ValueStateDescriptor<float[]> d = new ValueStateDescriptor<>(STATE, FloatPrimitiveArraySerializer.INSTANCE);
        if (ttl != null) {
            d.enableTimeToLive(KeyStates.ttlConfig(ttl));
        }
        return d;
    }

    /** Release 0.1's state of the rings (no TTL), as it registered it. */
    public static ValueStateDescriptor<float[]> legacyDescriptor() {
        return new ValueStateDescriptor<>(LEGACY_STATE, FloatPrimitiveArraySerializer.INSTANCE);
    }

    /** The most keys the cache holds. */
    public int maxKeys() {
        return maxKeys;
    }

    /** Keys whose ring the cache holds now. */
    public int cachedKeys() {
        return cache.size();
    }

    /**
     * The current key's ring: its inputs so far (since its last reset, as of its previous step), read from
     * state if the cache does not hold it. {@code ks} is the key's state before this event's step, or
     * null for a new key; a ring kept inside it (format 2) is moved out. The array is the cache's: read it
     * before {@link #append}.
     */
    public float[] ring(Object key, KeyState ks) throws Exception {
        return entry(key, ks, ks == null ? 0 : ks.seq).ring;
    }

    /**
     * The current key's ring before the input of its step {@code seq} (the key's count of steps before it)
     * joins it; emptied when the step starts from zeros.
     */
    public float[] beforeStep(Object key, KeyState ks, boolean fromZero, long seq) throws Exception {
        Entry e = entry(key, ks, seq);
        if (fromZero && InputRing.count(e.ring) > 0) {
            InputRing.clear(e.ring);
            e.dirty = true;
        }
        return e.ring;
    }

    /** The input {@code x} (width) of the current key's step {@code seq} joins its ring (the one {@link #beforeStep} gave). */
    public void append(Object key, float[] x, long seq) {
        Entry e = cache.get(key);
        if (e == null) {
            throw new IllegalStateException("kept inputs: append for key " + key + " without beforeStep");
        }
        InputRing.push(e.ring, x);
        e.steps = seq + 1;
        e.dirty = true;
    }

    /** A ring as its state holds it: a copy, stamped with the key's step count {@code steps} when its last input joined. */
    public static float[] toState(float[] ring, long steps) {
        float[] v = Arrays.copyOf(ring, ring.length + STAMP_FLOATS);
        v[ring.length] = (steps >>> 44) & 0xfffff;
        v[ring.length + 1] = (steps >>> 22) & 0x3fffff;
        v[ring.length + 2] = steps & 0x3fffff;
        return v;
    }

    /**
     * The ring a state value holds (a copy), if it is the key's as of step count {@code steps} (the key's
     * {@link KeyState#seq}); else, when its stamp says it missed some of the key's steps, an empty ring of
     * its shape. Null for a value too short to hold a ring.
     */
    public static float[] fromState(float[] stored, long steps) {
        int n = stored.length - STAMP_FLOATS;
        if (n < 2) {
            return null;
        }
        long stamp = (long) stored[n] << 44 | (long) stored[n + 1] << 22 | (long) stored[n + 2];
        float[] ring = Arrays.copyOf(stored, n);
        if (stamp != steps) {
            InputRing.clear(ring);
        }
        return ring;
    }

    /** Every ring that changed since it was read or written, written to state: before a checkpoint's state is taken. */
    public void flush() throws Exception {
        Object current = keys.getCurrentKey();
        boolean switched = false;
        for (Map.Entry<Object, Entry> m : cache.entrySet()) {
            Entry e = m.getValue();
            if (e.dirty) {
                keys.setCurrentKey(m.getKey());
                switched = true;
                state.update(toState(e.ring, e.steps)); // a copy: the cache goes on changing its own array
                e.dirty = false;
                writes.inc();
            }
        }
        if (switched && current != null) {
            keys.setCurrentKey(current);
        }
    }

    /** The current key's entry, loaded on a miss; {@code steps}: the key's count of steps before this event. */
    private Entry entry(Object key, KeyState ks, long steps) throws Exception {
        Entry e = cache.get(key);
        if (e != null) {
            if (ks != null && ks.recentInputs != null) {
                ks.recentInputs = null; // a format-2 copy read again after an eviction: the cache's is newer
            }
            return e;
        }
        e = load(ks, steps);
        cache.put(key, e);
        if (cache.size() > maxKeys) {
            evictEldest(key);
        }
        return e;
    }

    /** The current key's ring from where it was kept: the key's own value (format 2), this state, 0.1's state. */
    private Entry load(KeyState ks, long steps) throws Exception {
        loads.inc();
        float[] r = null;
        boolean moved = false;
        if (ks != null && ks.recentInputs != null) {
            r = ks.recentInputs;
            ks.recentInputs = null; // written back without it by the caller's update of the key's state
            moved = true;
        }
        if (r == null) {
            float[] stored = state.value();
            r = stored == null ? null : fromState(stored, steps); // a copy: the heap backend hands out its own object
            moved = r != null && InputRing.count(r) == 0 && InputRing.count(stored) > 0; // stale: overwrite it
        }
        if (r == null && legacy != null) {
            r = legacy.value();
            if (r != null) {
                r = r.clone();
                legacy.clear();
                moved = true;
            }
        }
        if (r == null || r.length != 2 + capacity * width) {
            return new Entry(InputRing.create(capacity, width), steps, r != null); // none yet, or kept for another shape
        }
        return new Entry(r, steps, moved);
    }

    private void evictEldest(Object current) throws Exception {
        Iterator<Map.Entry<Object, Entry>> it = cache.entrySet().iterator();
        Map.Entry<Object, Entry> eldest = it.next();
        it.remove();
        evictions.inc();
        Entry e = eldest.getValue();
        if (e.dirty) {
            keys.setCurrentKey(eldest.getKey());
            state.update(toState(e.ring, e.steps));
            writes.inc();
            keys.setCurrentKey(current);
        }
    }
}
