package io.flinkrecurrent.flink;

import io.flinkrecurrent.cell.RecurrentModel;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.streaming.api.TimeDomain;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.util.OutputTag;

import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;

/**
 * Runs a recurrent model over a keyed stream: each key's state lives in Flink managed state and is
 * stepped by every event of that key.
 *
 * <pre>{@code
 * // the common case
 * DataStream<RecurrentOutput> out = Recurrent.apply(events, model);
 *
 * // with options
 * SingleOutputStreamOperator<RecurrentOutput> out = Recurrent.builder(model)
 *         .name("sensor-lstm")                          // operator name and uid
 *         .resetAfterSteps(50)                          // fixed-length sequences
 *         .resetWhenIdle(Duration.ofMinutes(30), TimeDomain.EVENT_TIME)
 *         .stateTtl(Duration.ofDays(7))                 // keys that go quiet are dropped
 *         .orderByEventTime(Duration.ofSeconds(5))      // buffer, apply in timestamp order
 *         .emitState(true)
 *         .apply(events);
 * DataStream<RejectedEvent> rejected = out.getSideOutput(Recurrent.REJECTED);
 * }</pre>
 */
public final class Recurrent {
    /** Events that were not applied (bad input, late), with the reason. */
    public static final OutputTag<RejectedEvent> REJECTED =
            new OutputTag<>("recurrent-rejected", TypeInformation.of(RejectedEvent.class));

    /** The key an event without key is routed under (Flink cannot key by null); such events are rejected. */
    static final String NULL_KEY = "\u0000<null key>";

    private Recurrent() {}

    /** The model over a stream of {@link KeyedEvent}s with the default options. */
    public static SingleOutputStreamOperator<RecurrentOutput> apply(DataStream<KeyedEvent> events, RecurrentModel model) {
        return builder(model).apply(events);
    }

    public static Builder builder(RecurrentModel model) {
        return new Builder(model);
    }

    /** The operator's options; see {@link Builder}. */
    public record Options(boolean emitState, long resetAfterSteps, long idleGapMs, TimeDomain idleDomain,
                          Duration ttl, boolean ordered, long allowedLatenessMs) implements Serializable {}

    /** Extracts one field of a user's event type. */
    @FunctionalInterface
    public interface Extractor<T, R> extends Serializable {
        R apply(T event) throws Exception;
    }

    /** Options of the recurrent operator. Every option is off by default. */
    public static final class Builder {
        private final RecurrentModel model;
        private String name = "recurrent";
        private String uid;
        private boolean emitState;
        private long resetAfterSteps;
        private long idleGapMs;
        private TimeDomain idleDomain = TimeDomain.EVENT_TIME;
        private Duration ttl;
        private boolean ordered;
        private long allowedLatenessMs;
        private int microBatch;
        private long microBatchDelayMs;

        private Builder(RecurrentModel model) {
            this.model = Objects.requireNonNull(model, "model");
        }

