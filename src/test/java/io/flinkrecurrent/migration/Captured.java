package io.flinkrecurrent.migration;

import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A stateless sink that keeps what a job emits, as {@link Out}s with the records' timestamps, in this
 * JVM (the mini-cluster runs in it), under a run's name. Stateless, so that a savepoint holds nothing of
 * it and the continuation's job restores without dropping any state.
 */
final class Captured {
    private static final Map<String, Queue<Out>> RUNS = new ConcurrentHashMap<>();

    private Captured() {}

    /** How a record of type T becomes an {@link Out}, given its timestamp (null when it has none). */
    interface ToOut<T> extends Serializable {
        Out apply(T value, Long timestamp);
    }

    static <T> Sink<T> sink(String run, ToOut<T> toOut) {
        return new CapturingSink<>(run, toOut);
    }

    static List<Out> get(String run) {
        Queue<Out> q = RUNS.get(run);
        return q == null ? new ArrayList<>() : new ArrayList<>(q);
    }

    static void clear(String run) {
        RUNS.remove(run);
    }

    private static final class CapturingSink<T> implements Sink<T> {
        private static final long serialVersionUID = 1L;
        private final String run;
        private final ToOut<T> toOut;

        CapturingSink(String run, ToOut<T> toOut) {
            this.run = run;
            this.toOut = toOut;
        }

        @Override
        public SinkWriter<T> createWriter(WriterInitContext context) {
            Queue<Out> q = RUNS.computeIfAbsent(run, r -> new ConcurrentLinkedQueue<>());
            return new SinkWriter<>() {
                @Override
                public void write(T element, Context ctx) {
                    q.add(toOut.apply(element, ctx.timestamp()));
                }

                @Override
                public void flush(boolean endOfInput) {}

                @Override
                public void close() {}
            };
        }
    }
}
