package io.flinkrecurrent.runtime;

import org.apache.flink.runtime.state.KeyGroupRange;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The subtask's waiting events per key group: exact through a snapshot and a rescale. */
class KeyGroupCountsTest {
    @Test
    void countsSplitAndMergeWithTheirKeyGroups() {
        KeyGroupCounts whole = new KeyGroupCounts(KeyGroupRange.of(0, 127));
        whole.add(3, 5);
        whole.add(100, 2);
        whole.add(3, -1);
        whole.add(7, 1);
        whole.add(7, -1);
        assertEquals(6, whole.total());
        List<long[]> pairs = whole.snapshot();
        assertEquals(2, pairs.size(), "key groups with nothing waiting are left out");
        assertArrayEquals(new long[] {3, 4}, pairs.get(0));

        // rescaled to two subtasks: each takes its range's pairs from the union state
        KeyGroupCounts low = new KeyGroupCounts(KeyGroupRange.of(0, 63));
        KeyGroupCounts high = new KeyGroupCounts(KeyGroupRange.of(64, 127));
        low.restore(pairs);
        high.restore(pairs);
        assertEquals(4, low.total());
        assertEquals(2, high.total());

        // and back to one: the union of both snapshots
        List<long[]> both = new ArrayList<>(low.snapshot());
        both.addAll(high.snapshot());
        KeyGroupCounts again = new KeyGroupCounts(KeyGroupRange.of(0, 127));
        again.restore(both);
        assertEquals(6, again.total());
    }
}
