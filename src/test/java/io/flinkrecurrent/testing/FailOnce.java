package io.flinkrecurrent.testing;

import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.state.CheckpointListener;

import java.io.Serializable;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Fails the job once, at the first record with an id from {@code at} on that comes after a completed
 * checkpoint, so that the restart restores state from a checkpoint (the source resumes part-way:
 * without each key's state the outputs after it would differ). {@link #FAILURES} counts the failures
 * injected (the mini-cluster runs in the test's JVM): a test sets it to 0 first and asserts 1 after.
 */
public final class FailOnce<T> implements MapFunction<T, T>, CheckpointListener {
    public static final AtomicInteger FAILURES = new AtomicInteger();

    /** A record's id. */
    public interface Id<T> extends Serializable {
        long of(T record);
    }

    private final long at;
    private final Id<T> id;
    private transient volatile boolean checkpointed;

    public FailOnce(long at, Id<T> id) {
        this.at = at;
        this.id = id;
    }

    @Override
    public T map(T record) {
        long i = id.of(record);
        if (i >= at && checkpointed && FAILURES.compareAndSet(0, 1)) {
            throw new IllegalStateException("injected failure at record " + i);
        }
        return record;
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
        checkpointed = true;
    }
}
