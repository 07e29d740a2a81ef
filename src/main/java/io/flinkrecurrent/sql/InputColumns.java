package io.flinkrecurrent.sql;

import io.flinkrecurrent.annotation.Internal;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.ArrayType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeFamily;
import org.apache.flink.table.types.logical.LogicalTypeRoot;

import java.util.List;

/**
 * The call's columns in its input table, found by name and checked by type, one set of rules and
 * words for the planner ({@link RecurrentTypeInference}, which refuses the query; and the anomaly
 * module's function, which checks its {@code features} with them) and for each
 * function instance ({@link RowReader}, which reads rows by the positions found): the model's input
 * (the {@code ARRAY} column {@value #INPUT_COLUMN} of numbers, or the numeric columns named by
 * {@code features}, as many as the model's inputs) and the {@code BOOLEAN} reset column.
 */
@Internal
public final class InputColumns {
    /** The input column's name when the call names no features. */
    static final String INPUT_COLUMN = "input";

    /** The ARRAY column's position, or -1 with features. */
    final int arrayColumn;
    /** The feature columns' positions and names, or null without features. */
    final int[] featureColumns;
    final String[] featureNames;
    /** The reset column's position, or -1. */
    final int resetColumn;

    private InputColumns(int arrayColumn, int[] featureColumns, String[] featureNames, int resetColumn) {
        this.arrayColumn = arrayColumn;
        this.featureColumns = featureColumns;
        this.featureNames = featureNames;
        this.resetColumn = resetColumn;
    }

    /** What is wrong with the call's columns: a message naming the column and the model. */
    public static final class Problem extends IllegalArgumentException {
        Problem(String message) {
            super(message);
        }
    }

    /**
     * The columns of a table with these fields.
     *
     * @param features the feature columns' names, or null or empty for the {@value #INPUT_COLUMN} column
     * @param resetColumn the reset column's name, or null
     * @param inputSize the model's inputs
     * @param model the model's reference, for the messages
     * @throws Problem when a column is missing or of the wrong type, or the features are not as many as the inputs
     */
    public static InputColumns of(DataType table, List<String> features, String resetColumn, int inputSize, String model) {
        List<String> names = DataType.getFieldNames(table);
        List<DataType> types = DataType.getFieldDataTypes(table);
        int reset = resetColumn == null ? -1 : reset(names, types, resetColumn);
        if (features != null && !features.isEmpty()) {
            if (features.size() != inputSize) {
                throw new Problem("features names " + features.size() + " columns, but the model '" + model + "' takes "
                        + inputSize + " inputs");
            }
            int[] at = new int[features.size()];
            for (int f = 0; f < at.length; f++) {
                String name = features.get(f);
                int i = names.indexOf(name);
                if (i < 0) {
                    throw new Problem("the input table has no feature column '" + name + "'; its columns are " + names);
                }
                if (!numeric(types.get(i).getLogicalType())) {
                    throw new Problem("the feature column '" + name + "' is " + types.get(i) + ", not a number");
                }
                at[f] = i;
            }
            return new InputColumns(-1, at, features.toArray(new String[0]), reset);
        }
        int i = names.indexOf(INPUT_COLUMN);
        if (i < 0) {
            throw new Problem("the input table has no column 'input' (an ARRAY of " + inputSize
                    + " numbers); name the feature columns with features => DESCRIPTOR(...); its columns are " + names);
        }
        LogicalType t = types.get(i).getLogicalType();
        if (!(t instanceof ArrayType a) || !numeric(a.getElementType())) {
            throw new Problem("the column 'input' is " + t + ", not an ARRAY of numbers");
        }
        return new InputColumns(i, null, null, reset);
    }

    private static int reset(List<String> names, List<DataType> types, String r) {
        int i = names.indexOf(r);
        if (i < 0) {
            throw new Problem("the input table has no reset column '" + r + "'; its columns are " + names);
        }
        if (types.get(i).getLogicalType().getTypeRoot() != LogicalTypeRoot.BOOLEAN) {
            throw new Problem("the reset column '" + r + "' is " + types.get(i) + ", not BOOLEAN");
        }
        return i;
    }

    private static boolean numeric(LogicalType t) {
        return t.is(LogicalTypeFamily.NUMERIC);
    }
}
