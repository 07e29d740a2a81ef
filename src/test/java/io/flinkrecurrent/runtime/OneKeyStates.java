package io.flinkrecurrent.runtime;

import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ValueState;

import java.util.ArrayList;
import java.util.List;

/** One key's value and list state in memory, for the collaborators' tests without an operator. */
final class OneKeyStates {
    private OneKeyStates() {}

    static final class Value<T> implements ValueState<T> {
        T value;
        int reads;
        int writes;

        @Override public T value() { reads++; return value; }
        @Override public void update(T v) { writes++; value = v; }
        @Override public void clear() { value = null; }
    }

    static final class List_<T> implements ListState<T> {
        List<T> list;

        @Override public Iterable<T> get() { return list; }
        @Override public void add(T v) { if (list == null) { list = new ArrayList<>(); } list.add(v); }
        @Override public void update(List<T> values) { list = values.isEmpty() ? null : new ArrayList<>(values); }
        @Override public void addAll(List<T> values) { values.forEach(this::add); }
        @Override public void clear() { list = null; }
    }
}
