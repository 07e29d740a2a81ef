package io.flinkrecurrent.jobs;

import io.flinkrecurrent.anomaly.Cause;
import io.flinkrecurrent.anomaly.AnomalyDetector;
import io.flinkrecurrent.anomaly.DetectorParams;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.io.LineParser;
import io.flinkrecurrent.io.NumberedLine;
import io.flinkrecurrent.flink.Recurrent;
import io.flinkrecurrent.flink.RecurrentOutput;
import io.flinkrecurrent.flink.RejectedEvent;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import io.flinkrecurrent.options.Option;
import io.flinkrecurrent.options.ParsedOptions;

import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/**
 * {@code anomaly}: per key (a sensor, a metric), a stream of timestamp,value; per event, an anomaly
 * score in [0, 1] from {@link AnomalyDetector} (a GRU that reads the key's values: the novelty of its
 * hidden state, its forecast error, the value and the recent level against their recent
 * distributions, and values beyond the key's whole range), and what set it ({@link Cause}),
 * all of the key's detector state in Flink managed state.
 */
public final class AnomalyJob implements Jobs.Job {
    public static final String NAME = "anomaly";
    public static final String MODEL = io.flinkrecurrent.anomaly.Forecasters.BUNDLED;
    private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    @Override public String name() { return NAME; }

    /** The forecaster bundled with the anomaly module, on the class path through its jar. */
    @Override public String modelResource() { return MODEL; }

    /** stdout shows only the events scoring this or more. */
    static final Option<Double> ALERT = new Option<>("alert", "T", """
            stdout shows only the events scoring T or more (default: the detector's
            alarms: a z of 12, 15 for the windowed one, or a value beyond the key's range); files and
            Kafka get every score""",
            null, null, t -> {
                try {
                    return Double.parseDouble(t.trim());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("expected a score, got '" + t + "'");
                }
            });

    static final Option<String> DETECTOR = Option.choice("detector", """
            compact: the key's own forecaster, 1,860 floats (7.3 KiB) of state a key; compact-1: the
            compact detector's first version (a savepoint taken with it keeps its keys' states);
            windowed: the detector before them, 28,133 floats a key (docs/nab.md)""",
            "compact", "compact", "compact-1", "windowed");

    @Override public List<Option<?>> options() { return List.of(ALERT, DETECTOR); }

    /** The detector's parameters that {@code --detector} names. */
    static DetectorParams params(ParsedOptions options) {
        return params(options.get(DETECTOR));
    }

    /** The parameters a {@code --detector} choice names. */
    public static DetectorParams params(String detector) {
        return switch (detector) {
            case "windowed" -> DetectorParams.WINDOWED;
            case "compact-1" -> DetectorParams.COMPACT_1;
            default -> DetectorParams.COMPACT;
        };
    }

    @Override
    public String description() {
        return """
                Per key, a stream of timestamp,value; per event, an anomaly score in [0, 1]. Input lines:
                key,timestamp,value (or timestamp,value for one series, key "series") as CSV, or
                {"key":...,"timestamp":"2014-07-01 00:00:00","value":10844} as JSON Lines; timestamps as
                yyyy-MM-dd HH:mm:ss (UTC) or epoch milliseconds. Each key learns its scale in its first 150 rows.
                Each score names what set it: range, error, value, novelty, level-novelty, lasting-novelty
                (none at 0.5 or below).
                """;
    }

    /** The job as a function of streams: one score per event, from the key's earlier events and this one. */
    public static SingleOutputStreamOperator<RecurrentOutput> apply(DataStream<KeyedEvent> points, RecurrentNetwork forecaster,
                                                                    DetectorParams params) {
        return Recurrent.builder(new AnomalyDetector(forecaster, params)).name(NAME).apply(points);
    }

