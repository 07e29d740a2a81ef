package io.flinkrecurrent.runtime;

import io.flinkrecurrent.flink.KeyState;
import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.flink.RejectedEvent.Reason;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The admission checks both forms share, each in its form's words. */
class AdmissionTest {
    @Test
    void theFirstValueThatIsNotFiniteIsNamed() {
        assertNull(Admission.nonFinite(new float[] {1, 2, 3}));
        assertEquals("input[1] is NaN", Admission.nonFinite(new float[] {1, Float.NaN, Float.POSITIVE_INFINITY}));
        assertEquals("input[2] is -Infinity", Admission.nonFinite(new float[] {1, 2, Float.NEGATIVE_INFINITY}));
    }

    @Test
    void theInputsWidthIsTheModels() {
        assertNull(Admission.width(3, 3));
        assertEquals("the input has 2 values, the model takes 3", Admission.width(2, 3));
    }

    @Test
    void anInputWithoutTimeOrOlderThanTheKeysLatestCannotWait() {
        KeyState ks = new KeyState();
        assertEquals(Reason.NO_TIMESTAMP, Admission.unorderable(KeyedEvent.NO_TIMESTAMP, ks));
        assertNull(Admission.unorderable(5, null), "a new key");
        assertNull(Admission.unorderable(5, ks), "a key with no event time yet");
        ks.lastEventTime = 10;
        assertNull(Admission.unorderable(10, ks), "the same time is not late");
        assertEquals(Reason.LATE, Admission.unorderable(9, ks));
        assertEquals("event time 9 is before 10, the key's latest applied event, beyond the allowed lateness of 3 ms",
                new Admission(Admission.Form.DATASTREAM).unorderableMessage(Reason.LATE, 9, ks, 3));
        assertEquals("row time 9 is before 10, the key's latest applied row, beyond the allowed lateness of 0 ms",
                new Admission(Admission.Form.SQL).unorderableMessage(Reason.LATE, 9, ks, 0));
        assertEquals("the row's time column (on_time) is NULL",
                new Admission(Admission.Form.SQL).unorderableMessage(Reason.NO_TIMESTAMP, KeyedEvent.NO_TIMESTAMP, ks, 0));
    }

    @Test
    void theBufferIsFullAtTheKeysOrTheSubtasksLimit() {
        Admission a = new Admission(Admission.Form.DATASTREAM);
        assertNull(a.bufferFull(2, 3, 9, 10));
        assertEquals("the key has 3 events waiting for the watermark, its limit", a.bufferFull(3, 3, 0, 10));
        assertEquals("the subtask has 10 events waiting for the watermark, its limit", a.bufferFull(0, 3, 10, 10));
        assertEquals("the key has 1 rows waiting for the watermark, its limit",
                new Admission(Admission.Form.SQL).bufferFull(1, 1, 0, Long.MAX_VALUE));
    }
}
