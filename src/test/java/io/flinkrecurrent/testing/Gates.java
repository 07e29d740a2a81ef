package io.flinkrecurrent.testing;

import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiter;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Holds a generator source at given records until the test opens a gate, without blocking the source's
 * task thread (the rate limiter's future is simply not complete yet): checkpoints go on while it waits.
 * The mini-cluster runs in the test's JVM, so the gates are static; {@link #reset()} before each test.
 * After a restart the count starts again from the restored position, with the gates already open.
 */
public final class Gates {
    private static final Map<String, CompletableFuture<Void>> GATES = new ConcurrentHashMap<>();

    private Gates() {}

    public static void reset() {
        GATES.clear();
    }

    public static CompletableFuture<Void> gate(String name) {
        return GATES.computeIfAbsent(name, n -> new CompletableFuture<>());
    }

    public static void open(String name) {
        gate(name).complete(null);
    }

    /** A source with parallelism 1 holds before its record {@code at[i]} until gate {@code names[i]} opens. */
    public static <S extends SourceSplit> RateLimiterStrategy<S> holdAt(long[] at, String[] names) {
        return parallelism -> new RateLimiter<S>() {
            private long n;

            @Override
            public CompletionStage<Void> acquire(int permits) {
                long i = n;
                n += permits;
                for (int k = 0; k < at.length; k++) {
                    if (at[k] == i) {
                        return gate(names[k]);
                    }
                }
                return CompletableFuture.completedFuture(null);
            }
        };
    }
}
