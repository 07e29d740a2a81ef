package io.flinkrecurrent.sql;

import io.flinkrecurrent.cell.Kernels;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.Scratch;
import io.flinkrecurrent.flink.KeyState;
import io.flinkrecurrent.flink.KeyStates;
import io.flinkrecurrent.flink.OperatorMetrics;
import io.flinkrecurrent.flink.RejectedEvent.Reason;
import io.flinkrecurrent.flink.ResetReason;
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
    // per model: the step's buffers, made once
    transient RecurrentModel model;
    transient Scratch scratch;
    transient float[] x;
    transient float[] y;
    transient float[] before;
    transient long fingerprint;

    @Override
    public void open(FunctionContext context) {
        metrics = new OperatorMetrics(context.getMetricGroup());
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
            reader = new RowReader(ctx.tableSemanticsFor("input"), features, resetColumn);
            timed = ordering && ctx.tableSemanticsFor("input").timeColumn() >= 0;
            if (this.model != null) {
                reader.expect(this.model.inputSize());
            }
        }
        if (call == null || !call.sameAs(model, online, resetAfter, idleReset, lateness, maxBuffered, onNonFinite, timed)) {
            use(new RecurrentCall(model, online, resetAfter, idleReset, lateness, maxBuffered, onNonFinite, timed));
        }
        if (reader.keyIsNull(input)) {
            error(Reason.NULL_KEY, "the row's PARTITION BY key is NULL");
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
        call = c;
        if (model != c.model) {
            model = c.model;
            scratch = model.newScratch();
            x = new float[model.inputSize()];
            y = new float[model.outputSize()];
            before = new float[model.stateSize()];
            fingerprint = model.fingerprint();
            LOG.info("recurrent SQL function: {} from {} (fingerprint {}), {} floats of state per key, {}, {}",
                    model.describe(), c.modelReference, Long.toHexString(fingerprint), model.stateSize(),
                    c.ordered ? "in event-time order (lateness " + c.latenessMs + " ms, at most " + c.maxBuffered + " rows waiting per key)"
                            : "in arrival order", c.options);
        }
        if (reader != null) {
            reader.expect(model.inputSize());
        }
    }

    /** The key's state from its state entry; a new key's is made. Written back by {@link #step}. */
    final KeyState keyState(MapView<Integer, KeyState> memory) throws Exception {
        KeyState ks = memory.get(0);
        if (ks == null) {
            ks = new KeyState();
            ks.fingerprint = fingerprint;
            metrics.keysCreated.inc();
        }
        return ks;
    }

    /** The key's state stepped with one input, and the output row emitted (or the step refused). */
    final void step(MapView<Integer, KeyState> memory, KeyState ks, float[] x, boolean reset, long ts) throws Exception {
        long now = System.currentTimeMillis();
        KeyStates.prepare(ks, reset, fingerprint, before.length, call.options, ts, now, metrics);
        System.arraycopy(ks.state, 0, before, 0, before.length);
        model.step(y, ks.state, x, scratch);
        if (!Kernels.allFinite(ks.state) || !Kernels.allFinite(y)) {
            if (call.resetOnNonFinite) {
                KeyStates.reset(ks, ResetReason.NON_FINITE, metrics);
            } else {
                System.arraycopy(before, 0, ks.state, 0, before.length);
            }
            memory.put(0, ks);
            error(Reason.NON_FINITE_STATE, "the step made the key's state or the output NaN or infinite (an overflow); "
                    + "the row is not applied and the key " + (call.resetOnNonFinite ? "restarts from zeros" : "keeps its state from before it"));
            return;
        }
        long seq = KeyStates.advance(ks, ts, now);
        memory.put(0, ks);
        metrics.outputs.inc();
        // Flink's own row format: the output's floats in one primitive array (new: the row leaves the function)
        collect(GenericRowData.of(seq, new GenericArrayData(y.clone()), null));
    }

    final void error(Reason reason, String message) {
        metrics.rejected(reason);
        collect(GenericRowData.of(null, null, StringData.fromString(reason.name() + ": " + message)));
    }

}
