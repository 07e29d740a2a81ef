package io.flinkrecurrent.sql;

import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.flink.KeyState;
import io.flinkrecurrent.flink.RejectedEvent.Reason;
import io.flinkrecurrent.runtime.Admission;
import io.flinkrecurrent.runtime.KeyStepper;
import io.flinkrecurrent.runtime.OperatorMetrics;
import org.apache.flink.table.api.dataview.MapView;
import org.apache.flink.table.catalog.DataTypeFactory;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.functions.ProcessTableFunction;
import org.apache.flink.table.types.inference.TypeInference;
import org.apache.flink.types.ColumnList;
import org.apache.flink.table.data.GenericArrayData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.types.Row;

import java.time.Duration;
import java.util.Arrays;

/**
 * What the SQL functions share: the call's arguments resolved once per instance, the input read and
 * checked, the key's state stepped as the DataStream operator steps it, rows waiting in event-time
 * order with {@code on_time}, the output or the error row emitted, the operator's metrics. The
 * functions differ in their {@code eval}: {@link RecurrentFunction} can order rows by event time (with
 * timers), {@link RecurrentPassThroughFunction} passes the input's columns through (Flink 2.3 allows
 * that only without timers).
 *
 * <p>A function over another model (the anomaly module's {@code anomaly}) extends this class: its
 * {@code eval} calls {@link #accept} and {@link #stepOrWait}, its {@code onTimer} {@link #release}, and it
 * says through the hooks how its call names a model ({@link #loadModel}), what its output row holds
 * ({@link #output}, {@link #errorRow}, {@link #modelInUse}) and what the planner checks
 * ({@link #typeInference}). The state entries, their names and serializers are this class's, the same
 * for every such function.
 */
