package io.flinkrecurrent.sql;

import io.flinkrecurrent.testing.Golden;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A call as a key's timers find it again after a restore: {@link RecurrentCall#encode()} and {@link RecurrentCall#decode}. */
class RecurrentCallTest {
    static final String RNN = Golden.dir().resolve("public/rnn_tanh_i3_h4_l1.safetensors").toString();

    @Test
    void aSavedCallKeepsItsOnlineReadout() {
        RecurrentCall call = new RecurrentCall(RNN, "rls 0.99 2", 5, Duration.ofSeconds(3), Duration.ofMillis(40), 7, "reset", true);
        RecurrentCall back = RecurrentCall.decode(call.encode());
        assertEquals("rls 0.99 2", back.online);
        assertEquals(RNN, back.modelReference);
        assertEquals(call.model.fingerprint(), back.model.fingerprint(), "the same readout over the same model");
        assertEquals(2 * 3, back.model.outputSize(), "error and forecast of the 3 inputs");
        assertTrue(back.sameAs(RNN, "rls 0.99 2", 5, Duration.ofSeconds(3), Duration.ofMillis(40), 7, "reset", true));
        assertEquals(call.encode(), back.encode());
    }

    @Test
    void aCallSavedBeforeTheOnlineArgumentReadsAsBefore() {
        RecurrentCall old = RecurrentCall.decode("0,0,0,10000,reject,true," + RNN);
        assertNull(old.online);
        assertEquals(RNN, old.modelReference);
        assertEquals(4, old.model.outputSize(), "the model itself");
        assertEquals("0,0,0,10000,reject,true," + RNN, old.encode(), "no readout, the old form");
    }
}