    @Override
    public String generate(long i) {
        // 20 sensors: a daily sine of 288 rows plus noise, and now and then a jump
        long k = i % 20;
        long n = i / 20;
        double v = 50 + 20 * Math.sin(2 * Math.PI * n / 288.0 + k) + ((n * 7919 + k * 104729) % 1000) / 250.0;
        if ((n / 288 + k) % 17 == 16 && n % 288 < 5) {
            v += 60;
        }
        long ts = 1_700_000_000_000L + n * 300_000L;
        return String.format(Locale.ROOT, "sensor-%d,%d,%.3f", k, ts, v);
    }

    @Override
    public Jobs.Outputs build(DataStream<NumberedLine> lines, RecurrentModel model, ParsedOptions options) {
        SingleOutputStreamOperator<KeyedEvent> points = Recurrent.sameParallelism(lines.process(new ParsePoints(),
                TypeInformation.of(KeyedEvent.class)).name("parse").uid(NAME + "-parse"), lines);
        DetectorParams params = params(options);
        SingleOutputStreamOperator<RecurrentOutput> scores = apply(points, (RecurrentNetwork) model, params);
        float alert = options.has(ALERT) ? options.get(ALERT).floatValue() : params.alarmScore();
        DataStream<String> text = scores.filter(o -> o.output[0] >= alert).name("alerts")
                .map(o -> String.format(Locale.ROOT, "%-14s #%-6d %s  score %.4f  ALERT  %s", o.key, o.seq, format(o.timestamp),
                        o.output[0], Cause.of(o.output).label()))
                .returns(String.class).name("text");
        DataStream<String> json = scores.map(o -> String.format(Locale.ROOT,
                "{\"key\":%s,\"seq\":%d,\"timestamp\":%s,\"score\":%s,\"cause\":\"%s\"}", JobJson.quote(o.key), o.seq,
                JobJson.quote(format(o.timestamp)), Float.toString(o.output[0]), Cause.of(o.output).label()))
                .returns(String.class).name("json");
        DataStream<RejectedEvent> rejected = points.getSideOutput(Recurrent.REJECTED).union(scores.getSideOutput(Recurrent.REJECTED));
        return new Jobs.Outputs(text, json, rejected);
    }

    static String format(long ts) {
        return ts == KeyedEvent.NO_TIMESTAMP ? "" : LocalDateTime.ofEpochSecond(Math.floorDiv(ts, 1000), 0, ZoneOffset.UTC).format(TS);
    }

    static long parseTime(String s) {
        String t = s.trim();
        if (!t.isEmpty() && t.chars().allMatch(Character::isDigit)) {
            return Long.parseLong(t);
        }
        try {
            return LocalDateTime.parse(t.length() > 19 ? t.substring(0, 19) : t, TS).toInstant(ZoneOffset.UTC).toEpochMilli();
        } catch (java.time.format.DateTimeParseException e) {
            throw new IllegalArgumentException("timestamp '" + s + "' is neither yyyy-MM-dd HH:mm:ss nor epoch milliseconds");
        }
    }

    /** key,timestamp,value / timestamp,value / JSON to events; bad lines to the side output with the reason. */
    static final class ParsePoints extends LineParser<KeyedEvent> {
        @Override
        protected boolean skip(String t) {
            return t.startsWith("#") || t.startsWith("timestamp,") || t.startsWith("key,");
        }

        @Override
        protected KeyedEvent parse(String t, NumberedLine l) {
            String key;
            String ts;
            String value;
            if (t.startsWith("{")) {
                var n = JobJson.tree(t);
                key = n.path("key").asText("series");
                ts = n.path("timestamp").asText();
                value = n.path("value").asText();
            } else {
                String[] f = t.split(",", -1);
                if (f.length == 3) {
                    key = f[0].trim();
                    ts = f[1];
                    value = f[2];
                } else if (f.length == 2) {
                    key = "series";
                    ts = f[0];
                    value = f[1];
                } else {
                    throw new IllegalArgumentException("expected key,timestamp,value or timestamp,value, got '" + t + "'");
                }
            }
            float v;
            try {
                v = Float.parseFloat(value.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("value '" + value + "' is not a number");
            }
            KeyedEvent e = new KeyedEvent(key, new float[] {v}, false, parseTime(ts));
            e.id = l.line;
            return e;
        }
    }
}
