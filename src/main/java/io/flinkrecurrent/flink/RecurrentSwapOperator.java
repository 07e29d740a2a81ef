package io.flinkrecurrent.flink;

import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.cell.RecurrentModel;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * The recurrent operator with a second, broadcast input of {@link ModelUpdate}s: the keyed events on
 * the first, the updates on the second. The updates' watermarks are ignored (a stream of model files
 * has no event time), so the events' watermarks alone drive event time.
 */
@Internal
public final class RecurrentSwapOperator<K, T, R, X> extends RecurrentOperator<K, T, R, X>
        implements TwoInputStreamOperator<T, ModelUpdate, R> {
    private static final long serialVersionUID = 1L;

    public RecurrentSwapOperator(RecurrentModel model, String version, RecurrentOptions options, EventBinding<T, K, R, X> fn) {
        super(model, version, true, options, fn);
    }

    /** An operator that starts without a model: events wait for (or are refused before) the first update. */
    public RecurrentSwapOperator(int inputSize, RecurrentOptions options, EventBinding<T, K, R, X> fn) {
        super(null, inputSize, null, true, options, fn);
    }

    @Override
    public void processElement1(StreamRecord<T> record) throws Exception {
        processElement(record);
    }

    @Override
    public void processElement2(StreamRecord<ModelUpdate> record) throws Exception {
        applyUpdate(record.getValue());
    }

    @Override
    public void processWatermark1(Watermark mark) throws Exception {
        processWatermark(mark);
    }

    @Override
    public void processWatermark2(Watermark mark) {}
}
