package io.flinkrecurrent.anomaly.sql;

import io.flinkrecurrent.anomaly.Cause;
import io.flinkrecurrent.anomaly.DetectorModels;
import io.flinkrecurrent.annotation.PublicEvolving;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.flink.KeyState;
import io.flinkrecurrent.sql.InputColumns;
import io.flinkrecurrent.sql.RecurrentFunctionBase;
import io.flinkrecurrent.sql.RecurrentTypeInference;
import org.apache.flink.table.annotation.ArgumentHint;
import org.apache.flink.table.annotation.ArgumentTrait;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.annotation.StateHint;
import org.apache.flink.table.api.dataview.MapView;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.functions.TableSemantics;
import org.apache.flink.table.types.inference.CallContext;
import org.apache.flink.table.types.inference.TypeInference;
import org.apache.flink.types.ColumnList;
import org.apache.flink.types.Row;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Streaming anomaly detection per key in Flink SQL, a Process Table Function: each partition of the
 * input table is a key (a host, a device), its numeric {@code features} columns the key's metrics, and
 * the key's detector state lives in Flink managed state, stepped with every row.
 *
 * <pre>{@code
 * SELECT * FROM anomaly(
 *     input    => TABLE metrics PARTITION BY host,
 *     features => DESCRIPTOR(cpu),
 *     on_time  => DESCRIPTOR(ts),
 *     uid      => 'host-anomalies')
 * }</pre>
 *
 * <p>Arguments: {@code input} (the table, partitioned by the key columns); {@code features} (the numeric
 * columns of the key's metrics); optional {@code threshold} (a row alerts when its score is at least
 * this, in [0, 1], a DOUBLE literal: {@code 0.9e0}; default the detector's alarm score), {@code detector} ({@code 'compact'}, the default,
 * {@code 'compact-1'} or {@code 'windowed'}: the anomaly job's {@code --detector}), {@code forecaster} (the
 * path or URI of a forecaster to use instead of the bundled one), {@code combination} (how several
 * metrics make the key's one z: {@code 'top=3,range_metrics=3'}, the default, the mean of the 3 largest
 * metric z with the range rule from 3 metrics at once, chosen on machines of 19 and 38 metrics; {@code 'max'},
 * the largest, which suits a call of 2 or 3 features that should alert on any one of them), and {@code recurrent}'s
 * {@code idle_reset}, {@code state_ttl}, {@code lateness} and {@code max_buffered}; Flink's own {@code uid}
 * and {@code on_time}. Mistakes (an unknown detector, a threshold outside [0, 1] or not a DOUBLE, a forecaster that cannot
 * be read, a feature column that is missing or not a number) refuse the query when it is planned.
 *
 * <p>Output: the partition key columns, {@code score} (in [0, 1]; 0.5 is neutral), {@code cause} (what set
 * the score: {@link Cause#label()}, {@code none} when nothing stood out), {@code metric} (the feature
 * column that set it, NULL when none), {@code alert} ({@code score >= threshold}), {@code error} (NULL, or
 * why the row could not be scored: a message, unlike the typed API's {@code AnomalyResult.error}, the
 * forecast error), and
 * with {@code on_time} Flink's {@code rowtime}. A row that cannot be applied (a NULL key, a NULL or
 * non-finite metric, late beyond {@code lateness}, a full buffer) gives a row whose {@code score},
 * {@code cause}, {@code metric} and {@code alert} are NULL and whose {@code error} says why, as
 * {@code recurrent}'s; the query goes on.
 *
 * <p>It is {@code recurrent}'s code path over the detector ({@link RecurrentFunctionBase}): the same
 * admission checks, per-key step, event-time ordering, state entries and metrics.
 */
@PublicEvolving
@FunctionHint(output = @DataTypeHint(value = "ROW<score FLOAT, cause STRING, metric STRING, alert BOOLEAN, error STRING>",
        bridgedTo = RowData.class))
public final class AnomalyFunction extends RecurrentFunctionBase {
    private static final long serialVersionUID = 1L;
    /** The name the SQL runner registers the function under. */
    public static final String NAME = "anomaly";
    /**
     * The causes' labels, by ordinal, made once per function instance (every output row carries one): not shared
     * between instances, as a binary string fills in its bytes lazily and is not safe to share between threads.
     */
    private transient StringData[] causes;

    /** The call the arguments of the latest row asked for. */
    private transient AnomalyCall requested;
    /** The call whose detector is stepping, and its metrics' names (made once per call). */
    private transient AnomalyCall inUse;
    private transient StringData[] metricNames;

