package io.flinkrecurrent.migration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * One record a scenario's job emits, in a form both the plain engine and the job's sinks produce: what
 * it is ({@code shape}: the stream, key, seq, id, times, versions, reason) and its floats, compared by
 * their bits. {@code expected.jsonl} holds one per line: {@code {"line": shape, "bits": [hex...], "values": [...]}},
 * the values in decimal for the reader only.
 */
public record Out(String shape, float[] values) implements java.io.Serializable {
    /** A record timestamp of none. */
    static String at(Long recordTimestamp) {
        return recordTimestamp == null || recordTimestamp == Long.MIN_VALUE ? "-" : Long.toString(recordTimestamp);
    }

    static String t(long ts) {
        return ts == Long.MIN_VALUE ? "-" : Long.toString(ts);
    }

    /** A {@code RecurrentOutput}, with the record's timestamp ({@code at}). */
    static Out output(String key, long seq, long ts, long id, String version, Long at, float[] y) {
        return new Out("output key=" + key + " seq=" + seq + " id=" + id + " ts=" + t(ts) + " at=" + at(at)
                + " version=" + version, y.clone());
    }

    /** A {@code RejectedEvent}: which event, and why (the reason, not the wording of the message). */
    static Out rejected(String key, long id, String reason, Long at) {
        return new Out("rejected key=" + key + " id=" + id + " reason=" + reason + " at=" + at(at), new float[0]);
    }

    /** A {@code ShadowOutput}: the live output, then the shadow's. */
    static Out shadow(String key, long seq, long ts, String live, float[] y, String shadow, float[] ys, Long at) {
        float[] v = Arrays.copyOf(y, y.length + ys.length);
        System.arraycopy(ys, 0, v, y.length, ys.length);
        return new Out("shadow key=" + key + " seq=" + seq + " ts=" + t(ts) + " at=" + at(at) + " live=" + live + "/"
                + y.length + " shadow=" + shadow + "/" + ys.length, v);
    }

    /** A row of the SQL function: an output ({@code error} null) or an error row (its reason, before the colon). */
    static Out sql(String k, Long seq, float[] y, String errorReason, Long rowtime) {
        return new Out("sql k=" + k + " seq=" + (seq == null ? "null" : seq) + " error=" + errorReason + " rowtime="
                + at(rowtime), y == null ? new float[0] : y.clone());
    }

    /** The line with the floats' bits: equal lines, equal records to the bit. */
    public String line() {
        StringBuilder sb = new StringBuilder(shape).append(" bits=");
        for (int i = 0; i < values.length; i++) {
            sb.append(i == 0 ? "" : ",").append(String.format("%08x", Float.floatToRawIntBits(values[i])));
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return shape + " " + Arrays.toString(values);
    }

    static final Comparator<Out> ORDER = Comparator.comparing(Out::line);

    static void write(Path file, List<Out> outs) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<String> lines = new ArrayList<>();
        for (Out o : outs.stream().sorted(ORDER).toList()) {
            ObjectNode n = json.createObjectNode();
            n.put("line", o.shape);
            var bits = n.putArray("bits");
            var values = n.putArray("values");
            for (float f : o.values) {
                bits.add(String.format("%08x", Float.floatToRawIntBits(f)));
                values.add(f);
            }
            lines.add(json.writeValueAsString(n));
        }
        Files.write(file, lines);
    }

    static List<Out> read(Path file) {
        ObjectMapper json = new ObjectMapper();
        List<Out> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n = json.readTree(line);
                float[] v = new float[n.get("bits").size()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = Float.intBitsToFloat(Integer.parseUnsignedInt(n.get("bits").get(i).asText(), 16));
                }
                out.add(new Out(n.get("line").asText(), v));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return out;
    }

    /**
     * What differs between two multisets of records, or null when they are equal: the records missing
     * from {@code actual} and those it has beyond {@code expected} (a repeat shows as one too many), the
     * first few of each. {@code tolerance} 0 compares bits; above 0, a missing and an extra record of the
     * same shape whose values are that close are taken as one (the Vector API's FMAs only).
     */
    static String diff(List<Out> expected, List<Out> actual, float tolerance) {
        List<Out> missing = new ArrayList<>();
        List<Out> extra = new ArrayList<>();
        List<Out> e = expected.stream().sorted(ORDER).toList();
        List<Out> a = actual.stream().sorted(ORDER).toList();
        int i = 0;
        int j = 0;
        while (i < e.size() || j < a.size()) {
            int c = i == e.size() ? 1 : j == a.size() ? -1 : e.get(i).line().compareTo(a.get(j).line());
            if (c == 0) {
                i++;
                j++;
            } else if (c < 0) {
                missing.add(e.get(i++));
            } else {
                extra.add(a.get(j++));
            }
        }
        if (tolerance > 0) {
            for (var it = missing.iterator(); it.hasNext(); ) {
                Out m = it.next();
                for (var jt = extra.iterator(); jt.hasNext(); ) {
                    Out x = jt.next();
                    if (x.shape.equals(m.shape) && close(m.values, x.values, tolerance)) {
                        it.remove();
                        jt.remove();
                        break;
                    }
                }
            }
        }
        if (missing.isEmpty() && extra.isEmpty()) {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        sb.append(expected.size()).append(" records expected, ").append(actual.size()).append(" emitted; ")
                .append(missing.size()).append(" missing, ").append(extra.size()).append(" not expected (or repeated)");
        append(sb, "missing", missing);
        append(sb, "not expected", extra);
        return sb.toString();
    }

    private static boolean close(float[] x, float[] y, float tolerance) {
        if (x.length != y.length) {
            return false;
        }
        for (int k = 0; k < x.length; k++) {
            if (Math.abs(x[k] - y[k]) > tolerance) {
                return false;
            }
        }
        return true;
    }

    private static void append(StringBuilder sb, String what, List<Out> outs) {
        for (int k = 0; k < Math.min(8, outs.size()); k++) {
            sb.append("\n  ").append(what).append(": ").append(outs.get(k));
        }
        if (outs.size() > 8) {
            sb.append("\n  ... and ").append(outs.size() - 8).append(" more ").append(what);
        }
    }
}
