package com.example.sensors;

import io.flinkrecurrent.cell.Activation;
import io.flinkrecurrent.cell.CellType;
import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.flink.Rejected;
import io.flinkrecurrent.flink.RecurrentStream;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The library from the outside: the typed API on the team's POJO with a Long key, on a MiniCluster. */
class SensorAlertsTest {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberSlotsPerTaskManager(2).build());

    /** An Elman RNN in PyTorch's layout: h = h_prev + temp + load (identity), y = 5 - h. */
    static RecurrentNetwork model() {
        return RecurrentNetwork.builder(CellType.RNN, 2, 1)
                .nonlinearity(Activation.IDENTITY)
                .layer(new float[] {1, 1}, new float[] {1}, new float[] {0}, new float[] {0})
                .head(new float[] {-1}, new float[] {5}, Activation.IDENTITY)
                .build();
    }

    @Test
    void eachDeviceKeepsItsOwnHistory() throws Exception {
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(2);
        var readings = env.fromData(TypeInformation.of(Reading.class),
                new Reading(7_000_000_000L, 1, 0, false),
                new Reading(42L, 2, 1, false),
                new Reading(7_000_000_000L, 1, 1, false),
                new Reading(7_000_000_000L, 3, 0, true),     // restart: from zero
                new Reading(null, 1, 1, false),               // no device: rejected, the job goes on
                new Reading(42L, Float.NaN, 0, false));       // broken sensor: rejected
        RecurrentStream<Reading, Alert> alerts = SensorAlerts.alerts(readings.setParallelism(1), model());

        List<Alert> got = new ArrayList<>();
        List<Rejected<Reading>> bad = new ArrayList<>();
        try (CloseableIterator<Alert> a = alerts.collectAsync();
             CloseableIterator<Rejected<Reading>> r = alerts.rejected().collectAsync()) {
            env.execute("sensor alerts");
            a.forEachRemaining(got::add);
            r.forEachRemaining(bad::add);
        }
        got.sort(Comparator.comparingLong((Alert x) -> x.deviceId).thenComparingLong(x -> x.seq));
        assertEquals("[Alert{device=42, seq=0, temp=2.0, score=2.0}, "
                + "Alert{device=7000000000, seq=0, temp=1.0, score=4.0}, "
                + "Alert{device=7000000000, seq=1, temp=1.0, score=2.0}, "
                + "Alert{device=7000000000, seq=2, temp=3.0, score=2.0}]", got.toString());
        bad.sort(Comparator.comparing(x -> x.reason));
        assertEquals(2, bad.size(), bad.toString());
        assertEquals("NULL_KEY", bad.get(0).reason.name());
        assertEquals("NON_FINITE", bad.get(1).reason.name());
        assertEquals(42L, bad.get(1).event.deviceId, "the team's own event comes back");
    }
}
