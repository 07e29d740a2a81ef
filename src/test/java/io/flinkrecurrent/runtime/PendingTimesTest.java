package io.flinkrecurrent.runtime;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The key's index of waiting events: [count, distinct times in order]. */
class PendingTimesTest {
    @Test
    void timesAreKeptInOrderAndCountedOnce() {
        long[] p = null;
        assertEquals(0, PendingTimes.count(p));
        p = PendingTimes.withTime(p, 30);
        p = PendingTimes.withTime(p, 10);
        p = PendingTimes.withTime(p, 30);
        p = PendingTimes.withTime(p, 20);
        assertArrayEquals(new long[] {4, 10, 20, 30}, p);
        assertEquals(4, PendingTimes.count(p));
    }

    @Test
    void releasingATimeTakesItAndItsEventsOut() {
        long[] p = {4, 10, 20, 30};
        p = PendingTimes.withoutTime(p, 30, 2);
        assertArrayEquals(new long[] {2, 10, 20}, p);
        p = PendingTimes.withoutTime(p, 10, 1);
        assertArrayEquals(new long[] {1, 20}, p);
        assertNull(PendingTimes.withoutTime(p, 20, 1), "nothing left");
    }
}
