package io.flinkrecurrent.sql;

import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.flink.RejectedEvent.Reason;
import io.flinkrecurrent.runtime.Admission;
import org.apache.flink.table.functions.TableSemantics;
import org.apache.flink.types.ColumnList;
import org.apache.flink.types.Row;


/**
 * Reads the model's input out of an input row: the {@code ARRAY} column {@code input}, or the numeric
 * columns the call names in {@code features}; and the key and reset columns. The column positions are
 * found once per function instance ({@link InputColumns}, the planner's own rules); a row is read by
 * position into the caller's buffer, its values checked as the DataStream operator checks an event's
 * ({@link Admission#nonFinite}).
 */
@Internal
final class RowReader {
    private final int arrayColumn;
    private final int[] featureColumns;
    private final String[] featureNames;
    private final int resetColumn;
    private final int[] keyColumns;
    private final int width;
    private Reason reason;

    /**
     * The reader of a table's rows for a model of {@code inputSize} inputs ({@code model} its reference).
     *
     * @throws InputColumns.Problem when the columns are not as the call says (the planner refuses such a query first)
     */
    RowReader(TableSemantics table, ColumnList features, String resetColumnName, int inputSize, String model) {
        InputColumns columns = InputColumns.of(table.dataType(), features == null ? null : features.getNames(),
                resetColumnName, inputSize, model);
        arrayColumn = columns.arrayColumn;
        featureColumns = columns.featureColumns;
        featureNames = columns.featureNames;
        resetColumn = columns.resetColumn;
        keyColumns = table.partitionByColumns();
        width = inputSize;
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
        String wrongWidth = Admission.width(n, width);
        if (wrongWidth != null) {
            return fail(Reason.INPUT_WIDTH, wrongWidth);
        }
        for (int i = 0; i < n; i++) {
            if (!(a[i] instanceof Number num)) {
                return fail(Reason.MISSING_INPUT, "input[" + i + "] is " + (a[i] == null ? "NULL" : "not a number: " + a[i]));
            }
            x[i] = num.floatValue();
        }
        String nonFinite = Admission.nonFinite(x);
        return nonFinite == null ? null : fail(Reason.NON_FINITE, nonFinite);
    }

    private String fail(Reason r, String message) {
        reason = r;
        return message;
    }
}
