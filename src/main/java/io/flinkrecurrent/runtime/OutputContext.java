package io.flinkrecurrent.runtime;

import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.flink.StepContext;

/** The step's context an emitter sees: one per operator, refilled for every output (no allocation per event). */
@Internal
final class OutputContext<K> implements StepContext<K> {
    private K key;
    private long seq;
    private long timestamp;
    private float[] state;
    private boolean fromZero;
    private String version;

    void fill(K key, long seq, long timestamp, float[] state, boolean fromZero, String version) {
        this.key = key;
        this.seq = seq;
        this.timestamp = timestamp;
        this.state = state;
        this.fromZero = fromZero;
        this.version = version;
    }

    @Override public K key() { return key; }
    @Override public String modelVersion() { return version; }
    @Override public long seq() { return seq; }
    @Override public long timestamp() { return timestamp; }
    @Override public float[] state() { return state; }
    @Override public boolean fromZero() { return fromZero; }
}
