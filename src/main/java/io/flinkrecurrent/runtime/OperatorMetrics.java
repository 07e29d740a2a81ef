package io.flinkrecurrent.runtime;

import io.flinkrecurrent.flink.RejectedEvent;
import io.flinkrecurrent.flink.ResetReason;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The recurrent operator's metrics, in its group {@code recurrent}: events, outputs, keysCreated,
 * resets.&lt;reason&gt;, rejected.&lt;reason&gt;, and the gauge stepTimeNanos.
 */
@io.flinkrecurrent.annotation.Internal
public final class OperatorMetrics {
    public final Counter events;
    public final Counter outputs;
    public final Counter keysCreated;
    private final Map<ResetReason, Counter> resets = new EnumMap<>(ResetReason.class);
    private final Map<RejectedEvent.Reason, Counter> rejected = new EnumMap<>(RejectedEvent.Reason.class);
    /** Nanoseconds of the last timed step (per-event mode) or per event of the last batch. */
    public volatile long stepNanos;
    private final MetricGroup group;

    public OperatorMetrics(MetricGroup operator) {
        MetricGroup g = operator.addGroup("recurrent");
        group = g;
        events = g.counter("events");
        outputs = g.counter("outputs");
        keysCreated = g.counter("keysCreated");
        MetricGroup rg = g.addGroup("resets");
        for (ResetReason r : ResetReason.values()) {
            resets.put(r, rg.counter(r.name().toLowerCase(Locale.ROOT)));
        }
        MetricGroup jg = g.addGroup("rejected");
        for (RejectedEvent.Reason r : RejectedEvent.Reason.values()) {
            rejected.put(r, jg.counter(r.name().toLowerCase(Locale.ROOT)));
        }
        g.gauge("stepTimeNanos", (Gauge<Long>) () -> stepNanos);
    }

    /** The operator's group {@code recurrent}, for its other gauges. */
    public MetricGroup group() {
        return group;
    }

    private Counter updatesReceived;
    private Counter updatesAccepted;
    private Counter updatesRefused;
    private Map<ModelChain.Change, Counter> keyChanges;

    /**
     * The model-update metrics, in the group {@code recurrent.models}: {@code received} (every update that
     * reached the subtask, whatever became of it), {@code updates} (accepted), {@code refused},
     * the gauge {@code generation}, and {@code keys.<change>}, the keys brought to a new model (kept,
     * reset, warmed_up, promoted, unknown).
     */
    public void swaps(LongSupplier generation) {
        MetricGroup m = group.addGroup("models");
        updatesReceived = m.counter("received");
        updatesAccepted = m.counter("updates");
        updatesRefused = m.counter("refused");
        m.gauge("generation", (Gauge<Long>) generation::getAsLong);
        keyChanges = new EnumMap<>(ModelChain.Change.class);
        MetricGroup k = m.addGroup("keys");
        for (ModelChain.Change c : ModelChain.Change.values()) {
            if (c != ModelChain.Change.NONE) {
                keyChanges.put(c, k.counter(c.name().toLowerCase(Locale.ROOT)));
            }
        }
    }

    public void updateReceived() {
        updatesReceived.inc();
    }

    public void updateAccepted() {
        updatesAccepted.inc();
    }

    public void updateRefused() {
        updatesRefused.inc();
    }

    public void keyChanged(ModelChain.Change c) {
        Counter counter = keyChanges.get(c);
        if (counter != null) {
            counter.inc();
        }
    }

    public void reset(ResetReason r) {
        resets.get(r).inc();
    }

    public void rejected(RejectedEvent.Reason r) {
        rejected.get(r).inc();
    }
}
