package io.flinkrecurrent.runtime;

import io.flinkrecurrent.flink.KeyState;
import io.flinkrecurrent.flink.ModelUpdate;
import io.flinkrecurrent.flink.SwapRecord;
import io.flinkrecurrent.flink.SwapTesting;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.model.ModelFileException;
import io.flinkrecurrent.model.ModelLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The chain of models without Flink: what a key meets across several swaps, and restores that must fail. */
class ModelChainTest {
    static final RecurrentModel A = ModelLoader.load(SwapTesting.A).network();

    @TempDir
    Path dir;

    static KeyState written(ModelChain chain, float value) {
        KeyState ks = new KeyState();
        ks.fingerprint = chain.tag();
        ks.state = new float[A.stateSize()];
        java.util.Arrays.fill(ks.state, value);
        ks.sinceReset = 5;
        return ks;
    }

    @Test
    void aKeyThatMissedSeveralSwapsGetsTheLatestThatIsNotKeep() throws Exception {
        Path b = SwapTesting.variant(dir, "b", 0.5f);
        Path c = SwapTesting.variant(dir, "c", 0.7f);
        ModelChain chain = new ModelChain(A, "A", 0);
        KeyState sawA = written(chain, 0.25f);
        assertNull(chain.apply(SwapTesting.update(ModelUpdate.Kind.SWAP, b, "B", ModelUpdate.Policy.RESET, 0)));
        KeyState sawB = written(chain, 0.5f);
        assertNull(chain.apply(SwapTesting.update(ModelUpdate.Kind.SWAP, c, "C", ModelUpdate.Policy.KEEP, 0)));

        // A's state: B reset it (lazily), then C kept that: zeros
        assertEquals(ModelChain.Change.RESET, chain.bringUpToDate(sawA, null, () -> null));
        assertArrayEquals(new float[A.stateSize()], sawA.state);
        assertEquals(0, sawA.sinceReset);
        // B's state: only a KEEP since
        assertEquals(ModelChain.Change.KEPT, chain.bringUpToDate(sawB, null, () -> null));
        assertEquals(0.5f, sawB.state[0]);
        assertEquals(chain.tag(), sawB.fingerprint);
        // a state of a model the chain never ran
        KeyState other = new KeyState();
        other.fingerprint = 42;
        assertEquals(ModelChain.Change.UNKNOWN, chain.bringUpToDate(other, null, () -> null));
    }

    @Test
    void aModelThatComesBackIsToldFromItsFirstRun() throws Exception {
        Path b = SwapTesting.variant(dir, "b", 0.5f);
        Path a = dir.resolve("a.safetensors");
        Files.copy(SwapTesting.A, a);
        ModelChain chain = new ModelChain(A, "A", 0);
        KeyState sawA = written(chain, 0.25f);
        assertNull(chain.apply(SwapTesting.update(ModelUpdate.Kind.SWAP, b, "B", ModelUpdate.Policy.RESET, 0)));
        assertNull(chain.apply(SwapTesting.update(ModelUpdate.Kind.SWAP, a, "A again", ModelUpdate.Policy.KEEP, 0)));
        assertNotEquals(sawA.fingerprint, chain.tag(), "the same weights, another generation");
        assertEquals(ModelChain.Change.RESET, chain.bringUpToDate(sawA, null, () -> null), "B's reset is not skipped");
    }

    /** The version every source of updates gives a file that names none: its name without the extension. */
    @Test
    void aModelFilesVersionIsItsNameWithoutTheExtension() {
        assertEquals("r2", ModelUpdate.versionOf("s3://models/fraud/r2.safetensors"));
        assertEquals("r2", ModelUpdate.versionOf("file:///tmp/models/r2.onnx"));
        assertEquals("r2", ModelUpdate.versionOf("file:/tmp/models/r2.onnx"));
        assertEquals("b.2026-12-01", ModelUpdate.versionOf("/tmp/b.2026-12-01.safetensors"));
        assertEquals("r3", ModelUpdate.versionOf("models/r3"));
    }

    @Test
    void duplicatesAndRefusals() throws Exception {
        Path b = SwapTesting.variant(dir, "b", 0.5f);
        ModelChain chain = new ModelChain(A, "A", 4);
        ModelUpdate u = SwapTesting.update(ModelUpdate.Kind.SWAP, b, "B", ModelUpdate.Policy.WARM_UP, 4);
        assertNull(chain.apply(u));
        assertEquals(ModelChain.DUPLICATE, chain.apply(u), "re-sent after a restore: nothing to do");
        assertTrue(chain.apply(SwapTesting.update(ModelUpdate.Kind.SWAP, b, "B2", ModelUpdate.Policy.WARM_UP, 5))
                .contains("keeps 4"));
        ModelUpdate wrongHash = SwapTesting.update(ModelUpdate.Kind.SWAP, b, "B3", ModelUpdate.Policy.RESET, 0);
        wrongHash.sha256 = "0".repeat(64);
        assertTrue(chain.apply(wrongHash).contains("has SHA-256"), chain.apply(wrongHash));
        assertTrue(chain.apply(ModelUpdate.promote()).contains("no shadow"));
        assertEquals(1, chain.generation(), "refusals leave the chain as it was");
    }

    /** After a restore the chain reads its current model again: a file missing or changed is an error naming it. */
    @Test
    void aRestoreFailsLoudlyWhenTheFileIsMissingOrChanged() throws Exception {
        Path b = SwapTesting.variant(dir, "b", 0.5f);
        ModelChain chain = new ModelChain(A, "A", 0);
        assertNull(chain.apply(SwapTesting.update(ModelUpdate.Kind.SWAP, b, "B", ModelUpdate.Policy.RESET, 0)));
        List<SwapRecord> records = chain.records();

        ModelChain restored = new ModelChain(A, "A", 0);
        restored.restore(records);
        assertEquals("B", restored.version());
        assertEquals(chain.tag(), restored.tag());

        // changed: other bytes under the same name (the cache is by hash, so this reads the file again)
        Files.delete(b);
        SwapTesting.variant(dir, "b", 0.9f);
        ModelFileException changed = assertThrows(ModelFileException.class, () -> new ModelChain(A, "A", 0).restore(records));
        assertTrue(changed.getMessage().contains("b.safetensors") && changed.getMessage().contains("SHA-256"), changed.getMessage());
        Files.delete(b);
        ModelFileException missing = assertThrows(ModelFileException.class, () -> new ModelChain(A, "A", 0).restore(records));
        assertTrue(missing.getMessage().contains("b.safetensors"), missing.getMessage());
    }
}
