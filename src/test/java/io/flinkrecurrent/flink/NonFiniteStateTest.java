package io.flinkrecurrent.flink;

import io.flinkrecurrent.cell.Activation;
import io.flinkrecurrent.cell.CellType;
import io.flinkrecurrent.cell.RecurrentNetwork;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 13's reproduction: an identity RNN with W_hh = 2 overflows float32 at its 128th step. The key
 * is not left poisoned: the step is rejected as NON_FINITE_STATE and the key keeps its state (or, by
 * the other policy, restarts from zeros), per event and micro-batched.
 */
class NonFiniteStateTest {
    /** h = 2h + x, y = h: with x = 1, h = 2^n - 1, finite until the 128th step. */
    static final RecurrentNetwork DOUBLING = RecurrentNetwork.builder(CellType.RNN, 1, 1)
            .nonlinearity(Activation.IDENTITY)
            .layer(new float[] {1}, new float[] {2}, new float[] {0}, new float[] {0})
            .build();

    static KeyedOneInputStreamOperatorTestHarness<String, KeyedEvent, RecurrentOutput> harness(Recurrent.Builder b, int batch)
            throws Exception {
        if (batch > 1) {
            b.microBatch(batch, Duration.ofSeconds(60));
        }
        var h = new KeyedOneInputStreamOperatorTestHarness<>(b.operator(), Recurrent.keySelector(), Types.STRING);
        h.setup();
        h.open();
        return h;
    }

    @ParameterizedTest(name = "bundle of {0}")
    @ValueSource(ints = {1, 32})
    void anOverflowIsRejectedAndTheKeyKeepsItsState(int batch) throws Exception {
        var h = harness(Recurrent.builder(DOUBLING).emitState(true), batch);
        for (int i = 0; i < 130; i++) {
            h.processElement(new KeyedEvent("a", new float[] {1}), i);
        }
        h.processElement(new KeyedEvent("b", new float[] {1}), 200); // another key is untouched
        KeyedEvent restart = new KeyedEvent("a", new float[] {1});
        restart.reset = true;
        h.processElement(restart, 201);
        h.endInput();
        List<RecurrentOutput> outs = h.extractOutputValues();
        List<RecurrentOutput> a = new ArrayList<>();
        for (RecurrentOutput o : outs) {
            assertTrue(Float.isFinite(o.output[0]), "no output is NaN or infinite: " + o);
            if (o.key.equals("a")) {
                a.add(o);
            }
        }
        // steps 1..127 are finite (2^127 - 1 rounds to 2^127); the 128th and 129th... overflow
        assertEquals(128, a.size(), "127 finite steps, then the restart");
        assertEquals(0x1p127f, a.get(126).output[0]);
        assertEquals(1f, a.get(127).output[0], "after a reset the key works again");
        assertEquals(127, a.get(127).seq, "the rejected events were not counted as applied");
        var side = h.getSideOutput(Recurrent.REJECTED);
        assertEquals(3, side.size(), "events 128, 129 and 130 rejected");
        for (StreamRecord<RejectedEvent> r : side) {
            assertEquals(RejectedEvent.Reason.NON_FINITE_STATE, r.getValue().reason);
            assertTrue(r.getValue().message.contains("keeps its state from before it"), r.getValue().message);
        }
        h.close();
    }

    @ParameterizedTest(name = "bundle of {0}")
    @ValueSource(ints = {1, 32})
    void theResetPolicyRestartsTheKeyFromZeros(int batch) throws Exception {
        var h = harness(Recurrent.builder(DOUBLING).options(o -> o.onNonFiniteState(RecurrentOptions.NonFinitePolicy.RESET)), batch);
        for (int i = 0; i < 129; i++) {
            h.processElement(new KeyedEvent("a", new float[] {1}), i);
        }
        h.endInput();
        List<RecurrentOutput> outs = h.extractOutputValues();
        assertEquals(128, outs.size(), "127 finite steps, the 128th rejected, the 129th from zeros");
        assertEquals(1f, outs.get(127).output[0]);
        assertEquals(1, h.getSideOutput(Recurrent.REJECTED).size());
        h.close();
    }
}
