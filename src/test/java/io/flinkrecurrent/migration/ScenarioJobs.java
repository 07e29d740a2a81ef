package io.flinkrecurrent.migration;

import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.flink.ModelUpdate;
import io.flinkrecurrent.flink.Recurrent;
import io.flinkrecurrent.flink.RecurrentOptions;
import io.flinkrecurrent.flink.RecurrentOutput;
import io.flinkrecurrent.flink.RejectedEvent;
import io.flinkrecurrent.flink.ShadowOutput;
import io.flinkrecurrent.model.ModelLoader;
import io.flinkrecurrent.sql.RecurrentFunction;
import io.flinkrecurrent.testing.Gates;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.BasicArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.streaming.api.TimeDomain;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.types.Row;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.TreeSet;

/**
 * A scenario's job, built with the current API, the same in the generator and the migration test: the
 * events from a generator source (uid {@code events}, parallelism 1, its position in the savepoint, so
 * that the restored job goes on with the continuation), the updates likewise (uid {@code model-updates}),
 * the operator or the SQL query, and stateless capturing sinks with uids of their own. Every stateful
 * operator has a uid, so the restore needs no {@code allowNonRestoredState}: a savepoint state the job
 * cannot place fails the restore.
 */
final class ScenarioJobs {
    private ScenarioJobs() {}

    enum Mode {
        /** The generator: the events held before each update and at the savepoint, the updates until their gates open. */
        GENERATE,
        /** The migration test's restored job: to the end of the events, held only before the updates after the savepoint. */
        RESTORE,
        /** A job of the current code that never gets an event (its savepoint shows the state names the code registers). */
        FRESH
    }

    static String eventsGate(String run, int index) {
        return run + "/events@" + index;
    }

    static String updateGate(String run, int k) {
        return run + "/update-" + k;
    }

    /** Builds the scenario's job on {@code env}; what it emits goes to {@link Captured} under {@code run}. */
    static void build(StreamExecutionEnvironment env, Scenario s, List<Scenario.Event> events, String run, Mode mode) {
        if (s.sql()) {
            sql(env, s, events, run, mode);
        } else {
            datastream(env, s, events, run, mode);
        }
    }

    private static RateLimiterStrategy<?> eventHolds(Scenario s, String run, Mode mode) {
        if (mode == Mode.RESTORE) {
            // the restored source counts from its position, the savepoint's: held before each update after it
            TreeSet<Integer> at = new TreeSet<>();
            for (Scenario.Update u : s.updates) {
                if (u.beforeEvent >= s.savepointAt) {
                    at.add(u.beforeEvent);
                }
            }
            return at.isEmpty() ? RateLimiterStrategy.noOp() : Gates.holdAt(
                    at.stream().mapToLong(i -> i - s.savepointAt).toArray(),
                    at.stream().map(i -> eventsGate(run, i)).toArray(String[]::new));
        }
        if (mode == Mode.FRESH) {
            return Gates.holdAt(new long[] {0}, new String[] {eventsGate(run, 0)});
        }
        TreeSet<Integer> at = new TreeSet<>();
        for (Scenario.Update u : s.updates) {
            if (u.beforeEvent < s.savepointAt) {
                at.add(u.beforeEvent);
            }
        }
        at.add(s.savepointAt);
        long[] idx = at.stream().mapToLong(Integer::longValue).toArray();
        String[] names = at.stream().map(i -> eventsGate(run, i)).toArray(String[]::new);
        return Gates.holdAt(idx, names);
    }

    /** Event times from the events; the watermarks each event names, emitted right after it (punctuated). */
    static <T> WatermarkStrategy<T> watermarks(List<Scenario.Event> events, SerializableToLong<T> ids) {
        boolean timed = events.stream().anyMatch(e -> e.ts != null);
        if (!timed) {
            return WatermarkStrategy.noWatermarks();
        }
        long[] ts = new long[events.size()];
        long[] wm = new long[events.size()];
        for (int i = 0; i < ts.length; i++) {
            Scenario.Event e = events.get(i);
            if (e.id != i) {
                throw new IllegalArgumentException("event " + i + " has id " + e.id + ": ids are the events' indexes");
            }
            ts[i] = e.ts == null ? Long.MIN_VALUE : e.ts;
            wm[i] = e.watermark == null ? Long.MIN_VALUE : e.watermark;
        }
        return WatermarkStrategy.<T>forGenerator(c -> new Punctuated<>(wm, ids))
                .withTimestampAssigner((e, previous) -> ts[(int) ids.applyAsLong(e)]);
    }

    interface SerializableToLong<T> extends java.io.Serializable {
        long applyAsLong(T t);
    }

    /** Emits the watermark an event names right after it; nothing periodic, so the watermarks are the script's. */
    static final class Punctuated<T> implements WatermarkGenerator<T> {
        private final long[] watermarks;
        private final SerializableToLong<T> id;

