package io.flinkrecurrent.flink;

import io.flinkrecurrent.annotation.PublicEvolving;
import org.apache.flink.streaming.api.TimeDomain;

import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;

/**
 * How the recurrent operator treats each key's state and time. Every option is off by default: one
 * step per event, in arrival order, the state kept for ever. Immutable; made with {@link #builder()}.
 */
@PublicEvolving
public final class RecurrentOptions implements Serializable {
    private static final long serialVersionUID = 1L;
    /** The default bound of the kept inputs' cache: 32 MiB per subtask. */
    public static final long DEFAULT_KEPT_INPUTS_CACHE_BYTES = 32L << 20;
    /** Every option off. */
    public static final RecurrentOptions DEFAULTS = builder().build();

    private final long resetAfterSteps;
    private final long idleGapMs;
    private final TimeDomain idleDomain;
    private final Duration ttl;
    private final boolean ordered;
    private final long allowedLatenessMs;
    private final int microBatch;
    private final long microBatchDelayMs;
    private final NonFinitePolicy nonFinite;
    private final int maxBufferedPerKey;
    private final long maxBufferedPerSubtask;
    private final BufferFullPolicy bufferFull;
    private final long noWatermarkWarningMs;
    private final int keepInputs;
    private final long keptInputsCacheBytes;
    private final NoModelPolicy noModel;

    /** What happens when a step makes the key's state or the output NaN or infinite. */
    @PublicEvolving
    public enum NonFinitePolicy {
        /** The event is rejected ({@code NON_FINITE_STATE}) and the key keeps its state from before the step. */
        REJECT,
        /** The event is rejected ({@code NON_FINITE_STATE}) and the key restarts from zeros (counted as a reset). */
        RESET
    }

    /** What happens to an event that arrives before the first model of an operator that starts from its updates. */
    @PublicEvolving
    public enum NoModelPolicy {
        /**
         * It waits in its key's state, in arrival order, and is applied when the first model arrives; at
         * most {@link #maxBufferedPerKey()} per key and {@link #maxBufferedPerSubtask()} per subtask, beyond
         * which events are rejected as {@code BUFFER_FULL}. The gauge {@code awaitingModel} counts them.
         */
        WAIT,
        /** It is rejected as {@code NO_MODEL}. */
        REJECT
    }

    /** What happens to an event when event-time ordering's buffer is full (for its key or its subtask). */
    @PublicEvolving
    public enum BufferFullPolicy {
        /** The event is rejected ({@code BUFFER_FULL}); what is buffered waits for the watermark as before. */
        REJECT,
        /**
         * The key's buffered events are applied at once, in timestamp order, and the event after them (or
         * rejected as {@code LATE} if it is older): the key stops waiting for the watermark rather than
         * holding more memory. An event of a key with nothing buffered is applied as it arrives.
         */
        RELEASE
    }

    private RecurrentOptions(Builder b) {
        resetAfterSteps = b.resetAfterSteps;
        idleGapMs = b.idleGapMs;
        idleDomain = b.idleDomain;
        ttl = b.ttl;
        ordered = b.ordered;
        allowedLatenessMs = b.allowedLatenessMs;
        microBatch = b.microBatch;
        microBatchDelayMs = b.microBatchDelayMs;
        nonFinite = b.nonFinite;
        maxBufferedPerKey = b.maxBufferedPerKey;
        maxBufferedPerSubtask = b.maxBufferedPerSubtask;
        bufferFull = b.bufferFull;
        noWatermarkWarningMs = b.noWatermarkWarningMs;
        keepInputs = b.keepInputs;
        keptInputsCacheBytes = b.keptInputsCacheBytes;
        noModel = b.noModel;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these options, to change some. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.resetAfterSteps = resetAfterSteps;
        b.idleGapMs = idleGapMs;
        b.idleDomain = idleDomain;
        b.ttl = ttl;
        b.ordered = ordered;
        b.allowedLatenessMs = allowedLatenessMs;
        b.microBatch = microBatch;
        b.microBatchDelayMs = microBatchDelayMs;
        b.nonFinite = nonFinite;
        b.maxBufferedPerKey = maxBufferedPerKey;
        b.maxBufferedPerSubtask = maxBufferedPerSubtask;
        b.bufferFull = bufferFull;
        b.noWatermarkWarningMs = noWatermarkWarningMs;
        b.keepInputs = keepInputs;
        b.keptInputsCacheBytes = keptInputsCacheBytes;
        b.noModel = noModel;
        return b;
    }

