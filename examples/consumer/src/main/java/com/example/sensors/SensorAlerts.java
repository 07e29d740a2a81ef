package com.example.sensors;

import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.flink.Recurrent;
import io.flinkrecurrent.flink.RecurrentStream;
import org.apache.flink.streaming.api.datastream.DataStream;

import java.time.Duration;

/** The team's job as a function of streams: each device's readings through a recurrent model. */
public final class SensorAlerts {
    private SensorAlerts() {}

    public static RecurrentStream<Reading, Alert> alerts(DataStream<Reading> readings, RecurrentModel model) {
        return Recurrent.of(model)
                .keyBy(Reading::deviceId)                                  // a Long key
                .input((x, r) -> { x[0] = r.temp; x[1] = r.load; })        // no allocation
                .resetWhen(Reading::isRestart)
                .emit((r, y, ctx) -> new Alert(r, y[0], ctx.seq()), Alert.class)
                .options(o -> o.resetWhenIdle(Duration.ofMinutes(30)))
                .name("sensor-rnn")
                .apply(readings);
    }
}
