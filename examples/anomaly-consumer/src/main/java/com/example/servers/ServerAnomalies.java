package com.example.servers;

import io.flinkrecurrent.anomaly.flink.AnomalyDetection;
import io.flinkrecurrent.anomaly.flink.AnomalyResult;
import io.flinkrecurrent.flink.RecurrentStream;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.time.Duration;

/** The team's job: each server's four metrics scored together by one detector per host. */
public final class ServerAnomalies {
    /** The metrics, in the order the detector reads them. */
    static final String[] METRICS = {"cpu", "memory", "disk", "network"};

    private ServerAnomalies() {}

    /** The job as a function of streams: a result per reading, the readings it could not score on {@code rejected()}. */
    public static RecurrentStream<ServerReading, AnomalyResult<ServerReading, String>> scored(
            DataStream<ServerReading> readings) {
        return AnomalyDetection.keyBy(ServerReading::host)
                .metrics(METRICS.length, (x, r) -> {
                    x[0] = r.cpu;
                    x[1] = r.memory;
                    x[2] = r.disk;
                    x[3] = r.network;
                })
                .metricNames(METRICS)
                .eventTime(r -> r.time)
                .options(o -> o.stateTtl(Duration.ofDays(7)))       // forget servers gone for a week
                .name("server-anomalies")                           // the operator's name and uid
                .apply(readings);
    }

    /** A day of readings of three servers (one of which has an incident), its alerts printed. */
    public static void main(String[] args) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        DataStream<ServerReading> readings = env.fromData(TypeInformation.of(ServerReading.class),
                SampleReadings.day().toArray(new ServerReading[0])).setParallelism(1);
        scored(readings)
                .filter(r -> r.alert)
                .map(r -> r.key + " at " + r.event.time + ": " + r.cause.label() + " in " + r.metricName + ", score " + r.score)
                .returns(Types.STRING)
                .print();
        env.execute("server anomalies");
    }
}
