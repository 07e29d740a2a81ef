package io.flinkrecurrent.runtime;

import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.flink.RecurrentOptions;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.base.IntSerializer;

import java.util.ArrayList;
import java.util.List;

/**
 * An operator that starts from its model updates: each key's events wait in keyed state (bounded per
 * key and per subtask) until the first model arrives, then go in their arrival order. State names
 * (in every savepoint, never renamed): {@value #EVENTS}, {@value #COUNT}.
 */
@Internal
public final class AwaitingModel<T> {
    public static final String EVENTS = "recurrent-awaiting";
    public static final String COUNT = "recurrent-awaiting-count";

    private final RecurrentOptions options;
    private ListState<T> events;
    private ValueState<Integer> count;
    private volatile long total;

    public AwaitingModel(RecurrentOptions options) {
        this.options = options;
    }

    public static <T> ListStateDescriptor<T> eventsDescriptor(TypeInformation<T> eventType) {
        return new ListStateDescriptor<>(EVENTS, eventType);
    }

    public static ValueStateDescriptor<Integer> countDescriptor() {
        return new ValueStateDescriptor<>(COUNT, IntSerializer.INSTANCE);
    }

    public void open(ListState<T> events, ValueState<Integer> count) {
        this.events = events;
        this.count = count;
    }

    /** The current key's event waits: null, or why it cannot (the key's or the subtask's limit reached). */
    public String hold(T event) throws Exception {
        Integer n = count.value();
        int c = n == null ? 0 : n;
        if (c >= options.maxBufferedPerKey()) {
            return "no model yet, and the key has " + c + " events waiting for one, its limit";
        }
        if (total >= options.maxBufferedPerSubtask()) {
            return "no model yet, and the subtask has " + total + " events waiting for one, its limit";
        }
        events.add(event);
        count.update(c + 1);
        total++;
        return null;
    }

    /** The current key's waiting events, in arrival order, taken out of the state. */
    public List<T> take() throws Exception {
        List<T> list = new ArrayList<>();
        Iterable<T> waiting = events.get();
        if (waiting != null) {
            waiting.forEach(list::add);
        }
        events.clear();
        count.clear();
        total = Math.max(0, total - list.size());
        return list;
    }

    /** Events waiting in this subtask (the gauge {@code awaitingModel}), counted again after a restore. */
    public long total() {
        return total;
    }

    /** After a restore: the subtask's waiting events, as its keys' counts add up. */
    public void restored(long waiting) {
        total = waiting;
    }

    /** After every key's events went: none wait. */
    public void released() {
        total = 0;
    }
}
