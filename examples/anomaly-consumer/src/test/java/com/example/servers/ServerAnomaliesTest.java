package com.example.servers;

import io.flinkrecurrent.anomaly.Cause;
import io.flinkrecurrent.anomaly.flink.AnomalyResult;
import io.flinkrecurrent.flink.RecurrentStream;
import io.flinkrecurrent.flink.Rejected;
import io.flinkrecurrent.flink.RejectedEvent;
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
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The anomaly module from the outside: the team's job on its own POJO, four metrics per server, on a MiniCluster. */
class ServerAnomaliesTest {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberSlotsPerTaskManager(2).build());

    @Test
    void theIncidentAlertsOnItsServersDiskAndBadReadingsComeBack() throws Exception {
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(2);
        List<ServerReading> day = new ArrayList<>(SampleReadings.day());
        ServerReading broken = new ServerReading("web-2", SampleReadings.START + 60_000L * 700, 40, Float.NaN, 20, 100);
        day.add(3 * 700, broken);                                  // a broken memory probe: rejected, the job goes on
        var readings = env.fromData(TypeInformation.of(ServerReading.class), day.toArray(new ServerReading[0]))
                .setParallelism(1);
        RecurrentStream<ServerReading, AnomalyResult<ServerReading, String>> scored = ServerAnomalies.scored(readings);

        List<AnomalyResult<ServerReading, String>> results = new ArrayList<>();
        List<Rejected<ServerReading>> rejected = new ArrayList<>();
        try (CloseableIterator<AnomalyResult<ServerReading, String>> a = scored.collectAsync();
             CloseableIterator<Rejected<ServerReading>> r = scored.rejected().collectAsync()) {
            env.execute("server anomalies");
            a.forEachRemaining(results::add);
            r.forEachRemaining(rejected::add);
        }

        assertEquals(3 * 1440, results.size(), "one result per good reading");
        for (AnomalyResult<ServerReading, String> r : results) {
            assertEquals(r.event.host, r.key, "the reading comes back with its key");
            assertEquals(r.cause == Cause.NONE, r.metricName == null, r.toString());
        }
        List<AnomalyResult<ServerReading, String>> alerts = results.stream().filter(r -> r.alert).toList();
        long incidentStart = SampleReadings.START + 60_000L * SampleReadings.INCIDENT_MINUTE;
        assertTrue(alerts.stream().anyMatch(r -> r.key.equals(SampleReadings.INCIDENT_HOST) && "disk".equals(r.metricName)
                        && r.event.time >= incidentStart && r.event.time < incidentStart + 15 * 60_000L),
                "the incident alerts on db-1's disk: " + alerts);
        assertTrue(alerts.size() <= 10, "a few alerts in a day of three servers, not a flood: " + alerts);

        assertEquals(1, rejected.size(), rejected.toString());
        assertEquals(RejectedEvent.Reason.NON_FINITE, rejected.get(0).reason);
        assertEquals("metric memory (#1) is NaN", rejected.get(0).message);
        assertEquals("web-2", rejected.get(0).key);
        assertSame(ServerReading.class, rejected.get(0).event.getClass());
    }
}
