package io.flinkrecurrent.anomaly.flink;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/** A user's event for the tests: one server's readings at a time, a Flink POJO. */
public class ServerReading {
    public String host;
    public long time;
    public float cpu;
    public float mem;
    public float disk;
    /** The same metrics as an array (the {@code metrics(width, r -> r.values)} form). */
    public float[] values;
    /** Unique per reading: the payload the results must carry back. */
    public String note;

    public ServerReading() {}

    ServerReading(String host, long time, float cpu, float mem, float disk, String note) {
        this.host = host;
        this.time = time;
        this.cpu = cpu;
        this.mem = mem;
        this.disk = disk;
        this.values = new float[] {cpu, mem, disk};
        this.note = note;
    }

    public String host() {
        return host;
    }

    /**
     * {@code rows} readings of each of three hosts, interleaved: noisy daily-looking waves, each host with
     * a jump in one of its metrics late enough for the detector to have learnt the host (cpu at 300 for
     * web-1, mem at 350 for web-2, disk at 400 for db-1).
     */
    static List<ServerReading> servers(int rows) {
        String[] hosts = {"web-1", "web-2", "db-1"};
        Random[] noise = {new Random(1), new Random(2), new Random(3)};
        List<ServerReading> l = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            for (int h = 0; h < hosts.length; h++) {
                Random r = noise[h];
                float wave = (float) Math.sin(2 * Math.PI * i / 48 + h);
                float cpu = 40 + 15 * wave + (float) r.nextGaussian();
                float mem = 60 + 0.01f * i + (float) r.nextGaussian() * 0.5f;
                float disk = 20 + 5 * wave + (float) r.nextGaussian();
                if (h == 0 && i >= 300 && i < 310) {
                    cpu += 80;
                }
                if (h == 1 && i >= 350) {
                    mem += 25;
                }
                if (h == 2 && i >= 400 && i < 405) {
                    disk += 60;
                }
                l.add(new ServerReading(hosts[h], 1_700_000_000_000L + 60_000L * i, cpu, mem, disk, hosts[h] + "#" + i));
            }
        }
        return l;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ServerReading r && Objects.equals(host, r.host) && time == r.time
                && Float.compare(cpu, r.cpu) == 0 && Float.compare(mem, r.mem) == 0 && Float.compare(disk, r.disk) == 0
                && Arrays.equals(values, r.values) && Objects.equals(note, r.note);
    }

    @Override
    public int hashCode() {
        return Objects.hash(host, time, note);
    }

    @Override
    public String toString() {
        return note;
    }
}