        Punctuated(long[] watermarks, SerializableToLong<T> id) {
            this.watermarks = watermarks;
            this.id = id;
        }

        @Override
        public void onEvent(T event, long eventTimestamp, WatermarkOutput output) {
            long w = watermarks[(int) id.applyAsLong(event)];
            if (w != Long.MIN_VALUE) {
                output.emitWatermark(new Watermark(w));
            }
        }

        @Override
        public void onPeriodicEmit(WatermarkOutput output) {}
    }

    @SuppressWarnings("unchecked")
    private static DataStream<KeyedEvent> events(StreamExecutionEnvironment env, Scenario s, List<Scenario.Event> events,
                                                 String run, Mode mode) {
        Scenario.Event[] all = events.toArray(new Scenario.Event[0]);
        DataGeneratorSource<KeyedEvent> gen = new DataGeneratorSource<>(i -> all[(int) (long) i].toKeyedEvent(), all.length,
                (RateLimiterStrategy<org.apache.flink.api.connector.source.lib.NumberSequenceSource.NumberSequenceSplit>)
                        eventHolds(s, run, mode), TypeInformation.of(KeyedEvent.class));
        return env.fromSource(gen, watermarks(events, e -> e.id), "events").uid("events").setParallelism(1);
    }

    @SuppressWarnings("unchecked")
    private static DataStream<ModelUpdate> updates(StreamExecutionEnvironment env, Scenario s, String run, Mode mode) {
        ModelUpdate[] all = new ModelUpdate[s.updates.size()];
        List<Long> at = new java.util.ArrayList<>();
        List<String> gates = new java.util.ArrayList<>();
        for (int k = 0; k < all.length; k++) {
            Scenario.Update u = s.updates.get(k);
            ModelUpdate m = new ModelUpdate();
            m.kind = ModelUpdate.Kind.valueOf(u.kind);
            m.reference = u.file;
            m.sha256 = u.sha256;
            m.version = u.version;
            m.policy = u.policy == null ? ModelUpdate.Policy.RESET : ModelUpdate.Policy.valueOf(u.policy);
            m.warmUp = u.warmUp;
            all[k] = m;
            boolean before = u.beforeEvent < s.savepointAt;
            if (mode != Mode.RESTORE || !before) {
                // each update held until its gate opens; a restored source counts from the first update after the savepoint
                at.add((long) (mode == Mode.RESTORE ? k - prefixUpdates(s) : k));
                gates.add(updateGate(run, k));
            }
        }
        RateLimiterStrategy<?> holds = at.isEmpty() ? RateLimiterStrategy.noOp()
                : Gates.holdAt(at.stream().mapToLong(Long::longValue).toArray(), gates.toArray(new String[0]));
        DataGeneratorSource<ModelUpdate> gen = new DataGeneratorSource<>(i -> all[(int) (long) i], all.length,
                (RateLimiterStrategy<org.apache.flink.api.connector.source.lib.NumberSequenceSource.NumberSequenceSplit>) holds,
                TypeInformation.of(ModelUpdate.class));
        return env.fromSource(gen, WatermarkStrategy.noWatermarks(), "model-updates").uid("model-updates").setParallelism(1);
    }

    /** The updates sent before the savepoint (they come first in the list). */
    static int prefixUpdates(Scenario s) {
        int n = 0;
        for (int k = 0; k < s.updates.size(); k++) {
            if (s.updates.get(k).beforeEvent < s.savepointAt) {
                if (n != k) {
                    throw new IllegalArgumentException("the updates before the savepoint come first");
                }
                n++;
            }
        }
        return n;
    }

    static void options(RecurrentOptions.Builder o, Scenario.Options s) {
        if (s.microBatch > 1) {
            o.microBatch(s.microBatch, Duration.ofMillis(s.microBatchDelayMs));
        }
        if (s.ordered) {
            o.orderByEventTime(Duration.ofMillis(s.latenessMs));
        }
        if (s.idleGapMs > 0) {
            o.resetWhenIdle(Duration.ofMillis(s.idleGapMs), TimeDomain.valueOf(s.idleDomain == null ? "EVENT_TIME" : s.idleDomain));
        }
        if (s.resetAfterSteps > 0) {
            o.resetAfterSteps(s.resetAfterSteps);
        }
        if (s.keepInputs > 0) {
            o.keepInputs(s.keepInputs);
        }
        if (s.maxBufferedPerKey > 0 || s.maxBufferedPerSubtask > 0) {
            o.bufferLimits(s.maxBufferedPerKey > 0 ? s.maxBufferedPerKey : 10_000,
                    s.maxBufferedPerSubtask > 0 ? s.maxBufferedPerSubtask : 100_000,
                    RecurrentOptions.BufferFullPolicy.valueOf(s.bufferFull == null ? "REJECT" : s.bufferFull));
        }
        if (s.beforeFirstModel != null) {
            o.beforeFirstModel(RecurrentOptions.NoModelPolicy.valueOf(s.beforeFirstModel));
        }
    }

