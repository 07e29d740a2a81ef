package io.flinkrecurrent.runtime;

import io.flinkrecurrent.flink.RecurrentOptions;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The events waiting for a first model: bounded per key and per subtask, released in arrival order. */
class AwaitingModelTest {
    @Test
    void eventsWaitUpToTheKeysLimitAndLeaveInTheirOrder() throws Exception {
        AwaitingModel<String> a = new AwaitingModel<>(RecurrentOptions.builder()
                .bufferLimits(3, 100, RecurrentOptions.BufferFullPolicy.REJECT).build());
        OneKeyStates.List_<String> events = new OneKeyStates.List_<>();
        OneKeyStates.Value<Integer> count = new OneKeyStates.Value<>();
        a.open(events, count);
        assertNull(a.hold("e1"));
        assertNull(a.hold("e2"));
        assertNull(a.hold("e3"));
        assertEquals("no model yet, and the key has 3 events waiting for one, its limit", a.hold("e4"));
        assertEquals(3, a.total());
        assertEquals(List.of("e1", "e2", "e3"), a.take());
        assertNull(events.list, "taken out of the state");
        assertNull(count.value);
        assertEquals(0, a.total());
        assertEquals(List.of(), a.take(), "nothing waits any more");
    }

    @Test
    void theSubtasksLimitCountsEveryKey() throws Exception {
        AwaitingModel<String> a = new AwaitingModel<>(RecurrentOptions.builder()
                .bufferLimits(10, 2, RecurrentOptions.BufferFullPolicy.REJECT).build());
        a.open(new OneKeyStates.List_<>(), new OneKeyStates.Value<>());
        assertNull(a.hold("k1"));
        a.open(new OneKeyStates.List_<>(), new OneKeyStates.Value<>()); // another key's states
        assertNull(a.hold("k2"));
        assertEquals("no model yet, and the subtask has 2 events waiting for one, its limit", a.hold("k3"));
        a.released();
        assertEquals(0, a.total());
    }
}
