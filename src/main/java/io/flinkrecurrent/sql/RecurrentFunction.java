package io.flinkrecurrent.sql;

import io.flinkrecurrent.annotation.PublicEvolving;
import io.flinkrecurrent.flink.KeyState;
import org.apache.flink.table.annotation.ArgumentHint;
import org.apache.flink.table.annotation.ArgumentTrait;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.annotation.StateHint;
import org.apache.flink.table.api.dataview.MapView;
import org.apache.flink.types.ColumnList;
import org.apache.flink.table.data.RowData;
import org.apache.flink.types.Row;

import java.time.Duration;

/**
 * Recurrent inference per key in Flink SQL, a Process Table Function: each partition of the input
 * table is a key whose recurrent state lives in Flink managed state, stepped with every row.
 *
 * <pre>{@code
 * SELECT * FROM recurrent(
 *     input => TABLE readings PARTITION BY device_id,
 *     model => 'models/sensor.safetensors',
 *     uid   => 'sensor-rnn')
 * }</pre>
 *
 * <p>Arguments: {@code input} (the table, partitioned by the key columns; its column {@code input},
 * an {@code ARRAY} of numbers, is the model's input, or the numeric columns named by
 * {@code features => DESCRIPTOR(a, b, c)}); {@code model} (a path or URI, read through Flink's file
 * systems); optional {@code reset_column} (a BOOLEAN column: the key's state is zeroed before a row
 * where it is TRUE), {@code reset_after} (zero the state before every (n+1)-th row since the last
 * reset), {@code idle_reset} (an INTERVAL: zero the state of a key idle for longer, in event time with
 * {@code on_time}, else processing time), {@code state_ttl} (an INTERVAL: Flink's state TTL),
 * {@code lateness} and {@code max_buffered} (with {@code on_time}), {@code on_non_finite}
 * ({@code 'reject'} or {@code 'reset'}), {@code online} ({@code 'nlms [mu]'} or {@code 'rls [lambda
 * [delta]]'}: a per-key {@link io.flinkrecurrent.cell.OnlineReadout} over the model, learning from the
 * key's rows; the output is then its error and next forecast); and Flink's own {@code uid} and
 * {@code on_time}.
 *
 * <p>Output: the partition key columns, {@code seq} (the key's count of applied rows, from 0),
 * {@code output} ({@code ARRAY<FLOAT>}), {@code error}, and with {@code on_time} Flink's
 * {@code rowtime}. A row that cannot be applied (a NULL key, a NULL or non-finite value, the wrong
 * width, late beyond {@code lateness}, a full buffer, a step that overflows) gives a row whose
 * {@code seq} and {@code output} are NULL and whose {@code error} is the reason and what is wrong
 * ({@code "INPUT_WIDTH: ..."}, the reasons of {@link io.flinkrecurrent.flink.RejectedEvent.Reason}); the
 * query goes on. Counted in the metrics of the DataStream operator (group {@code recurrent}).
 *
 * <p>With {@code on_time => DESCRIPTOR(ts)}, rows wait in the key's state until the watermark passes
 * their time plus {@code lateness} and are applied in event-time order; an output's {@code rowtime} is
 * then that release time (the row time when {@code lateness} is 0). At most {@code max_buffered} rows
 * wait per key (default 10,000); a row beyond that is refused ({@code BUFFER_FULL}).
 *
 * <p>The key's state is {@link KeyState}, the DataStream operator's, serialized by its
 * {@link io.flinkrecurrent.flink.KeyStateSerializer}: the model's flat float state and its counters,
 * checkpointed, restored from savepoints and rescaled with the key.
 */
@PublicEvolving
@FunctionHint(output = @DataTypeHint(value = "ROW<seq BIGINT, output ARRAY<FLOAT>, error STRING>", bridgedTo = RowData.class))
public class RecurrentFunction extends RecurrentFunctionBase {
    private static final long serialVersionUID = 1L;
    /** The name the SQL runner registers the function under. */
    public static final String NAME = "recurrent";

    /**
     * One row of a key.
     *
     * @param memory the key's {@link KeyState}, the map's one entry (its type is set by {@link RecurrentTypeInference})
     * @param waiting with {@code on_time}: the key's count of waiting rows ({@code n}) and its call ({@code call})
     * @param waitingRows with {@code on_time}: the waiting rows by event time, each {@code [reset, x...]}, concatenated
     */
    public void eval(Context ctx,
                     @StateHint(name = KEY_STATE) MapView<Integer, KeyState> memory,
                     @StateHint(name = WAITING, type = @DataTypeHint("ROW<n INT, call STRING>")) Row waiting,
                     @StateHint(name = WAITING_ROWS) MapView<Long, float[]> waitingRows,
                     @ArgumentHint(value = ArgumentTrait.SET_SEMANTIC_TABLE, name = "input") Row input,
                     @ArgumentHint(name = "model") String model,
                     @ArgumentHint(name = "features", isOptional = true) ColumnList features,
                     @ArgumentHint(name = "reset_column", isOptional = true) String resetColumn,
                     @ArgumentHint(name = "reset_after", isOptional = true) Integer resetAfter,
                     @ArgumentHint(name = "idle_reset", isOptional = true) Duration idleReset,
                     @ArgumentHint(name = "state_ttl", isOptional = true) Duration stateTtl,
                     @ArgumentHint(name = "lateness", isOptional = true) Duration lateness,
                     @ArgumentHint(name = "max_buffered", isOptional = true) Integer maxBuffered,
                     @ArgumentHint(name = "on_non_finite", isOptional = true) String onNonFinite,
                     @ArgumentHint(name = "online", isOptional = true) String online) throws Exception {
        if (accept(ctx, input, model, online, features, resetColumn, resetAfter, idleReset, lateness, maxBuffered, onNonFinite, true)) {
            stepOrWait(ctx, memory, waiting, waitingRows, input);
        }
    }

    /** The watermark passed a time that rows of this key wait for: they are applied, in arrival order. */
    public void onTimer(OnTimerContext ctx, MapView<Integer, KeyState> memory, Row waiting, MapView<Long, float[]> waitingRows)
            throws Exception {
        release(ctx, memory, waiting, waitingRows);
    }
}
