package io.flinkrecurrent.metrics;

import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.flink.ModelUpdate;
import io.flinkrecurrent.flink.ModelUpdates;
import io.flinkrecurrent.flink.Recurrent;
import io.flinkrecurrent.flink.RecurrentOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

import java.time.Duration;

/**
 * The operator's metrics that none of the job jar's jobs has: a recurrent operator that orders its
 * events by event time ({@code bufferedEvents}, {@code watermarkLagMs}, rejections {@code late}) and
 * starts without a model, its events waiting for the first one from a watched folder
 * ({@code awaitingModel}). Packed by {@link PrometheusDashboardIT} with the job jar's classes into a jar
 * submitted to the cluster; its main runs in the JobManager, as {@code JobMain} does.
 *
 * <p>Arguments: the folder watched for models, the model's input size, events per second.
 */
public final class OrderedAwaitingJob {
    public static final String NAME = "ordered_awaiting"; // Prometheus label values keep [a-zA-Z0-9:_] only (the reporter writes a - as _)
    public static final String OPERATOR = "ordered";
    static final long START = 1_700_000_000_000L;

    private OrderedAwaitingJob() {}

    public static void main(String[] args) throws Exception {
        String folder = args[0];
        int inputSize = Integer.parseInt(args[1]);
        double rate = Double.parseDouble(args[2]);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        DataGeneratorSource<KeyedEvent> source = new DataGeneratorSource<>(new Events(inputSize), Long.MAX_VALUE,
                RateLimiterStrategy.perSecond(rate), TypeInformation.of(KeyedEvent.class));
        DataStream<KeyedEvent> events = env.fromSource(source, WatermarkStrategy.<KeyedEvent>forBoundedOutOfOrderness(Duration.ofMillis(500))
                        .withTimestampAssigner((e, t) -> e.timestamp == KeyedEvent.NO_TIMESTAMP ? START : e.timestamp),
                "events").uid(NAME + "-events").setParallelism(1);
        DataStream<ModelUpdate> updates = env.fromSource(ModelUpdates.watchDirectory(folder, Duration.ofMillis(200),
                ModelUpdate.Policy.RESET, 0), WatermarkStrategy.noWatermarks(), "model-updates").uid(NAME + "-updates").setParallelism(1);
        DataStream<RecurrentOutput> out = Recurrent.builderAwaitingModel(inputSize).name(OPERATOR)
                .orderByEventTime(Duration.ofMillis(100))
                .resetAfterSteps(40)
                .updates(updates)
                .apply(events);
        out.sinkTo(new DiscardingSink<>()).name("discard");
        env.executeAsync(NAME);
    }

    /**
     * Event i: key {@code k<i % 20>} every 10 ms of event time, one in five 300 ms behind (waits for the
     * watermark with the others), and now and then one the operator rejects: a minute late, no input,
     * the wrong width, NaN.
     */
    static final class Events implements GeneratorFunction<Long, KeyedEvent> {
        private final int inputSize;

        Events(int inputSize) {
            this.inputSize = inputSize;
        }

        @Override
        public KeyedEvent map(Long i) {
            float[] x = new float[inputSize];
            x[(int) (i % inputSize)] = 1f;
            long ts = START + i * 10 - (i % 5 == 0 ? 300 : 0);
            if (i % 61 == 60) {
                ts -= 60_000; // behind what its key has applied: LATE
            }
            KeyedEvent e = new KeyedEvent("k" + (i % 20), x, false, ts);
            if (i % 89 == 88) {
                e.input = null; // MISSING_INPUT
            } else if (i % 83 == 82) {
                e.input = new float[inputSize + 1]; // INPUT_WIDTH
            } else if (i % 79 == 78) {
                e.input[0] = Float.NaN; // NON_FINITE
            }
            e.id = i;
            return e;
        }
    }
}