    /** Zero a key's state before every (n+1)-th event since its last reset; 0: never. */
    public long resetAfterSteps() { return resetAfterSteps; }

    /** The idle gap in milliseconds after which a key's state is zeroed; 0: never. */
    public long idleGapMs() { return idleGapMs; }

    /** The time the idle gap is measured in. */
    public TimeDomain idleDomain() { return idleDomain; }

    /** The state TTL (processing time, Flink's state TTL), or null for none. */
    public Duration ttl() { return ttl; }

    /** Whether events are buffered and applied in event-time order. */
    public boolean ordered() { return ordered; }

    /** With {@link #ordered()}: how long after its timestamp the watermark must be before an event is applied. */
    public long allowedLatenessMs() { return allowedLatenessMs; }

    /** Events per micro-batch; 1: one step per event. */
    public int microBatch() { return microBatch; }

    /** The longest an event waits in a micro-batch, in milliseconds. */
    public long microBatchDelayMs() { return microBatchDelayMs; }

    /** What a step that makes the state or the output non-finite does. Default {@link NonFinitePolicy#REJECT}. */
    public NonFinitePolicy nonFinitePolicy() { return nonFinite; }

    /** With {@link #ordered()}: the most events one key may have waiting for the watermark. Default 10,000. */
    public int maxBufferedPerKey() { return maxBufferedPerKey; }

    /** With {@link #ordered()}: the most events one subtask may have waiting, over all its keys. Default 100,000. */
    public long maxBufferedPerSubtask() { return maxBufferedPerSubtask; }

    /** What happens to an event when a buffer is full. Default {@link BufferFullPolicy#REJECT}. */
    public BufferFullPolicy bufferFullPolicy() { return bufferFull; }

    /** With {@link #ordered()}: events waiting this long (processing time) without a watermark log a warning, once. */
    public long noWatermarkWarningMs() { return noWatermarkWarningMs; }

    /** What an event that comes before the first model does (an operator that starts from its updates). Default WAIT. */
    public NoModelPolicy noModelPolicy() { return noModel; }

    /** How many of each key's last inputs (since its last reset) the operator keeps for WARM_UP swaps; 0: none. */
    public int keepInputs() { return keepInputs; }

    /** The bound, in bytes per subtask, of the cache the kept inputs are written behind (see {@link Builder#keptInputsCache}). */
    public long keptInputsCacheBytes() { return keptInputsCacheBytes; }

    @Override
    public String toString() {
        return "RecurrentOptions{resetAfterSteps=" + resetAfterSteps + ", idleGapMs=" + idleGapMs + " (" + idleDomain
                + "), ttl=" + ttl + ", ordered=" + ordered + ", allowedLatenessMs=" + allowedLatenessMs
                + ", microBatch=" + microBatch + "/" + microBatchDelayMs + " ms, nonFinite=" + nonFinite
                + (ordered ? ", buffer " + maxBufferedPerKey + "/key " + maxBufferedPerSubtask + "/subtask " + bufferFull : "")
                + (keepInputs > 0 ? ", keepInputs=" + keepInputs + " (cache " + keptInputsCacheBytes + " bytes)" : "") + "}";
    }

    /** Sets the options; each setter checks its value at once. */
    @PublicEvolving
    public static final class Builder {
        private long resetAfterSteps;
        private long idleGapMs;
        private TimeDomain idleDomain = TimeDomain.EVENT_TIME;
        private Duration ttl;
        private boolean ordered;
        private long allowedLatenessMs;
        private int microBatch = 1;
        private long microBatchDelayMs;
        private NonFinitePolicy nonFinite = NonFinitePolicy.REJECT;
        private int maxBufferedPerKey = 10_000;
        private long maxBufferedPerSubtask = 100_000;
        private BufferFullPolicy bufferFull = BufferFullPolicy.REJECT;
        private long noWatermarkWarningMs = 60_000;
        private int keepInputs;
        private long keptInputsCacheBytes = DEFAULT_KEPT_INPUTS_CACHE_BYTES;
        private NoModelPolicy noModel = NoModelPolicy.WAIT;

        private Builder() {}

        /** Zero a key's state after every {@code steps} events (fixed-length sequences). */
        public Builder resetAfterSteps(long steps) {
            if (steps < 1) {
                throw new IllegalArgumentException("resetAfterSteps must be at least 1, got " + steps);
            }
            this.resetAfterSteps = steps;
            return this;
        }

