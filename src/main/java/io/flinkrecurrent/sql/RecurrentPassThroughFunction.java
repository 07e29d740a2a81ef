package io.flinkrecurrent.sql;

import io.flinkrecurrent.annotation.PublicEvolving;
import io.flinkrecurrent.flink.KeyState;
import org.apache.flink.table.annotation.ArgumentHint;
import org.apache.flink.table.annotation.ArgumentTrait;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.annotation.StateHint;
import org.apache.flink.table.api.dataview.MapView;
import org.apache.flink.table.data.RowData;
import org.apache.flink.types.ColumnList;
import org.apache.flink.types.Row;

import java.time.Duration;

/**
 * {@link RecurrentFunction} with every column of the input row in its output: the input's columns,
 * then {@code seq}, {@code output} and {@code error}. Rows are applied in arrival order: Flink 2.3
 * passes columns through only for functions without timers, which event-time ordering needs (with
 * {@code on_time}, the output also has Flink's {@code rowtime}; {@code idle_reset} counts processing
 * time). The same arguments otherwise (no {@code lateness}, no {@code max_buffered}), the same state,
 * errors and metrics.
 *
 * <pre>{@code
 * SELECT * FROM recurrent_pass_through(
 *     input => TABLE readings PARTITION BY device_id,
 *     model => 'models/sensor.safetensors',
 *     uid   => 'sensor-rnn')
 * }</pre>
 */
@PublicEvolving
@FunctionHint(output = @DataTypeHint(value = "ROW<seq BIGINT, output ARRAY<FLOAT>, error STRING>", bridgedTo = RowData.class))
public class RecurrentPassThroughFunction extends RecurrentFunctionBase {
    private static final long serialVersionUID = 1L;
    /** The name the SQL runner registers the function under. */
    public static final String NAME = "recurrent_pass_through";

    /** One row of a key, applied at once; its columns come out in front of the function's. */
    public void eval(Context ctx,
                     @StateHint(name = KEY_STATE) MapView<Integer, KeyState> memory,
                     @ArgumentHint(value = {ArgumentTrait.SET_SEMANTIC_TABLE, ArgumentTrait.PASS_COLUMNS_THROUGH}, name = "input") Row input,
                     @ArgumentHint(name = "model") String model,
                     @ArgumentHint(name = "features", isOptional = true) ColumnList features,
                     @ArgumentHint(name = "reset_column", isOptional = true) String resetColumn,
                     @ArgumentHint(name = "reset_after", isOptional = true) Integer resetAfter,
                     @ArgumentHint(name = "idle_reset", isOptional = true) Duration idleReset,
                     @ArgumentHint(name = "state_ttl", isOptional = true) Duration stateTtl,
                     @ArgumentHint(name = "on_non_finite", isOptional = true) String onNonFinite,
                     @ArgumentHint(name = "online", isOptional = true) String online) throws Exception {
        Long ts = ctx.timeContext(Long.class).time();
        if (!accept(ctx, input, model, online, features, resetColumn, resetAfter, idleReset, null, null, onNonFinite, false)) {
            return;
        }
        step(memory, keyState(memory), x, reader.reset(input), ts == null ? KeyState.NONE : ts);
    }
}
