package com.example.servers;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** A day of minute readings of three servers, made up: an hourly batch load, bounded noise, and one incident. */
public final class SampleReadings {
    /** Midnight, 1 June 2025 UTC. */
    public static final long START = 1_748_736_000_000L;
    /** The server with the incident, and the minute its disk starts to thrash. */
    public static final String INCIDENT_HOST = "db-1";
    public static final int INCIDENT_MINUTE = 900;

    private SampleReadings() {}

    /** Every server's readings minute by minute, the servers interleaved as they would arrive. */
    public static List<ServerReading> day() {
        String[] hosts = {"web-1", "web-2", "db-1"};
        Random noise = new Random(42);
        List<ServerReading> readings = new ArrayList<>();
        for (int minute = 0; minute < 1440; minute++) {
            double load = Math.sin(2 * Math.PI * minute / 60);
            for (int h = 0; h < hosts.length; h++) {
                float cpu = (float) (35 + 10 * h + 20 * load + 2 * noise(noise));
                float memory = (float) (60 + 0.5 * noise(noise));
                float disk = (float) (20 + 5 * load + noise(noise));
                float network = (float) (100 + 40 * load + 5 * noise(noise));
                if (hosts[h].equals(INCIDENT_HOST) && minute >= INCIDENT_MINUTE && minute < INCIDENT_MINUTE + 15) {
                    disk += 70;
                }
                readings.add(new ServerReading(hosts[h], START + 60_000L * minute, cpu, memory, disk, network));
            }
        }
        return readings;
    }

    /** Uniform in [-1, 1]. */
    private static double noise(Random r) {
        return 2 * r.nextDouble() - 1;
    }
}
