package io.flinkrecurrent.runtime;

import io.flinkrecurrent.flink.KeyState;
import io.flinkrecurrent.flink.KeyStateSerializer;
import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.flink.RecurrentOptions;
import io.flinkrecurrent.flink.ResetReason;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.TimeDomain;

import java.time.Duration;
import java.util.Arrays;

/**
 * What every form of the operator (the DataStream operator and the SQL function) does to a key's
 * state around a step: create, check, reset, advance; and its idle timer.
 */
@io.flinkrecurrent.annotation.Internal
public final class KeyStates {
    private KeyStates() {}

    /** A per-key state of this kind under another name (the shadow model's), with TTL when asked. */
    public static ValueStateDescriptor<KeyState> descriptor(String name, Duration ttl) {
        ValueStateDescriptor<KeyState> sd = new ValueStateDescriptor<>(name, new KeyStateSerializer());
        if (ttl != null) {
            sd.enableTimeToLive(ttlConfig(ttl));
        }
        return sd;
    }

    /** The TTL of a key's states ({@code stateTtl}): from its last write, never returned once expired. */
    public static StateTtlConfig ttlConfig(Duration ttl) {
        return StateTtlConfig.newBuilder(ttl)
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .build();
    }

    /**
     * The key's state ready for this event's step: created for a new key, reset when another model
     * wrote it, when the event asks ({@code resetFlag}), when its sequence reached {@code resetAfterSteps}, or when the
     * key was idle longer than the gap before this event (event time {@code ts}, processing time
     * {@code now}); the vector allocated if the key had none.
     */
    public static KeyState prepare(KeyState ks, boolean resetFlag, long fingerprint, int stateSize, RecurrentOptions o,
                            long ts, long now, OperatorMetrics metrics) {
        if (ks == null) {
            ks = new KeyState();
            ks.fingerprint = fingerprint;
            metrics.keysCreated.inc();
        } else if (ks.fingerprint != fingerprint || ks.state != null && ks.state.length != stateSize) {
            ks.state = null;
            ks.sinceReset = 0;
            ks.fingerprint = fingerprint;
            metrics.reset(ResetReason.MODEL_CHANGED);
        }
        if (resetFlag) {
            reset(ks, ResetReason.EVENT, metrics);
        } else if (o.resetAfterSteps() > 0 && ks.sinceReset >= o.resetAfterSteps()) {
            reset(ks, ResetReason.STEPS, metrics);
        } else if (ks.sinceReset > 0 && ks.state != null && idleGapPassed(ks, o, ts, now)) {
            reset(ks, ResetReason.IDLE, metrics);
        }
        if (ks.state == null) {
            ks.state = new float[stateSize];
        }
        return ks;
    }

    public static void reset(KeyState ks, ResetReason reason, OperatorMetrics metrics) {
        if (ks.state != null) {
            Arrays.fill(ks.state, 0f);
        }
        ks.sinceReset = 0;
        metrics.reset(reason);
    }

    /** After the step: the key's counters and latest event time; returns the event's seq. */
    public static long advance(KeyState ks, long ts, long processingTime) {
        long seq = ks.seq++;
        ks.sinceReset++;
        if (ts != KeyedEvent.NO_TIMESTAMP && (ks.lastEventTime == KeyState.NONE || ts > ks.lastEventTime)) {
            ks.lastEventTime = ts;
        }
        ks.lastProcessingTime = processingTime;
        return seq;
    }

    /** Whether the key was idle longer than the gap before this event (then it is reset before the step). */
    private static boolean idleGapPassed(KeyState ks, RecurrentOptions o, long ts, long now) {
        if (o.idleGapMs() <= 0) {
            return false;
        }
        if (o.idleDomain() == TimeDomain.EVENT_TIME) {
            return ts != KeyedEvent.NO_TIMESTAMP && ks.lastEventTime != KeyState.NONE && ts - ks.lastEventTime > o.idleGapMs();
        }
        return ks.lastProcessingTime != KeyState.NONE && now - ks.lastProcessingTime > o.idleGapMs();
    }

    /**
     * One idle timer per key at most: the deadline to register a timer at (recorded in the key's
     * state), or {@link KeyState#NONE} when the key has one already or has no time to count from.
     */
    public static long idleTimerToRegister(KeyState ks, RecurrentOptions o) {
        if (o.idleGapMs() <= 0 || ks.idleTimer != KeyState.NONE) {
            return KeyState.NONE;
        }
        long deadline = idleDeadline(ks, o);
        if (deadline != KeyState.NONE) {
            ks.idleTimer = deadline;
        }
        return deadline;
    }

    private static long idleDeadline(KeyState ks, RecurrentOptions o) {
        long last = o.idleDomain() == TimeDomain.EVENT_TIME ? ks.lastEventTime : ks.lastProcessingTime;
        return last == KeyState.NONE ? KeyState.NONE : last + o.idleGapMs() + 1;
    }

    /**
     * A key's idle timer fired at {@code timestamp}: an idle key's vector is dropped (it restarts from
     * zeros); a key that saw events since gets its timer moved on. Returns the deadline to register
     * the next timer at, or {@link KeyState#NONE}. The caller checks first that the timer is the
     * key's current one ({@code ks.idleTimer == timestamp}).
     */
    public static long onIdleTimer(KeyState ks, long timestamp, RecurrentOptions o, OperatorMetrics metrics) {
        ks.idleTimer = KeyState.NONE;
        long deadline = idleDeadline(ks, o);
        if (deadline != KeyState.NONE && deadline <= timestamp) {
            if (ks.state != null) {
                ks.state = null;
                ks.sinceReset = 0;
                metrics.reset(ResetReason.IDLE);
            }
            return KeyState.NONE;
        }
        return idleTimerToRegister(ks, o);
    }
}