        /** The operator's name, also its uid unless {@link #uid} is set. Default {@code recurrent}. */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name);
            return this;
        }

        /** The stateful operator's uid: keep it stable across versions of a job to restore its state. */
        public Builder uid(String uid) {
            this.uid = Objects.requireNonNull(uid);
            return this;
        }

        /** Also emit the key's whole state after each event ({@link RecurrentOutput#state}). */
        public Builder emitState(boolean emit) {
            this.emitState = emit;
            return this;
        }

        /** Zero a key's state after every {@code steps} events (fixed-length sequences). */
        public Builder resetAfterSteps(long steps) {
            if (steps < 1) {
                throw new IllegalArgumentException("resetAfterSteps must be at least 1, got " + steps);
            }
            this.resetAfterSteps = steps;
            return this;
        }

        /**
         * Zero a key's state when it has had no event for longer than {@code gap}, measured in event
         * time (the events' timestamps and the watermark) or processing time. A timer drops the idle
         * key's vector from state, so idle keys cost a few bytes.
         */
        public Builder resetWhenIdle(Duration gap, TimeDomain domain) {
            if (gap.isNegative() || gap.isZero()) {
                throw new IllegalArgumentException("idle gap must be positive, got " + gap);
            }
            this.idleGapMs = gap.toMillis();
            this.idleDomain = Objects.requireNonNull(domain);
            return this;
        }

        /** Drop a key's state entirely when it has not been written for {@code ttl} (processing time). */
        public Builder stateTtl(Duration ttl) {
            if (ttl.isNegative() || ttl.isZero()) {
                throw new IllegalArgumentException("state TTL must be positive, got " + ttl);
            }
            this.ttl = ttl;
            return this;
        }

        /**
         * Buffer each key's events and apply them in timestamp order once the watermark passes their
         * timestamp plus {@code allowedLateness}. An event older than one of its key's applied events
         * goes to {@link #REJECTED} as LATE; one without timestamp as NO_TIMESTAMP.
         */
        public Builder orderByEventTime(Duration allowedLateness) {
            if (allowedLateness.isNegative()) {
                throw new IllegalArgumentException("allowed lateness must not be negative, got " + allowedLateness);
            }
            this.ordered = true;
            this.allowedLatenessMs = allowedLateness.toMillis();
            return this;
        }

        /**
         * Cross-key micro-batching: collect up to {@code maxEvents} events per subtask, or for at most
         * {@code maxDelay}, and step their distinct keys together as one batched product (see
         * {@link BatchingRecurrentOperator}). Needs a {@link io.flinkrecurrent.cell.RecurrentNetwork};
         * combines with every other option.
         */
        public Builder microBatch(int maxEvents, Duration maxDelay) {
            if (maxEvents < 1 || maxDelay.isNegative() || maxDelay.isZero()) {
                throw new IllegalArgumentException("micro-batch needs at least 1 event and a positive delay, got "
                        + maxEvents + ", " + maxDelay);
            }
            this.microBatch = maxEvents;
            this.microBatchDelayMs = maxDelay.toMillis();
            return this;
        }

        Options options() {
            return new Options(emitState, resetAfterSteps, idleGapMs, idleDomain, ttl, ordered, allowedLatenessMs);
        }

        /** The keyed function itself, for wiring it by hand: key the stream with {@link #keySelector()}. */
        public RecurrentFunction function() {
            return new RecurrentFunction(model, options());
        }

        /** The operator over {@link KeyedEvent}s. */
        public SingleOutputStreamOperator<RecurrentOutput> apply(DataStream<KeyedEvent> events) {
            if (microBatch > 0) {
                if (!(model instanceof io.flinkrecurrent.cell.RecurrentNetwork net)) {
                    throw new IllegalArgumentException("micro-batching steps a RecurrentNetwork; this model is "
                            + model.describe());
                }
                return events
                        .keyBy(new EventKey(), Types.STRING)
                        .transform(name, TypeInformation.of(RecurrentOutput.class),
                                new BatchingRecurrentOperator(net, options(), microBatch, microBatchDelayMs))
                        .uid(uid != null ? uid : name);
            }
            return events
                    .keyBy(new EventKey(), Types.STRING)
                    .process(new RecurrentFunction(model, options()), TypeInformation.of(RecurrentOutput.class))
                    .name(name)
                    .uid(uid != null ? uid : name);
        }

        /** The operator over a user's own events, through a key and an input extractor. */
        public <T> SingleOutputStreamOperator<RecurrentOutput> apply(DataStream<T> events, Extractor<T, String> key,
                                                                     Extractor<T, float[]> input) {
            return apply(events, key, input, null);
        }

        /** As above, with a reset flag per event (null: never). */
        public <T> SingleOutputStreamOperator<RecurrentOutput> apply(DataStream<T> events, Extractor<T, String> key,
                                                                     Extractor<T, float[]> input,
                                                                     Extractor<T, Boolean> reset) {
            MapFunction<T, KeyedEvent> toEvent = t -> {
                KeyedEvent e = new KeyedEvent(key.apply(t), input.apply(t));
                e.reset = reset != null && Boolean.TRUE.equals(reset.apply(t));
                return e;
            };
            return apply(sameParallelism(events.map(toEvent).returns(TypeInformation.of(KeyedEvent.class))
                    .name(name + "-events").uid((uid != null ? uid : name) + "-events"), events));
        }
    }

    /**
     * Runs a per-event step before the keyBy at its input's parallelism, so that it is chained to it
     * (forward) instead of rebalanced: a rebalance would interleave a key's events from two subtasks
     * and break their order, and the recurrent update does not commute.
     */
    public static <T> SingleOutputStreamOperator<T> sameParallelism(SingleOutputStreamOperator<T> op, DataStream<?> input) {
        int p = input.getParallelism();
        return p > 0 ? op.setParallelism(p) : op;
    }

    /** The key selector the operator uses (a null key is routed to be rejected, not thrown on). */
    public static KeySelector<KeyedEvent, String> keySelector() {
        return new EventKey();
    }

    /** Keys by the event's key; a null key goes under {@link #NULL_KEY} to be rejected there. */
    static final class EventKey implements KeySelector<KeyedEvent, String> {
        @Override
        public String getKey(KeyedEvent e) {
            return e.key == null ? NULL_KEY : e.key;
        }
    }
}