    static boolean swappable(Scenario s) {
        return s.model == null || !s.updates.isEmpty();
    }

    private static void datastream(StreamExecutionEnvironment env, Scenario s, List<Scenario.Event> events, String run, Mode mode) {
        Recurrent.Builder b = s.model == null ? Recurrent.builderAwaitingModel(s.inputSize)
                : Recurrent.builder(ModelLoader.load(Path.of(s.model)).network());
        b.name(s.uid).uid(s.uid).options(o -> options(o, s.options));
        if (s.modelVersion != null) {
            b.modelVersion(s.modelVersion);
        }
        if (swappable(s)) {
            b.updates(updates(env, s, run, mode));
        }
        SingleOutputStreamOperator<RecurrentOutput> out = b.apply(events(env, s, events, run, mode));
        out.sinkTo(Captured.sink(run, (RecurrentOutput o, Long at) ->
                Out.output(o.key, o.seq, o.timestamp, o.id, o.version, at, o.output))).uid("sink-outputs").name("outputs");
        out.getSideOutput(Recurrent.REJECTED).sinkTo(Captured.sink(run, (RejectedEvent r, Long at) ->
                Out.rejected(r.key, r.event == null ? r.id : r.event.id, r.reason.name(), at))).uid("sink-rejected").name("rejected");
        if (swappable(s)) {
            out.getSideOutput(Recurrent.SHADOW).sinkTo(Captured.sink(run, (ShadowOutput o, Long at) ->
                    Out.shadow(o.key, o.seq, o.timestamp, o.liveVersion, o.live, o.shadowVersion, o.shadow, at)))
                    .uid("sink-shadow").name("shadow");
        }
    }

    static final RowTypeInfo ROW = new RowTypeInfo(new TypeInformation<?>[] {Types.STRING,
            BasicArrayTypeInfo.FLOAT_ARRAY_TYPE_INFO, Types.BOOLEAN, Types.LONG}, new String[] {"k", "input", "restart", "id"});

    /** The SQL query over the events as rows {@code (k, input, restart, id)} with their event time as {@code ts}. */
    @SuppressWarnings("unchecked")
    private static void sql(StreamExecutionEnvironment env, Scenario s, List<Scenario.Event> events, String run, Mode mode) {
        Scenario.Event[] all = events.toArray(new Scenario.Event[0]);
        DataGeneratorSource<Row> gen = new DataGeneratorSource<>(i -> {
            Scenario.Event e = all[(int) (long) i];
            Float[] x = new Float[e.input.length];
            for (int j = 0; j < x.length; j++) {
                x[j] = e.input[j];
            }
            return Row.of(e.key, x, e.reset, e.id);
        }, all.length, (RateLimiterStrategy<org.apache.flink.api.connector.source.lib.NumberSequenceSource.NumberSequenceSplit>)
                eventHolds(s, run, mode), ROW);
        DataStream<Row> rows = env.fromSource(gen, watermarks(events, r -> (Long) r.getField(3)), "events")
                .uid("events").setParallelism(1);
        StreamTableEnvironment t = StreamTableEnvironment.create(env);
        t.createTemporarySystemFunction(RecurrentFunction.NAME, RecurrentFunction.class);
        t.createTemporaryView("events", t.fromDataStream(rows, Schema.newBuilder()
                .columnByMetadata("ts", DataTypes.TIMESTAMP_LTZ(3), "rowtime")
                .watermark("ts", "SOURCE_WATERMARK()")
                .build()));
        Scenario.Options o = s.options;
        if (o.latenessMs % 1000 != 0) {
            throw new IllegalArgumentException("the SQL scenario's lateness is whole seconds");
        }
        String query = "SELECT k, seq, output, error, rowtime FROM recurrent(input => TABLE events PARTITION BY k, "
                + "model => '" + s.model + "', reset_column => 'restart', uid => '" + s.uid + "'"
                + (o.ordered ? ", on_time => DESCRIPTOR(ts), lateness => INTERVAL '" + o.latenessMs / 1000 + "' SECOND" : "")
                + (o.maxBufferedPerKey > 0 ? ", max_buffered => " + o.maxBufferedPerKey : "") + ")";
        DataStream<Row> out = t.toDataStream(t.sqlQuery(query));
        out.sinkTo(Captured.sink(run, (Row r, Long at) -> {
            String error = (String) r.getField("error");
            Object time = r.getField("rowtime");
            Long rowtime = time == null ? null : ((Instant) time).toEpochMilli();
            Object y = r.getField("output");
            float[] f = null;
            if (y != null) {
                Float[] a = (Float[]) y;
                f = new float[a.length];
                for (int i = 0; i < f.length; i++) {
                    f[i] = a[i];
                }
            }
            return Out.sql((String) r.getField("k"), (Long) r.getField("seq"), f,
                    error == null ? null : error.substring(0, Math.max(0, error.indexOf(':'))), rowtime);
        })).uid("sink-rows").name("rows");
    }

}
