package io.flinkrecurrent.flink;

/**
 * What the operator keeps per key in Flink managed state; serialized by {@link KeyStateSerializer}.
 */
@io.flinkrecurrent.annotation.Internal
public final class KeyState {
    public static final long NONE = Long.MIN_VALUE;

    /** The model's flat state; null means all zeros (a new key, or one whose state was dropped while idle). */
    public float[] state;
    /** Events applied so far: the next output's seq. */
    public long seq;
    /** Events applied since the last reset. */
    public long sinceReset;
    /** Largest event time applied, or NONE. */
    public long lastEventTime = NONE;
    /** Processing time of the last event applied, or NONE. */
    public long lastProcessingTime = NONE;
    /** Fingerprint of the model that wrote {@link #state}. */
    public long fingerprint;
    /** The idle timer registered for this key, or NONE. */
    public long idleTimer = NONE;
    /**
     * The key's last inputs since its last reset, with {@link RecurrentOptions#keepInputs()}: a ring in
     * the layout of {@code io.flinkrecurrent.runtime.InputRing}; null when none are kept. Part of the key's one
     * state value, so a key that keeps its inputs costs one state read and write per event.
     */
    public float[] recentInputs;

    public KeyState() {}

    public KeyState copy() {
        KeyState c = new KeyState();
        c.state = state == null ? null : state.clone();
        c.seq = seq;
        c.sinceReset = sinceReset;
        c.lastEventTime = lastEventTime;
        c.lastProcessingTime = lastProcessingTime;
        c.fingerprint = fingerprint;
        c.idleTimer = idleTimer;
        c.recentInputs = recentInputs == null ? null : recentInputs.clone();
        return c;
    }
}
