package com.example.sensors;

/** The team's own result: which reading, and what the model made of it. */
public class Alert {
    public long deviceId;
    public long seq;
    public float temp;
    public float score;

    public Alert() {}

    public Alert(Reading reading, float score, long seq) {
        this.deviceId = reading.deviceId;
        this.temp = reading.temp;
        this.score = score;
        this.seq = seq;
    }

    @Override
    public String toString() {
        return "Alert{device=" + deviceId + ", seq=" + seq + ", temp=" + temp + ", score=" + score + "}";
    }
}
