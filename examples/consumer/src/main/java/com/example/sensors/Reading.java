package com.example.sensors;

/** A sensor reading, the team's own event type (a Flink POJO). */
public class Reading {
    public Long deviceId;
    public float temp;
    public float load;
    public boolean restart;

    public Reading() {}

    public Reading(Long deviceId, float temp, float load, boolean restart) {
        this.deviceId = deviceId;
        this.temp = temp;
        this.load = load;
        this.restart = restart;
    }

    public Long deviceId() {
        return deviceId;
    }

    public boolean isRestart() {
        return restart;
    }
}
