package io.flinkrecurrent.bench;

import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.flink.Recurrent;
import io.flinkrecurrent.flink.RecurrentOutput;
import io.flinkrecurrent.model.ModelLoader;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * Issue 13's three cost reproductions, rerun and measured (one thread, the operator in Flink's test
 * harness):
 * <ol>
 *   <li>event-time ordering on RocksDB, events of one key and one timestamp buffered: microseconds
 *       per buffered event at 1,000 and 8,000 of them (the list used to be read and written whole);</li>
 *   <li>1,000,000 events and no watermark: what is buffered, what is rejected, the heap it takes;</li>
 *   <li>micro-batching with one key in every event of a bundle of 32,768 against distinct keys.</li>
 * </ol>
 *
 * <pre>mvn -q -Pbench test-compile exec:exec -Dbench.main=io.flinkrecurrent.bench.Reproductions</pre>
 */
public final class Reproductions {
    public static void main(String[] args) throws Exception {
        RecurrentNetwork model = ModelLoader.load(Path.of(Reproductions.class.getResource("/golden/perf/lstm_i16_h64_l1.safetensors").toURI())).network();
        float[] x = new float[16];
        x[3] = 1;

        System.out.println("1. event-time ordering on RocksDB, one key, one timestamp: cost per buffered event");
        for (int n : new int[] {2_000, 1_000, 8_000, 32_000, 1_000}) { // the first round warms the JIT up and is not printed
            var h = harness(Recurrent.builder(model).options(o -> o.orderByEventTime(Duration.ZERO)), true);
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                h.processElement(new StreamRecord<>(new KeyedEvent("k", x), 1_000L));
            }
            double perEvent = (System.nanoTime() - t0) / 1e3 / n;
            long t1 = System.nanoTime();
            h.processWatermark(new Watermark(2_000));
            double release = (System.nanoTime() - t1) / 1e3 / n;
            if (n != 2_000) {
                System.out.printf(Locale.ROOT, "   %,6d events: %.1f us per event to buffer, %.1f us per event to release and step (%d outputs)%n",
                        n, perEvent, release, h.extractOutputValues().size());
            }
            h.close();
        }

        System.out.println("2. 1,000,000 events over 1,000 keys, no watermark, heap backend, default limits (10,000 a key, 100,000 a subtask)");
        var h = harness(Recurrent.builder(model).options(o -> o.orderByEventTime(Duration.ZERO)), false);
        System.gc();
        long before = usedHeap();
        long rejectedCount = 0;
        String reason = "-";
        for (int i = 0; i < 1_000_000; i++) {
            h.processElement(new StreamRecord<>(new KeyedEvent("k" + i % 1_000, x), i));
            var rejected = h.getSideOutput(Recurrent.REJECTED);
            if (rejected != null && rejected.size() >= 10_000) { // the harness keeps what it collects: counted, dropped
                reason = rejected.peek().getValue().reason.toString();
                rejectedCount += rejected.size();
                rejected.clear();
            }
        }
        var rest = h.getSideOutput(Recurrent.REJECTED);
        rejectedCount += rest == null ? 0 : rest.size();
        if (rest != null) {
            rest.clear();
        }
        System.gc();
        long after = usedHeap();
        System.out.printf(Locale.ROOT, "   buffered %,d, rejected %,d (%s), outputs %d, heap %+,d MiB (the operator's buffer)%n",
                1_000_000 - rejectedCount, rejectedCount, reason, h.extractOutputValues().size(), (after - before) >> 20);
        h.close();

        System.out.println("3. micro-batching, bundles of 32,768: one key in every event against distinct keys");
        for (boolean oneKey : new boolean[] {false, true}) {
            var b = harness(Recurrent.builder(model).microBatch(32_768, Duration.ofSeconds(60)), false);
            int n = 3 * 32_768;
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                b.processElement(new StreamRecord<>(new KeyedEvent(oneKey ? "k" : "k" + i, x), i));
            }
            b.endInput();
            double us = (System.nanoTime() - t0) / 1e3 / n;
            System.out.printf(Locale.ROOT, "   %s: %.1f us per event (%d outputs)%n", oneKey ? "one key" : "distinct keys",
                    us, b.extractOutputValues().size());
            b.close();
        }
    }

    static KeyedOneInputStreamOperatorTestHarness<String, KeyedEvent, RecurrentOutput> harness(Recurrent.Builder b, boolean rocksdb)
            throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(b.operator(), Recurrent.keySelector(), Types.STRING);
        if (rocksdb) {
            h.setStateBackend(new EmbeddedRocksDBStateBackend());
        }
        h.setup();
        h.open();
        return h;
    }

    static long usedHeap() {
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }
}