@Internal
public abstract class RecurrentFunctionBase extends ProcessTableFunction<RowData> {
    private static final long serialVersionUID = 1L;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RecurrentFunctionBase.class);
    /** The key's state entry's name (also its name in a savepoint). */
    public static final String KEY_STATE = "recurrent";
    /** The state entries of event-time ordering (also their names in a savepoint). */
    public static final String WAITING = "waiting";
    public static final String WAITING_ROWS = "waiting_rows";

    transient OperatorMetrics metrics;
    transient RecurrentCall call;
    transient RowReader reader;
    /** The call has {@code on_time}: rows are applied in event-time order. */
    transient boolean timed;
    /** The admission checks and the per-key step, the DataStream operator's own (one code path). */
    transient Admission admission;
    transient KeyStepper stepper;
    // per model: the input and output buffers, made once
    transient RecurrentModel model;
    transient float[] x;
    transient float[] y;

    @Override
    public void open(FunctionContext context) {
        metrics = new OperatorMetrics(context.getMetricGroup());
        admission = new Admission(Admission.Form.SQL);
    }

    @Override
    public final TypeInference getTypeInference(DataTypeFactory typeFactory) {
        return typeInference(super.getTypeInference(typeFactory));
    }

    /**
     * Hook: the function's type inference from the one Flink extracted from its {@code eval}. By default
     * {@link RecurrentTypeInference#of(TypeInference)}: the {@code model} file, the columns, the options.
     */
    protected TypeInference typeInference(TypeInference extracted) {
        return RecurrentTypeInference.of(extracted);
    }

    /**
     * Hook: the model a call names. {@code reference} is what the function passed to {@link #accept} as
     * the model (for {@code recurrent} the {@code model} argument, a path or URI), {@code online} its
     * {@code online} argument or null. Also called when a key's timer finds its call in the key's state
     * after a restore ({@link RecurrentCall#decode}), so the reference must say all the model depends on.
     */
    protected RecurrentModel loadModel(String reference, String online) {
        return RecurrentCall.model(reference, online);
    }

    /**
     * Hook: the function starts using the model {@code reference} names (at the first row, when the call
     * changes, or at a timer after a restore): a function prepares here what its output rows need.
     */
    protected void modelInUse(String reference, RecurrentModel model) {}

    /**
     * Hook: the output row of a step: by default {@code (seq, output, error)}, the model's output as an
     * {@code ARRAY<FLOAT>}. {@code y} is the function's buffer, overwritten by the next step: a row keeps a copy.
     */
    protected RowData output(long seq, float[] y) {
        // Flink's own row format: the output's floats in one primitive array (new: the row leaves the function)
        return GenericRowData.of(seq, new GenericArrayData(y.clone()), null);
    }

    /** Hook: the row of an input that could not be applied: by default {@code (NULL, NULL, message)}. */
    protected RowData errorRow(StringData message) {
        return GenericRowData.of(null, null, message);
    }

    /**
     * A row arrives: counted, the call resolved (once), the key and the input checked. True when the
     * row's input is in {@link #x}; false when the row was refused (its error row emitted).
     *
     * @param model the model's reference, given to {@link #loadModel}; the same on every row of a call
     * @param ordering whether the function orders rows by event time when the call has {@code on_time}
     */
    protected final boolean accept(Context ctx, Row input, String model, String online, ColumnList features, String resetColumn,
                                   Integer resetAfter, Duration idleReset, Duration lateness, Integer maxBuffered, String onNonFinite,
                                   boolean ordering) {
        metrics.events.inc();
        if (reader == null) {
            timed = ordering && ctx.tableSemanticsFor("input").timeColumn() >= 0;
        }
        if (call == null || !call.sameAs(model, online, resetAfter, idleReset, lateness, maxBuffered, onNonFinite, timed)) {
            use(new RecurrentCall(model, online, resetAfter, idleReset, lateness, maxBuffered, onNonFinite, timed, this::loadModel));
            reader = null;
        }
        if (reader == null) {
            reader = new RowReader(ctx.tableSemanticsFor("input"), features, resetColumn, this.model.inputSize(),
                    call.modelReference);
        }
        if (reader.keyIsNull(input)) {
            error(Reason.NULL_KEY, admission.noKey());
            return false;
        }
        String bad = reader.read(x, input);
        if (bad != null) {
            error(reader.reason(), bad);
            return false;
        }
        return true;
    }

    final void use(RecurrentCall c) {
        boolean newOptions = call == null || call.options != c.options;
        call = c;
        if (newOptions || stepper == null) {
            stepper = new KeyStepper(c.options, metrics, Admission.Form.SQL);
            if (model != null) {
                stepper.use(model, model.fingerprint());
            }
        }
        if (model != c.model) {
            model = c.model;
            stepper.use(model, model.fingerprint());
            x = new float[model.inputSize()];
            y = new float[model.outputSize()];
            modelInUse(c.modelReference, model);
            LOG.info("{} SQL function: {} from {} (fingerprint {}), {} floats of state per key, {}, {}", getClass().getSimpleName(),
                    model.describe(), c.modelReference, Long.toHexString(model.fingerprint()), model.stateSize(),
                    c.ordered ? "in event-time order (lateness " + c.latenessMs + " ms, at most " + c.maxBuffered + " rows waiting per key)"
                            : "in arrival order", c.options);
        }
    }

    /**
     * An accepted row ({@link #accept} answered true): stepped at once, or with {@code on_time} kept in the
     * key's state until the watermark passes its time plus the lateness ({@link #release}).
     *
     * @param waiting with {@code on_time}: the key's count of waiting rows ({@code n}) and its call ({@code call})
     * @param waitingRows with {@code on_time}: the waiting rows by event time, each {@code [reset, x...]}, concatenated
     */
    protected final void stepOrWait(Context ctx, MapView<Integer, KeyState> memory, Row waiting, MapView<Long, float[]> waitingRows,
                                    Row input) throws Exception {
        TimeContext<Long> time = ctx.timeContext(Long.class);
        Long ts = time.time();
        boolean reset = reader.reset(input);
        KeyState ks = keyState(memory);
        if (!call.ordered) {
            step(memory, ks, x, reset, ts == null ? KeyState.NONE : ts);
            return;
        }
        Reason unorderable = Admission.unorderable(ts == null ? KeyState.NONE : ts, ks);
        if (unorderable != null) {
            error(unorderable, admission.unorderableMessage(unorderable, ts == null ? KeyState.NONE : ts, ks, call.latenessMs));
            return;
        }
        Integer n = waiting.getFieldAs("n");
        int count = n == null ? 0 : n;
        String full = admission.bufferFull(count, call.maxBuffered, 0, Long.MAX_VALUE);
        if (full != null) {
            error(Reason.BUFFER_FULL, full + " (max_buffered)");
            return;
        }
        float[] rows = waitingRows.get(ts);
        int width = 1 + x.length;
        float[] more = rows == null ? new float[width] : Arrays.copyOf(rows, rows.length + width);
        int at = more.length - width;
        more[at] = reset ? 1f : 0f;
        System.arraycopy(x, 0, more, at + 1, x.length);
        waitingRows.put(ts, more);
        waiting.setField("n", count + 1);
        if (count == 0) {
            waiting.setField("call", call.encode());
        }
        time.registerOnTime(ts + call.latenessMs);
    }

    /** The watermark passed a time that rows of this key wait for: they are applied, in arrival order. */
    protected final void release(OnTimerContext ctx, MapView<Integer, KeyState> memory, Row waiting, MapView<Long, float[]> waitingRows)
            throws Exception {
        String saved = waiting.getFieldAs("call");
        if (saved == null) {
            return;
        }
        if (call == null || !call.encode().equals(saved)) {
            use(RecurrentCall.decode(saved, this::loadModel)); // after a restore, before any row reached this instance
        }
        long ts = ctx.timeContext(Long.class).time() - call.latenessMs;
        float[] rows = waitingRows.get(ts);
        if (rows == null) {
            return;
        }
        waitingRows.remove(ts);
        int width = 1 + model.inputSize();
        KeyState ks = keyState(memory);
        for (int at = 0; at < rows.length; at += width) {
            System.arraycopy(rows, at + 1, x, 0, x.length);
            step(memory, ks, x, rows[at] != 0f, ts);
        }
        int left = (Integer) waiting.getField("n") - rows.length / width;
        if (left <= 0) {
            ctx.clearState(WAITING);
        } else {
            waiting.setField("n", left);
        }
    }

    /** The key's state from its state entry; a new key's is made. Written back by {@link #step}. */
    final KeyState keyState(MapView<Integer, KeyState> memory) throws Exception {
        KeyState ks = memory.get(0);
        if (ks == null) {
            ks = new KeyState();
            ks.fingerprint = stepper.fingerprint();
            metrics.keysCreated.inc();
        }
        return ks;
    }

    /** The key's state stepped with one input ({@link KeyStepper}), and the output row emitted (or the step refused). */
    final void step(MapView<Integer, KeyState> memory, KeyState ks, float[] x, boolean reset, long ts) throws Exception {
        long now = System.currentTimeMillis();
        stepper.prepare(ks, reset, ts, now);
        long seq = stepper.step(y, ks, x, ts, now);
        memory.put(0, ks);
        if (seq < 0) {
            error(Reason.NON_FINITE_STATE, stepper.refusal());
            return;
        }
        metrics.outputs.inc();
        collect(output(seq, y));
    }

    final void error(Reason reason, String message) {
        metrics.rejected(reason);
        collect(errorRow(StringData.fromString(reason.name() + ": " + message)));
    }

}