        /** {@link #resetWhenIdle(Duration, TimeDomain)} in event time. */
        public Builder resetWhenIdle(Duration gap) {
            return resetWhenIdle(gap, TimeDomain.EVENT_TIME);
        }

        /**
         * Zero a key's state when it has had no event for longer than {@code gap}, measured in event
         * time (the events' timestamps and the watermark) or processing time. One timer per key drops
         * the idle key's vector from state, so idle keys cost a few bytes.
         */
        public Builder resetWhenIdle(Duration gap, TimeDomain domain) {
            if (gap.isNegative() || gap.isZero()) {
                throw new IllegalArgumentException("idle gap must be positive, got " + gap);
            }
            this.idleGapMs = gap.toMillis();
            this.idleDomain = Objects.requireNonNull(domain, "domain");
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
         * is rejected as {@code LATE}; one without a timestamp as {@code NO_TIMESTAMP}.
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
         * {@code maxDelay}, and step their distinct keys together (one batched product when the model
         * is a {@link io.flinkrecurrent.cell.BatchedModel}). Flushed before every checkpoint barrier,
         * on watermarks and at the end of the input. Combines with every other option.
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

        /** What a step that makes the key's state or the output NaN or infinite does (default: reject, keep the state). */
        public Builder onNonFiniteState(NonFinitePolicy policy) {
            this.nonFinite = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * The bounds of event-time ordering's buffer: at most {@code perKey} events of one key and
         * {@code perSubtask} of one subtask wait for the watermark; {@code policy} says what happens to an
         * event beyond them. Defaults: 10,000, 100,000, {@link BufferFullPolicy#REJECT} (a buffered event costs
         * about 150 bytes on the heap backend with an input of 16 floats).
         */
        public Builder bufferLimits(int perKey, long perSubtask, BufferFullPolicy policy) {
            if (perKey < 1 || perSubtask < 1) {
                throw new IllegalArgumentException("buffer limits must be at least 1, got " + perKey + " per key and "
                        + perSubtask + " per subtask");
            }
            this.maxBufferedPerKey = perKey;
            this.maxBufferedPerSubtask = perSubtask;
            this.bufferFull = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /** Log a warning (once per subtask) when events have waited this long with no watermark arriving. Default 1 minute. */
        public Builder warnWithoutWatermarkAfter(Duration after) {
            if (after.isNegative() || after.isZero()) {
                throw new IllegalArgumentException("the warning delay must be positive, got " + after);
            }
            this.noWatermarkWarningMs = after.toMillis();
            return this;
        }

        /**
         * Keep each key's last {@code inputs} inputs since its last reset ({@code 4 * inputs * inputSize}
         * bytes a key), so that a model update with {@link ModelUpdate.Policy#WARM_UP} can replay them
         * through the new model. Default 0: a WARM_UP update is refused. They are written behind: an active
         * key's inputs stay in a cache of the subtask ({@link #keptInputsCache}) and reach the key's state
         * at every checkpoint, so an event costs no second state access.
         */
        public Builder keepInputs(int inputs) {
            if (inputs < 0 || inputs > 100_000) {
                throw new IllegalArgumentException("keepInputs must be between 0 and 100000, got " + inputs);
            }
            this.keepInputs = inputs;
            return this;
        }

        /**
         * The bound of the cache the kept inputs ({@link #keepInputs}) are written behind, in bytes per
         * subtask (default {@value #DEFAULT_KEPT_INPUTS_CACHE_BYTES}, 32 MiB; each key counts as its inputs'
         * floats and about 100 bytes; its key object comes on top). When it is full the least recently stepped key's inputs are written
         * to its state and leave the cache (the metric {@code keptInputs.evictions}); that key's next event
         * reads them back ({@code keptInputs.loads}). Size it to hold the keys active between two
         * checkpoints: a key evicted at every event costs a state read and write more than without the cache.
         */
        public Builder keptInputsCache(long maxBytes) {
            if (maxBytes < 0) {
                throw new IllegalArgumentException("keptInputsCache must be at least 0 bytes, got " + maxBytes);
            }
            this.keptInputsCacheBytes = maxBytes;
            return this;
        }

        /**
         * For an operator that starts from its model updates ({@link Recurrent#awaitingModel}): whether events
         * before the first model wait for it (bounded by {@link #bufferLimits}) or are rejected. Default WAIT.
         */
        public Builder beforeFirstModel(NoModelPolicy policy) {
            this.noModel = Objects.requireNonNull(policy, "policy");
            return this;
        }

        public RecurrentOptions build() {
            return new RecurrentOptions(this);
        }
    }
}
