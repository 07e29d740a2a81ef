package io.flinkrecurrent.sql;

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

/**
 * What both SQL functions share: the call's arguments resolved once per instance, the input read and
 * checked, the key's state stepped as the DataStream operator steps it, the output or the error row
 * emitted, the operator's metrics. The functions differ in their {@code eval}: {@link RecurrentFunction}
 * can order rows by event time (with timers), {@link RecurrentPassThroughFunction} passes the input's
 * columns through (Flink 2.3 allows that only without timers).
 */
abstract class RecurrentFunctionBase extends ProcessTableFunction<RowData> {
    private static final long serialVersionUID = 1L;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RecurrentFunctionBase.class);
    /** The key's state entry's name (also its name in a savepoint). */
    static final String KEY_STATE = "recurrent";

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
    public TypeInference getTypeInference(DataTypeFactory typeFactory) {
        return RecurrentTypeInference.of(super.getTypeInference(typeFactory));
    }

    /**
     * A row arrives: counted, the call resolved (once), the key and the input checked. True when the
     * row's input is in {@link #x}; false when the row was refused (its error row emitted).
     */
    final boolean accept(Context ctx, Row input, String model, String online, ColumnList features, String resetColumn,
                         Integer resetAfter, Duration idleReset, Duration lateness, Integer maxBuffered, String onNonFinite,
                         boolean ordering) {
        metrics.events.inc();
        if (reader == null) {
            timed = ordering && ctx.tableSemanticsFor("input").timeColumn() >= 0;
        }
        if (call == null || !call.sameAs(model, online, resetAfter, idleReset, lateness, maxBuffered, onNonFinite, timed)) {
            use(new RecurrentCall(model, online, resetAfter, idleReset, lateness, maxBuffered, onNonFinite, timed));
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
            LOG.info("recurrent SQL function: {} from {} (fingerprint {}), {} floats of state per key, {}, {}",
                    model.describe(), c.modelReference, Long.toHexString(model.fingerprint()), model.stateSize(),
                    c.ordered ? "in event-time order (lateness " + c.latenessMs + " ms, at most " + c.maxBuffered + " rows waiting per key)"
                            : "in arrival order", c.options);
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
        // Flink's own row format: the output's floats in one primitive array (new: the row leaves the function)
        collect(GenericRowData.of(seq, new GenericArrayData(y.clone()), null));
    }

    final void error(Reason reason, String message) {
        metrics.rejected(reason);
        collect(GenericRowData.of(null, null, StringData.fromString(reason.name() + ": " + message)));
    }

}
