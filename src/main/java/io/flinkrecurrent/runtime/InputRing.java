package io.flinkrecurrent.runtime;

import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.Scratch;

/**
 * A key's last inputs since its last reset, for warming a new model up: one flat {@code float[]} kept
 * in the key's state, {@code [count, next, x_0 ..., x_1 ..., ...]}, a ring of {@code capacity} inputs
 * of {@code width} floats (the two counters are small integers, exact as floats).
 */
@Internal
public final class InputRing {
    private InputRing() {}

    /** An empty ring. */
    public static float[] create(int capacity, int width) {
        return new float[2 + capacity * width];
    }

    public static int count(float[] ring) {
        return (int) ring[0];
    }

    public static void clear(float[] ring) {
        ring[0] = 0;
        ring[1] = 0;
    }

    /** Appends {@code x} (width), dropping the oldest input when the ring is full. */
    public static void push(float[] ring, float[] x) {
        int width = x.length;
        int capacity = (ring.length - 2) / width;
        int next = (int) ring[1];
        System.arraycopy(x, 0, ring, 2 + next * width, width);
        ring[1] = next + 1 == capacity ? 0 : next + 1;
        if (ring[0] < capacity) {
            ring[0]++;
        }
    }

    /**
     * Steps {@code state} (from whatever it holds, normally zeros) through the ring's last {@code n}
     * inputs, oldest first; returns how many were replayed (at most the ring's count).
     *
     * <pre>// ring (2 + capacity * inputSize), state (stateSize) -> state; out (outputSize), x (inputSize) scratch</pre>
     */
    public static int replay(float[] state, float[] ring, int n, RecurrentModel model, float[] out, float[] x, Scratch scratch) {
        int width = model.inputSize();
        int capacity = (ring.length - 2) / width;
        int count = (int) ring[0];
        int m = Math.min(n, count);
        int next = (int) ring[1];
        int first = Math.floorMod(next - m, capacity);
        for (int k = 0; k < m; k++) {
            int slot = (first + k) % capacity;
            System.arraycopy(ring, 2 + slot * width, x, 0, width);
            model.step(out, state, x, scratch);
        }
        return m;
    }
}
