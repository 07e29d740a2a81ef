package io.flinkrecurrent.runtime;

import io.flinkrecurrent.annotation.Internal;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * A bundle sorted into rounds: round k holds the k-th event of every key, in arrival order, so that
 * stepping the rounds one after the other keeps each key's order while the keys of one round are
 * distinct (stepped together). A counting sort in one pass, linear whatever the mix of keys (one key
 * with every event gives as many rounds of one; distinct keys one round of all). Buffers made once,
 * for bundles of up to {@code capacity} events.
 */
@Internal
public final class Rounds {
    private final int[] roundOf;
    private final int[] byRound;
    private final int[] roundEnd;
    private final Map<Object, int[]> occurrences;
    private final int[][] counters;
    private int rounds;

    public Rounds(int capacity) {
        roundOf = new int[capacity];
        byRound = new int[capacity];
        roundEnd = new int[capacity + 1];
        occurrences = new HashMap<>(capacity * 2);
        counters = new int[capacity][1];
    }

    /** Sorts the bundle's first {@code n} events by their keys; returns the number of rounds. */
    public int sort(Object[] keys, int n) {
        occurrences.clear();
        rounds = 0;
        for (int i = 0; i < n; i++) {
            int[] c = occurrences.get(keys[i]);
            if (c == null) {
                c = counters[occurrences.size()];
                c[0] = 0;
                occurrences.put(keys[i], c);
            }
            roundOf[i] = c[0]++;
            rounds = Math.max(rounds, c[0]);
        }
        occurrences.clear();
        Arrays.fill(roundEnd, 0, rounds + 1, 0);
        for (int i = 0; i < n; i++) {
            roundEnd[roundOf[i] + 1]++;
        }
        for (int r = 0; r < rounds; r++) {
            roundEnd[r + 1] += roundEnd[r];
        }
        for (int i = 0; i < n; i++) {
            byRound[roundEnd[roundOf[i]]++] = i; // stable: arrival order within a round
        }
        // after the placement pass, roundEnd[r] is where round r ends (and round r + 1 starts)
        return rounds;
    }

    /** Where round {@code r} starts among {@link #event}'s positions. */
    public int start(int r) {
        return r == 0 ? 0 : roundEnd[r - 1];
    }

    /** Where round {@code r} ends (exclusive). */
    public int end(int r) {
        return roundEnd[r];
    }

    /** The bundle index of the event at sorted position {@code j}. */
    public int event(int j) {
        return byRound[j];
    }
}
