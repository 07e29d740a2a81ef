package io.flinkrecurrent.flink;

import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.Scratch;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.streaming.api.TimeDomain;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

import java.util.List;

/**
 * The keyed recurrent operator: keeps each key's state in Flink managed state and applies the
 * model's step to every event of that key. Built and configured by {@link Recurrent}; see there for
 * the options. Checkpointed like any keyed state: a failure or a restart from a savepoint loses
 * nothing, and rescaling moves each key's state with its key group.
 */
public class RecurrentFunction extends KeyedProcessFunction<String, KeyedEvent, RecurrentOutput> {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RecurrentFunction.class);
    private static final long serialVersionUID = 1L;
    /** Every 64th step is timed for the step-time gauge (System.nanoTime costs about 20 ns a call). */
    private static final int TIMING_MASK = 63;

    private final RecurrentModel model;
    private final Recurrent.Options options;

    private transient ValueState<KeyState> keyState;
    private transient MapState<Long, List<KeyedEvent>> buffer;
    private transient Scratch scratch;
    private transient float[] out;
    private transient int stateSize;
    private transient long fingerprint;
    private transient OperatorMetrics metrics;
    private transient long timedSteps;

    RecurrentFunction(RecurrentModel model, Recurrent.Options options) {
        this.model = model;
        this.options = options;
    }

    @Override
    public void open(OpenContext ctx) {
        keyState = getRuntimeContext().getState(KeyStates.descriptor(options.ttl()));
        if (options.ordered()) {
            buffer = getRuntimeContext().getMapState(KeyStates.bufferDescriptor());
        }
        scratch = model.newScratch();
        out = new float[model.outputSize()];
        stateSize = model.stateSize();
        fingerprint = model.fingerprint();

        metrics = new OperatorMetrics(getRuntimeContext().getMetricGroup());
        LOG.info("recurrent operator, {}: {} (fingerprint {}), {} floats of state per key, kernels: {}",
                "per event", model.describe(), Long.toHexString(fingerprint), stateSize,
                io.flinkrecurrent.cell.Kernels.VECTOR ? "Vector API" : "plain loops");
    }

    @Override
    public void processElement(KeyedEvent e, Context ctx, Collector<RecurrentOutput> collector) throws Exception {
        metrics.events.inc();
        if (!valid(e, ctx)) {
            return;
        }
        long ts = eventTime(ctx.timestamp(), e);
        if (!options.ordered()) {
            apply(e, ts, ctx, collector);
            return;
        }
        RejectedEvent bad = KeyStates.unorderable(e, ts, keyState.value(), options);
        if (bad != null) {
            metrics.rejected(bad.reason);
            ctx.output(Recurrent.REJECTED, bad);
            return;
        }
        ctx.timerService().registerEventTimeTimer(KeyStates.hold(buffer, e, ts, options));
    }

    /** The record's timestamp, else the event's own (a source without timestamps stamps Long.MIN_VALUE). */
    private static long eventTime(Long record, KeyedEvent e) {
        return record != null && record != Long.MIN_VALUE ? record : e.timestamp;
    }

    private boolean valid(KeyedEvent e, Context ctx) {
        RejectedEvent r = e.key == null || Recurrent.NULL_KEY.equals(ctx.getCurrentKey())
                ? new RejectedEvent(e.key, RejectedEvent.Reason.NULL_KEY, "the event has no key", e, null)
                : KeyStates.invalid(e, model);
        if (r != null) {
            metrics.rejected(r.reason);
            ctx.output(Recurrent.REJECTED, r);
        }
        return r == null;
    }

    /** Steps the key's state with one event and emits the output. */
    private void apply(KeyedEvent e, long ts, Context ctx, Collector<RecurrentOutput> collector) throws Exception {
        long now = ctx.timerService().currentProcessingTime();
        KeyState ks = KeyStates.prepare(keyState.value(), e, fingerprint, stateSize, options, ts, now, metrics);
        if ((++timedSteps & TIMING_MASK) == 0) {
            long t0 = System.nanoTime();
            model.step(out, ks.state, e.input, scratch);
            metrics.stepNanos = System.nanoTime() - t0;
        } else {
            model.step(out, ks.state, e.input, scratch);
        }
        long seq = KeyStates.advance(ks, ts, now);
        scheduleIdleTimer(ks, ctx);
        keyState.update(ks);
        metrics.outputs.inc();
        collector.collect(new RecurrentOutput(ctx.getCurrentKey(), seq, ts, e.id, out.clone(),
                options.emitState() ? ks.state.clone() : null));
    }

    /** One idle timer per key at most: registered at the deadline, moved on when it fires early. */
    private void scheduleIdleTimer(KeyState ks, Context ctx) {
        register(KeyStates.idleTimerToRegister(ks, options), ctx.timerService());
    }

    private void register(long deadline, org.apache.flink.streaming.api.TimerService timers) {
        if (deadline == KeyState.NONE) {
            return;
        }
        if (options.idleDomain() == TimeDomain.EVENT_TIME) {
            timers.registerEventTimeTimer(deadline);
        } else {
            timers.registerProcessingTimeTimer(deadline);
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<RecurrentOutput> collector) throws Exception {
        if (options.ordered() && ctx.timeDomain() == TimeDomain.EVENT_TIME) {
            long ts = timestamp - options.allowedLatenessMs();
            List<KeyedEvent> pending = buffer.get(ts);
            if (pending != null) {
                buffer.remove(ts);
                for (KeyedEvent e : pending) {
                    apply(e, ts, ctx, collector);
                }
            }
        }
        if (options.idleGapMs() > 0 && ctx.timeDomain() == options.idleDomain()) {
            KeyState ks = keyState.value();
            if (ks == null || ks.idleTimer != timestamp) {
                return;
            }
            register(KeyStates.onIdleTimer(ks, timestamp, options, metrics), ctx.timerService()); // idle: vector dropped
            keyState.update(ks);
        }
    }
}
