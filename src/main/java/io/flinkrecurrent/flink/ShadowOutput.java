package io.flinkrecurrent.flink;

import io.flinkrecurrent.annotation.PublicEvolving;

import java.util.Arrays;

/**
 * The shadow model's output for one event, beside the live model's, on {@link Recurrent#SHADOW}: so a
 * team can compare a candidate on live traffic before promoting it. A Flink POJO.
 */
@PublicEvolving
public class ShadowOutput {
    /** The key, as text. */
    public String key;
    /** The live output's seq for this event. */
    public long seq;
    /** Event time, or {@link KeyedEvent#NO_TIMESTAMP}. */
    public long timestamp = KeyedEvent.NO_TIMESTAMP;
    public String liveVersion;
    public float[] live;
    public String shadowVersion;
    public float[] shadow;

    public ShadowOutput() {}

    public ShadowOutput(String key, long seq, long timestamp, String liveVersion, float[] live, String shadowVersion,
                        float[] shadow) {
        this.key = key;
        this.seq = seq;
        this.timestamp = timestamp;
        this.liveVersion = liveVersion;
        this.live = live;
        this.shadowVersion = shadowVersion;
        this.shadow = shadow;
    }

    @Override
    public String toString() {
        return "ShadowOutput{key=" + key + ", seq=" + seq + ", " + liveVersion + "=" + Arrays.toString(live) + ", "
                + shadowVersion + "=" + Arrays.toString(shadow) + "}";
    }
}
