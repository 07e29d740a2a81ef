package io.flinkrecurrent.anomaly;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** The max combination: the largest z, its cause and its metric. */
class CombinationTest {
    static float[] combine(Combination c, float[] z, Cause... causes) {
        float[] cause = new float[causes.length];
        for (int i = 0; i < causes.length; i++) {
            cause[i] = causes[i].ordinal();
        }
        float[] out = new float[3];
        c.combine(z, cause, z.length, new float[0], 0, out);
        return out;
    }

    @Test
    void theLargestZWithItsCauseAndItsMetric() {
        Combination max = Combination.max();
        assertArrayEquals(new float[] {7.5f, Cause.NOVELTY.ordinal(), 2},
                combine(max, new float[] {1f, 3f, 7.5f, 0f}, Cause.ERROR, Cause.VALUE, Cause.NOVELTY, Cause.NONE));
        assertArrayEquals(new float[] {3f, Cause.VALUE.ordinal(), 0},
                combine(max, new float[] {3f, 2f}, Cause.VALUE, Cause.ERROR), "the first metric can set it");
        assertArrayEquals(new float[] {2f, Cause.LEVEL.ordinal(), 1},
                combine(max, new float[] {1f, 2f, 2f}, Cause.ERROR, Cause.LEVEL, Cause.NOVELTY), "of equal ones, the first");
        assertArrayEquals(new float[] {-0.5f, Cause.ERROR.ordinal(), 1},
                combine(max, new float[] {-2f, -0.5f}, Cause.ERROR, Cause.ERROR), "below 0 too");
        assertArrayEquals(new float[] {0f, Cause.NONE.ordinal(), 0},
                combine(max, new float[] {0f, 0f, 0f}, Cause.NONE, Cause.NONE, Cause.NONE), "nothing measured yet");
        // only the first `metrics` entries count (the buffers may be longer)
        float[] out = new float[3];
        max.combine(new float[] {1f, 9f}, new float[] {2f, 3f}, 1, new float[0], 0, out);
        assertArrayEquals(new float[] {1f, 2f, 0f}, out);
    }

    @Test
    void itKeepsNoStateAndDescribesItself() throws Exception {
        assertEquals(0, Combination.max().stateSize());
        assertEquals("max", Combination.max().describe());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream o = new ObjectOutputStream(bytes)) {
            o.writeObject(Combination.max());
        }
        try (ObjectInputStream i = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            assertSame(Combination.max(), i.readObject(), "shipped with a job, it stays the one instance");
        }
    }
}
