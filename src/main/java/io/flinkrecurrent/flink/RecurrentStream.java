package io.flinkrecurrent.flink;

import io.flinkrecurrent.annotation.PublicEvolving;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.util.OutputTag;

/**
 * The typed operator's results, a {@link SingleOutputStreamOperator} like any other, plus the events
 * it did not apply: {@link #rejected()}, as the user's own type with the reason.
 *
 * @param <T> the user's event
 * @param <R> the result
 */
@PublicEvolving
public final class RecurrentStream<T, R> extends SingleOutputStreamOperator<R> {
    private final OutputTag<Rejected<T>> tag;
    private final SingleOutputStreamOperator<T> keyCheck;

    RecurrentStream(SingleOutputStreamOperator<R> operator, OutputTag<Rejected<T>> tag,
                    SingleOutputStreamOperator<T> keyCheck) {
        super(operator.getExecutionEnvironment(), operator.getTransformation());
        this.tag = tag;
        this.keyCheck = keyCheck;
    }

    /**
     * The events that were not applied, with the reason: a null key, an input the filler refused or
     * that is not finite, and with event-time ordering no timestamp or too late.
     */
    public DataStream<Rejected<T>> rejected() {
        return keyCheck.getSideOutput(tag).union(getSideOutput(tag));
    }

    /** With model updates: the shadow model's outputs beside the live ones. */
    public DataStream<ShadowOutput> shadow() {
        return getSideOutput(Recurrent.SHADOW);
    }

    /** With model updates: the updates a subtask refused, with the reason. */
    public DataStream<RejectedUpdate> rejectedUpdates() {
        return getSideOutput(Recurrent.UPDATE_REJECTED);
    }

    /** The side output's tag, for {@link #getSideOutput}. */
    public OutputTag<Rejected<T>> rejectedTag() {
        return tag;
    }
}
