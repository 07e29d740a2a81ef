package io.flinkrecurrent.runtime;

import io.flinkrecurrent.annotation.Internal;
import org.apache.flink.runtime.state.KeyGroupRange;

import java.util.ArrayList;
import java.util.List;

/**
 * A subtask's count of waiting events per key group of its range, and their sum. Snapshotted as
 * {@code [group, count]} pairs into a union list state (every subtask's pairs reach every subtask); a
 * subtask restoring takes the pairs of its own range, so the counts stay exact through a rescale.
 */
@Internal
public final class KeyGroupCounts {
    private final int firstGroup;
    private final KeyGroupRange range;
    private final long[] byGroup;
    private long total;

    public KeyGroupCounts(KeyGroupRange range) {
        this.range = range;
        this.firstGroup = range.getStartKeyGroup();
        this.byGroup = new long[range.getNumberOfKeyGroups()];
    }

    /** Adds the restored pairs of this subtask's range (pairs of other ranges are another subtask's). */
    public void restore(Iterable<long[]> pairs) {
        for (long[] pair : pairs) {
            int g = (int) pair[0];
            if (range.contains(g)) {
                byGroup[g - firstGroup] += pair[1];
                total += pair[1];
            }
        }
    }

    public void add(int keyGroup, long delta) {
        byGroup[keyGroup - firstGroup] += delta;
        total += delta;
    }

    public long total() {
        return total;
    }

    /** The non-zero counts as {@code [group, count]} pairs, for the snapshot. */
    public List<long[]> snapshot() {
        List<long[]> pairs = new ArrayList<>();
        for (int i = 0; i < byGroup.length; i++) {
            if (byGroup[i] != 0) {
                pairs.add(new long[] {firstGroup + i, byGroup[i]});
            }
        }
        return pairs;
    }
}