    /** One row of a key: its metrics checked, then stepped (or, with {@code on_time}, kept until the watermark passes it). */
    public void eval(Context ctx,
                     @StateHint(name = KEY_STATE) MapView<Integer, KeyState> memory,
                     @StateHint(name = WAITING, type = @DataTypeHint("ROW<n INT, call STRING>")) Row waiting,
                     @StateHint(name = WAITING_ROWS) MapView<Long, float[]> waitingRows,
                     @ArgumentHint(value = ArgumentTrait.SET_SEMANTIC_TABLE, name = "input") Row input,
                     @ArgumentHint(name = "features") ColumnList features,
                     @ArgumentHint(name = "threshold", isOptional = true) Double threshold,
                     @ArgumentHint(name = "detector", isOptional = true) String detector,
                     @ArgumentHint(name = "forecaster", isOptional = true) String forecaster,
                     @ArgumentHint(name = "combination", isOptional = true) String combination,
                     @ArgumentHint(name = "idle_reset", isOptional = true) Duration idleReset,
                     @ArgumentHint(name = "state_ttl", isOptional = true) Duration stateTtl,
                     @ArgumentHint(name = "lateness", isOptional = true) Duration lateness,
                     @ArgumentHint(name = "max_buffered", isOptional = true) Integer maxBuffered) throws Exception {
        List<String> names = features.getNames();
        if (requested == null || !requested.sameAs(detector, threshold, forecaster, names, combination)) {
            requested = new AnomalyCall(detector, threshold, forecaster, names, combination);
        }
        if (accept(ctx, input, requested.encode(), null, features, null, null, idleReset, lateness, maxBuffered, null, true)) {
            stepOrWait(ctx, memory, waiting, waitingRows, input);
        }
    }

    /** The watermark passed a time that rows of this key wait for: they are applied, in arrival order. */
    public void onTimer(OnTimerContext ctx, MapView<Integer, KeyState> memory, Row waiting, MapView<Long, float[]> waitingRows)
            throws Exception {
        release(ctx, memory, waiting, waitingRows);
    }

    /** The call of {@code reference} ({@link AnomalyCall#encode()}): the latest row's, or one a timer read from the key's state. */
    private AnomalyCall call(String reference) {
        return requested != null && requested.encode().equals(reference) ? requested : AnomalyCall.decode(reference);
    }

    @Override
    protected RecurrentModel loadModel(String reference, String online) {
        return call(reference).model();
    }

    @Override
    protected void modelInUse(String reference, RecurrentModel model) {
        inUse = call(reference);
        if (causes == null) {
            causes = causes();
        }
        metricNames = new StringData[inUse.features.size()];
        for (int i = 0; i < metricNames.length; i++) {
            metricNames[i] = StringData.fromString(inUse.features.get(i));
        }
    }

    @Override
    protected RowData output(long seq, float[] y) {
        int metric = DetectorModels.metricOf(metricNames.length, y);
        return GenericRowData.of(y[0], causes[Cause.of(y).ordinal()], metric < 0 ? null : metricNames[metric],
                y[0] >= inUse.threshold, null);
    }

    @Override
    protected RowData errorRow(StringData message) {
        return GenericRowData.of(null, null, null, null, message);
    }

    @Override
    protected TypeInference typeInference(TypeInference extracted) {
        return RecurrentTypeInference.of(extracted, NAME, AnomalyFunction::check);
    }

    /** The call's arguments, when the query is planned: the detector's, then the feature columns, then the forecaster. */
    private static void check(CallContext ctx, RecurrentTypeInference.Arguments args) {
        ColumnList features = args.literal(ctx, "features", ColumnList.class, "a DESCRIPTOR of the metric columns");
        AnomalyCall call = new AnomalyCall(
                args.literal(ctx, "detector", String.class, "a string literal ('compact', 'compact-1' or 'windowed')"),
                args.literal(ctx, "threshold", Double.class, "a DOUBLE literal such as 0.9e0 (Flink 2.3 hands a function's DOUBLE "
                        + "argument a DECIMAL literal such as 0.9 unconverted, which fails when the query runs)"),
                args.literal(ctx, "forecaster", String.class, "a string literal (the forecaster's path or URI)"),
                features == null ? null : features.getNames(),
                args.literal(ctx, "combination", String.class, "a string literal ('max' or 'top=K,range_metrics=R')"));
        Optional<TableSemantics> table = ctx.getTableSemantics(args.at("input"));
        if (table.isPresent()) {
            InputColumns.of(table.get().dataType(), call.features, null, call.features.size(), "anomaly");
        }
        call.model();
    }

    private static StringData[] causes() {
        Cause[] all = Cause.values();
        StringData[] labels = new StringData[all.length];
        for (Cause c : all) {
            labels[c.ordinal()] = StringData.fromString(c.label());
        }
        return labels;
    }
}
