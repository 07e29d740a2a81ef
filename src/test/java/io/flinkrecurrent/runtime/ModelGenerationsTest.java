package io.flinkrecurrent.runtime;

import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.flink.KeyState;
import io.flinkrecurrent.flink.ModelUpdate;
import io.flinkrecurrent.flink.SwapRecord;
import io.flinkrecurrent.flink.SwapTesting;
import io.flinkrecurrent.model.ModelLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The swappable operator's models in broadcast state, and a key brought up to date with its kept inputs. */
class ModelGenerationsTest {
    static final RecurrentModel A = ModelChainTest.A;

    @TempDir
    Path dir;

    @Test
    void acceptedUpdatesAreInTheBroadcastStateAndRestoreTheChain() throws Exception {
        Path b = SwapTesting.variant(dir, "b", 0.5f);
        ModelGenerations g = new ModelGenerations(A, "A", 0, A.inputSize());
        MapBroadcastState<Long, SwapRecord> state = new MapBroadcastState<>();
        g.initialize(state, false);
        assertEquals("A", g.version());
        assertNull(g.apply(SwapTesting.update(ModelUpdate.Kind.SWAP, b, "B", ModelUpdate.Policy.RESET, 0)));
        assertEquals(2, state.map.size(), "generation 0 and B");
        assertEquals("B", state.map.get(1L).update.version);

        String refused = g.apply(SwapTesting.update(ModelUpdate.Kind.SWAP, b, "", ModelUpdate.Policy.RESET, 0));
        assertNotNull(refused);
        assertEquals(2, state.map.size(), "a refused update leaves the broadcast state as it was");
        assertEquals(ModelChain.DUPLICATE, g.apply(SwapTesting.update(ModelUpdate.Kind.SWAP, b, "B", ModelUpdate.Policy.RESET, 0)));

        ModelGenerations restored = new ModelGenerations(A, "A", 0, A.inputSize());
        restored.initialize(state, true);
        assertEquals("B", restored.version());
        assertEquals(g.tag(), restored.tag());
        assertEquals(1, restored.generation());
    }

    @Test
    void aKeyIsWarmedUpOverItsKeptInputsAtItsNextEvent() throws Exception {
        Path b = SwapTesting.variant(dir, "b", 0.5f);
        RecurrentModel bModel = ModelLoader.load(b).network();
        ModelGenerations g = new ModelGenerations(A, "A", 3, A.inputSize());
        g.initialize(new MapBroadcastState<>(), false);
        KeyState ks = new KeyState();
        ks.fingerprint = g.tag();
        ks.state = new float[A.stateSize()];
        ks.sinceReset = 9;
        float[] ring = InputRing.create(3, A.inputSize());
        InputRing.push(ring, ShadowStepperTest.x(0.4f));
        InputRing.push(ring, ShadowStepperTest.x(0.5f));
        assertEquals(ModelChain.Change.NONE, g.bringUpToDate(ks, () -> {
            throw new AssertionError("a key of the current generation needs no kept inputs");
        }, () -> null));

        assertNull(g.apply(SwapTesting.update(ModelUpdate.Kind.SWAP, b, "B", ModelUpdate.Policy.WARM_UP, 2)));
        assertEquals(ModelChain.Change.WARMED_UP, g.bringUpToDate(ks, () -> ring, () -> null));
        assertEquals(g.tag(), ks.fingerprint);
        float[] expected = new float[bModel.stateSize()];
        ShadowStepperTest.direct(bModel, expected, ShadowStepperTest.x(0.4f), ShadowStepperTest.x(0.5f));
        assertArrayEquals(expected, ks.state, "B's state over the key's two kept inputs");
    }

    /**
     * A key whose state was dropped while idle (its count since reset back to 0) keeps its old inputs in
     * its ring until its next step; a warm-up then replays none of them: "its last inputs since its last
     * reset" are none, as for an idle key whose timer had not fired yet (reset after the warm-up).
     */
    @Test
    void aKeyDroppedWhileIdleIsWarmedUpOverNothing() throws Exception {
        Path b = SwapTesting.variant(dir, "b", 0.5f);
        ModelGenerations g = new ModelGenerations(A, "A", 3, A.inputSize());
        g.initialize(new MapBroadcastState<>(), false);
        KeyState ks = new KeyState();
        ks.fingerprint = g.tag();
        ks.state = null; // dropped by its idle timer
        ks.sinceReset = 0;
        ks.seq = 7;
        float[] ring = InputRing.create(3, A.inputSize());
        InputRing.push(ring, ShadowStepperTest.x(0.4f));
        InputRing.push(ring, ShadowStepperTest.x(0.5f));
        assertNull(g.apply(SwapTesting.update(ModelUpdate.Kind.SWAP, b, "B", ModelUpdate.Policy.WARM_UP, 2)));
        assertEquals(ModelChain.Change.WARMED_UP, g.bringUpToDate(ks, () -> ring, () -> null));
        assertArrayEquals(new float[ks.state.length], ks.state, "zeros: no input since the key's last reset");
    }
}
