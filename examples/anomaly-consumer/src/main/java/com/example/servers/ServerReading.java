package com.example.servers;

/** One server's metrics at one minute, the team's own event type (a Flink POJO). */
public class ServerReading {
    public String host;
    /** Epoch milliseconds. */
    public long time;
    public float cpu;
    public float memory;
    public float disk;
    public float network;

    public ServerReading() {}

    public ServerReading(String host, long time, float cpu, float memory, float disk, float network) {
        this.host = host;
        this.time = time;
        this.cpu = cpu;
        this.memory = memory;
        this.disk = disk;
        this.network = network;
    }

    public String host() {
        return host;
    }

    @Override
    public String toString() {
        return host + "@" + time;
    }
}
