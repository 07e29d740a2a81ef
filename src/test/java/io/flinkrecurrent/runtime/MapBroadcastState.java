package io.flinkrecurrent.runtime;

import org.apache.flink.api.common.state.BroadcastState;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/** Broadcast state in a map, for the collaborators' tests without an operator (the harness tests use Flink's). */
final class MapBroadcastState<K, V> implements BroadcastState<K, V> {
    final Map<K, V> map = new LinkedHashMap<>();

    @Override public void put(K key, V value) { map.put(key, value); }
    @Override public void putAll(Map<K, V> all) { map.putAll(all); }
    @Override public void remove(K key) { map.remove(key); }
    @Override public Iterator<Map.Entry<K, V>> iterator() { return map.entrySet().iterator(); }
    @Override public Iterable<Map.Entry<K, V>> entries() { return map.entrySet(); }
    @Override public V get(K key) { return map.get(key); }
    @Override public boolean contains(K key) { return map.containsKey(key); }
    @Override public Iterable<Map.Entry<K, V>> immutableEntries() { return Map.copyOf(map).entrySet(); }
    @Override public void clear() { map.clear(); }
}
