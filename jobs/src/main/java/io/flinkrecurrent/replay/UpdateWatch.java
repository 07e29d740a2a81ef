package io.flinkrecurrent.replay;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * For {@code replay --engine flink} with control lines, on the embedded cluster in this JVM: a metric
 * reporter that keeps the recurrent operator's {@code recurrent.events} and
 * {@code recurrent.models.received} counters, one per subtask, so that the events source can hold at a
 * control line until every event before it has been taken in, then let the update go and wait until
 * every subtask has received it (and accepted or refused it) before it sends the events after it. The
 * swap then lands where the line is, as in the plain engine, although the updates travel on their own
 * broadcast input.
 */
public final class UpdateWatch implements MetricReporter, MetricReporterFactory {
    private static final List<Counter> RECEIVED = new CopyOnWriteArrayList<>();
    private static final List<Counter> EVENTS = new CopyOnWriteArrayList<>();
    private static final ScheduledExecutorService POLL = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "replay-update-watch");
        t.setDaemon(true);
        return t;
    });

    /** The reporter's configuration key prefix, for the embedded cluster's configuration. */
    static final String CONFIG = "metrics.reporter.replay-update-watch.factory.class";

    public UpdateWatch() {}

    /** Forgets the counters of a previous run. */
    static void reset() {
        RECEIVED.clear();
        EVENTS.clear();
    }

    /** Completes once the operator's subtasks have taken in {@code events} events in all. */
    static CompletableFuture<Void> eventsTaken(long events) {
        return when(() -> EVENTS.stream().mapToLong(Counter::getCount).sum() >= events);
    }

    /** Completes once {@code subtasks} subtasks have each received at least {@code updates} updates. */
    static CompletableFuture<Void> received(int subtasks, long updates) {
        return when(() -> RECEIVED.stream().filter(c -> c.getCount() >= updates).count() >= subtasks);
    }

    private static CompletableFuture<Void> when(java.util.function.BooleanSupplier condition) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Runnable check = new Runnable() {
            @Override
            public void run() {
                if (condition.getAsBoolean()) {
                    done.complete(null);
                } else {
                    POLL.schedule(this, 2, TimeUnit.MILLISECONDS);
                }
            }
        };
        POLL.execute(check);
        return done;
    }

    @Override
    public MetricReporter createMetricReporter(Properties properties) {
        return this;
    }

    @Override
    public void open(MetricConfig config) {}

    @Override
    public void close() {}

    @Override
    public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
        if (name.equals("received") && metric instanceof Counter c
                && group.getMetricIdentifier(name).endsWith("recurrent.models.received")) {
            RECEIVED.add(c);
        } else if (name.equals("events") && metric instanceof Counter c
                && group.getMetricIdentifier(name).endsWith("recurrent.events")) {
            EVENTS.add(c);
        }
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {
        RECEIVED.remove(metric);
        EVENTS.remove(metric);
    }
}
