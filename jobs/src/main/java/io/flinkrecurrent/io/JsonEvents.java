package io.flinkrecurrent.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.io.Writer;

/**
 * Parses events from, and writes results to, JSON Lines. Parsing checks everything a step relies on
 * and says what is wrong with a line in words a user can act on; fields it does not know are ignored.
 */
public final class JsonEvents {
    /** Refuses a field given twice ("input" twice would otherwise silently take the last). */
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    private JsonEvents() {}

    /** A line that is not a usable event; the message names the field and the problem. */
    public static final class MalformedEventException extends Exception {
        public MalformedEventException(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Parses one event line.
     *
     * @param inputSize the width {@code input} must have, or -1 to accept any
     * @throws MalformedEventException naming the field at fault
     */
    public static Event parse(String line, int inputSize) throws MalformedEventException {
        String key = null;
        long seq = -1;
        float[] input = null;
        boolean reset = false;
        try (JsonParser p = JSON.createParser(line)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new MalformedEventException("not a JSON object");
            }
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken v = p.nextToken();
                switch (field) {
                    case "key" -> {
                        if (v == JsonToken.VALUE_STRING || v == JsonToken.VALUE_NUMBER_INT) {
                            key = p.getText();
                        } else if (v == JsonToken.VALUE_NULL) {
                            throw new MalformedEventException("field 'key' is null");
                        } else {
                            throw new MalformedEventException("field 'key' must be a string, got " + describe(v));
                        }
                    }
                    case "seq" -> {
                        if (v == JsonToken.VALUE_NULL) {
                            seq = -1;
                        } else if (v != JsonToken.VALUE_NUMBER_INT || p.getLongValue() < 0) {
                            throw new MalformedEventException("field 'seq' must be a non-negative integer, got "
                                    + (v == JsonToken.VALUE_NUMBER_INT ? p.getText() : describe(v)));
                        } else {
                            seq = p.getLongValue();
                        }
                    }
                    case "input" -> input = parseInput(p, v, inputSize);
                    case "reset" -> {
                        if (v == JsonToken.VALUE_TRUE || v == JsonToken.VALUE_FALSE) {
                            reset = v == JsonToken.VALUE_TRUE;
                        } else if (v != JsonToken.VALUE_NULL) {
                            throw new MalformedEventException("field 'reset' must be true or false, got " + describe(v));
                        }
                    }
                    default -> p.skipChildren();
                }
            }
            if (t != JsonToken.END_OBJECT) {
                throw new MalformedEventException("not a JSON object");
            }
            if (p.nextToken() != null) {
                throw new MalformedEventException("trailing content after the JSON object");
            }
        } catch (JsonProcessingException e) {
            throw new MalformedEventException("invalid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new MalformedEventException("unreadable: " + e.getMessage());
        }
        if (key == null) {
            throw new MalformedEventException("field 'key' is missing");
        }
        if (input == null) {
            throw new MalformedEventException("field 'input' is missing");
        }
        return new Event(key, seq, input, reset);
    }

    private static float[] parseInput(JsonParser p, JsonToken v, int inputSize) throws IOException, MalformedEventException {
        if (v != JsonToken.START_ARRAY) {
            throw new MalformedEventException("field 'input' must be an array of numbers, got " + describe(v));
        }
        float[] buf = new float[inputSize > 0 ? inputSize : 16];
        int n = 0;
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.VALUE_NUMBER_FLOAT && t != JsonToken.VALUE_NUMBER_INT) {
                throw new MalformedEventException("field 'input' element " + n + " is " + describe(t) + ", not a number");
            }
            float f = p.getFloatValue();
            if (!Float.isFinite(f)) {
                throw new MalformedEventException("field 'input' element " + n + " (" + p.getText()
                        + ") is not a finite float32");
            }
            if (n == buf.length) {
                if (inputSize > 0) {
                    skipRest(p);
                    throw new MalformedEventException("field 'input' has more than " + inputSize
                            + " values; the model takes " + inputSize);
                }
                buf = java.util.Arrays.copyOf(buf, n * 2);
            }
            buf[n++] = f;
        }
        if (inputSize > 0 && n != inputSize) {
            throw new MalformedEventException("field 'input' has " + n + " values; the model takes " + inputSize);
        }
        return n == buf.length ? buf : java.util.Arrays.copyOf(buf, n);
    }

    private static void skipRest(JsonParser p) throws IOException {
        while (p.nextToken() != JsonToken.END_ARRAY) {
            p.skipChildren();
        }
    }

    private static String describe(JsonToken t) {
        return switch (t) {
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            case START_ARRAY -> "an array";
            case START_OBJECT -> "an object";
            default -> String.valueOf(t);
        };
    }

    /**
     * Writes one result line: {@code {"key":...,"seq":...,"output":[...],"h":[[...],...],"c":[[...],...]}}.
     *
     * @param h one array per layer
     * @param c one array per layer, or null (not an LSTM)
     */
    public static void writeResult(Writer out, String key, long seq, float[] output, float[][] h, float[][] c)
            throws IOException {
        writeResult(out, key, seq, null, output, h, c);
    }

    /** A result line that names the version of the model that made it (after a control line swapped the model). */
    public static void writeResult(Writer out, String key, long seq, String model, float[] output, float[][] h, float[][] c)
            throws IOException {
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            g.writeStartObject();
            g.writeStringField("key", key);
            g.writeNumberField("seq", seq);
            if (model != null) {
                g.writeStringField("model", model);
            }
            g.writeFieldName("output");
            writeArray(g, output);
            if (h != null) {
                g.writeFieldName("h");
                writeMatrix(g, h);
            }
            if (c != null) {
                g.writeFieldName("c");
                writeMatrix(g, c);
            }
            g.writeEndObject();
        }
        out.write('\n');
    }

    private static void writeMatrix(JsonGenerator g, float[][] m) throws IOException {
        g.writeStartArray();
        for (float[] row : m) {
            writeArray(g, row);
        }
        g.writeEndArray();
    }

    private static void writeArray(JsonGenerator g, float[] v) throws IOException {
        g.writeStartArray();
        for (float f : v) {
            if (!Float.isFinite(f)) { // JSON has no NaN or infinity; the replay rejects such steps before writing
                throw new IllegalArgumentException("a result holds " + f + ", which JSON cannot write");
            }
            g.writeNumber(f);
        }
        g.writeEndArray();
    }
}
