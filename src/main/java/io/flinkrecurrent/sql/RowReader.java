package io.flinkrecurrent.sql;

import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.flink.RejectedEvent.Reason;
import org.apache.flink.table.functions.TableSemantics;
import org.apache.flink.table.types.DataType;
import org.apache.flink.types.ColumnList;
import org.apache.flink.types.Row;

import java.util.List;

/**
 * Reads the model's input out of an input row: the {@code ARRAY} column {@code input}, or the numeric
 * columns the call names in {@code features}; and the key and reset columns. The column positions are
 * found once per function instance, from the table's type; a row is read by position into the
 * caller's buffer.
 */
@Internal
final class RowReader {
    /** The input column's name when the call names no features. */
    static final String INPUT_COLUMN = "input";

    private final int arrayColumn;
    private final int[] featureColumns;
    private final String[] featureNames;
    private final int resetColumn;
    private final int[] keyColumns;
    private int width = -1;
    private Reason reason;

    RowReader(TableSemantics table, ColumnList features, String resetColumnName) {
        List<String> names = DataType.getFieldNames(table.dataType());
        keyColumns = table.partitionByColumns();
        if (features == null || features.getNames().isEmpty()) {
            arrayColumn = column(names, INPUT_COLUMN, "the input column (or name the columns with features => DESCRIPTOR(...))");
            featureColumns = null;
            featureNames = null;
        } else {
            arrayColumn = -1;
            featureNames = features.getNames().toArray(new String[0]);
            featureColumns = new int[featureNames.length];
            for (int i = 0; i < featureNames.length; i++) {
                featureColumns[i] = column(names, featureNames[i], "a feature column");
            }
        }
        resetColumn = resetColumnName == null ? -1 : column(names, resetColumnName, "the reset column");
    }

    private static int column(List<String> names, String name, String what) {
        int i = names.indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException("the input table has no column '" + name + "' (" + what + "); its columns are " + names);
        }
        return i;
    }

    /** The model's input width: every row must give this many values. */
    void expect(int modelInputSize) {
        if (featureColumns != null && featureColumns.length != modelInputSize) {
            throw new IllegalArgumentException("features names " + featureColumns.length + " columns, but the model takes "
                    + modelInputSize + " inputs");
        }
        width = modelInputSize;
    }

    boolean keyIsNull(Row row) {
        for (int k : keyColumns) {
            if (row.getField(k) == null) {
                return true;
            }
        }
        return false;
    }

    /** Whether the row's reset column is TRUE (NULL is not). */
    boolean reset(Row row) {
        return resetColumn >= 0 && Boolean.TRUE.equals(row.getField(resetColumn));
    }

    /** The reason of the last {@link #read} that failed. */
    Reason reason() {
        return reason;
    }

    /** The row's input into {@code x}; null when it is good, else what is wrong (and {@link #reason()} why). */
    String read(float[] x, Row row) {
        if (featureColumns != null) {
            for (int i = 0; i < featureColumns.length; i++) {
                Object v = row.getField(featureColumns[i]);
                if (!(v instanceof Number n)) {
                    return fail(Reason.MISSING_INPUT, "the feature column " + featureNames[i] + " is "
                            + (v == null ? "NULL" : "not a number: " + v));
                }
                x[i] = n.floatValue();
                if (!Float.isFinite(x[i])) {
                    return fail(Reason.NON_FINITE, "the feature column " + featureNames[i] + " is " + v);
                }
            }
            return null;
        }
        Object v = row.getField(arrayColumn);
        if (v == null) {
            return fail(Reason.MISSING_INPUT, "the input column is NULL");
        }
        if (!(v instanceof Object[] a)) { // an ARRAY column reaches a table argument as an array of boxed numbers
            return fail(Reason.MISSING_INPUT, "the input column is not an array of numbers: " + v.getClass().getSimpleName());
        }
        int n = a.length;
        if (n != width) {
            return fail(Reason.INPUT_WIDTH, "the input has " + n + " values, the model takes " + width);
        }
        for (int i = 0; i < n; i++) {
            if (!(a[i] instanceof Number num)) {
                return fail(Reason.MISSING_INPUT, "input[" + i + "] is " + (a[i] == null ? "NULL" : "not a number: " + a[i]));
            }
            x[i] = num.floatValue();
        }
        for (int i = 0; i < n; i++) {
            if (!Float.isFinite(x[i])) {
                return fail(Reason.NON_FINITE, "input[" + i + "] is " + x[i]);
            }
        }
        return null;
    }

    private String fail(Reason r, String message) {
        reason = r;
        return message;
    }
}
