package io.flinkrecurrent.savepoint;

import io.flinkrecurrent.flink.KeyState;
import io.flinkrecurrent.flink.KeyStateSerializer;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.table.data.RawValueData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.binary.BinaryRowData;

/**
 * The SQL function's state (a Process Table Function's): its key is the PARTITION BY columns as a
 * {@link RowData}, its key state one entry of a map state whose value is {@code RAW(KeyState)}. Kept apart
 * so that the table classes load only for a SQL function's savepoint.
 */
final class SqlKeys {
    private SqlKeys() {}

    /** The key state under the map's one entry (0), as the table runtime stores it (a raw value, or the object). */
    static KeyState keyState(MapState<Object, Object> map) throws Exception {
        Object v = map.get(0);
        if (v == null) {
            for (java.util.Map.Entry<Object, Object> e : map.entries()) {
                v = e.getValue();
                break;
            }
        }
        if (v == null || v instanceof KeyState) {
            return (KeyState) v;
        }
        if (v instanceof RawValueData<?> raw) {
            @SuppressWarnings("unchecked") RawValueData<KeyState> r = (RawValueData<KeyState>) raw;
            return r.toObject(new KeyStateSerializer());
        }
        throw new IllegalStateException("the SQL function's key state holds a " + v.getClass().getName() + ", not a KeyState");
    }

    /** The SQL function's {@code waiting} row's count {@code n} (0 when none wait). */
    static long waitingCount(Object waiting) {
        if (waiting instanceof RowData row && row.getArity() > 0 && !row.isNullAt(0)) {
            return row.getInt(0);
        }
        if (waiting instanceof org.apache.flink.types.Row row && row.getArity() > 0 && row.getField(0) != null) {
            return ((Number) row.getField(0)).longValue();
        }
        return 0;
    }

    /** The PARTITION BY values, comma-separated (a one-column key reads as its value). */
    static String render(Object key) {
        if (!(key instanceof RowData row)) {
            return String.valueOf(key);
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < row.getArity(); i++) {
            if (i > 0) {
                b.append(',');
            }
            if (row.isNullAt(i)) {
                b.append("null");
            } else if (row instanceof BinaryRowData) {
                b.append(guess(row, i));
            } else {
                b.append(row instanceof org.apache.flink.table.data.GenericRowData g ? String.valueOf(g.getField(i)) : guess(row, i));
            }
        }
        return b.toString();
    }

    /** A binary row's field without its type: read as a string when it looks like one, else as a long. */
    private static String guess(RowData row, int i) {
        try {
            String s = row.getString(i).toString();
            if (!s.isEmpty() && s.chars().allMatch(c -> c >= 0x20 && c < 0x7f || Character.isLetterOrDigit(c))) {
                return s;
            }
        } catch (RuntimeException ignored) {
            // not a string
        }
        return String.valueOf(row.getLong(i));
    }
}
