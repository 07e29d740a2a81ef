package io.flinkrecurrent.runtime;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A bundle sorted into rounds: the k-th event of every key in round k, arrival order within a round. */
class RoundsTest {
    static List<List<Integer>> rounds(Object... keys) {
        Rounds r = new Rounds(keys.length);
        int n = r.sort(keys, keys.length);
        List<List<Integer>> out = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            List<Integer> round = new ArrayList<>();
            for (int j = r.start(k); j < r.end(k); j++) {
                round.add(r.event(j));
            }
            out.add(round);
        }
        return out;
    }

    @Test
    void eachKeysEventsGoInTheirOrderOnePerRound() {
        assertEquals(List.of(List.of(0, 1, 3), List.of(2, 4), List.of(5)), rounds("a", "b", "a", "c", "b", "a"));
    }

    @Test
    void distinctKeysAreOneRoundAndOneKeyIsOneRoundPerEvent() {
        assertEquals(List.of(List.of(0, 1, 2, 3)), rounds("a", "b", "c", "d"));
        assertEquals(List.of(List.of(0), List.of(1), List.of(2)), rounds("a", "a", "a"));
    }

    @Test
    void theBuffersAreReusedAcrossBundles() {
        Rounds r = new Rounds(4);
        r.sort(new Object[] {"a", "a", "a", "a"}, 4);
        assertEquals(2, r.sort(new Object[] {"x", "y", "x", null}, 3));
        assertEquals(0, r.event(0));
        assertEquals(1, r.event(1));
        assertEquals(2, r.event(2));
    }
}
