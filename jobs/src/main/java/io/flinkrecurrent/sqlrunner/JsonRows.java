package io.flinkrecurrent.sqlrunner;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.types.Row;

import java.io.IOException;
import java.io.Writer;
import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/**
 * Writes query results as JSON Lines: one object per row, the column names as fields, arrays as JSON
 * arrays, rows as objects, maps as objects, numbers as numbers (a FLOAT as the shortest decimal that
 * reads back to the same float), times as their ISO-8601 text, NULL as null.
 */
public final class JsonRows implements AutoCloseable {
    private final JsonGenerator json;
    private final List<String> columns;

    public JsonRows(Writer out, List<String> columns) throws IOException {
        this.json = new ObjectMapper().getFactory().createGenerator(out);
        this.json.setRootValueSeparator(null);
        this.columns = columns;
    }

    public void write(Row row) throws IOException {
        json.writeStartObject();
        for (int i = 0; i < columns.size(); i++) {
            json.writeFieldName(columns.get(i));
            value(row.getField(i));
        }
        json.writeEndObject();
        json.writeRaw('\n');
    }

    private void value(Object v) throws IOException {
        if (v == null) {
            json.writeNull();
        } else if (v instanceof Float f) {
            json.writeNumber(f);
        } else if (v instanceof Double d) {
            json.writeNumber(d);
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            json.writeNumber(((Number) v).longValue());
        } else if (v instanceof BigDecimal b) {
            json.writeNumber(b);
        } else if (v instanceof Boolean b) {
            json.writeBoolean(b);
        } else if (v instanceof byte[] bytes) {
            json.writeBinary(bytes);
        } else if (v.getClass().isArray()) {
            json.writeStartArray();
            for (int i = 0, n = Array.getLength(v); i < n; i++) {
                value(Array.get(v, i));
            }
            json.writeEndArray();
        } else if (v instanceof Row r) {
            json.writeStartObject();
            var names = r.getFieldNames(true);
            if (names != null) {
                for (String name : names) {
                    json.writeFieldName(name);
                    value(r.getField(name));
                }
            } else {
                for (int i = 0; i < r.getArity(); i++) {
                    json.writeFieldName("f" + i);
                    value(r.getField(i));
                }
            }
            json.writeEndObject();
        } else if (v instanceof Map<?, ?> m) {
            json.writeStartObject();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                json.writeFieldName(String.valueOf(e.getKey()));
                value(e.getValue());
            }
            json.writeEndObject();
        } else {
            json.writeString(v.toString());
        }
    }

    public void flush() throws IOException {
        json.flush();
    }

    @Override
    public void close() throws IOException {
        json.flush();
    }
}
