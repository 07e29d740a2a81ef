package io.flinkrecurrent.bench;

import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.flink.Recurrent;
import io.flinkrecurrent.model.ModelLoader;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;

import java.nio.file.Path;
import java.util.Locale;

/**
 * The per-event operator alone in one thread: Flink's test harness, the heap backend, the LSTM of
 * golden/perf, 10,000 keys, 1,000,000 events a round, eight rounds; events per second. Without Flink's
 * network threads it shows the operator's own cost with far less noise than the pipelines of
 * {@link Bench}. For a build before the operator core (68d0ee7), the same loop runs with
 * {@code new KeyedProcessOperator<>(Recurrent.builder(model).function())} in place of {@code operator()}.
 *
 * <pre>mvn -q -Pbench test-compile exec:exec -Dbench.main=io.flinkrecurrent.bench.OperatorAlone</pre>
 */
public final class OperatorAlone {
    public static void main(String[] args) throws Exception {
        RecurrentNetwork model = ModelLoader.load(Path.of(Bench.class.getResource("/golden/perf/lstm_i16_h64_l1.safetensors").toURI())).network();
        Recurrent.Builder b = Recurrent.builder(model);
        var h = new KeyedOneInputStreamOperatorTestHarness<>(b.operator(), Recurrent.keySelector(), Types.STRING);
        h.setup();
        h.open();
        KeyedEvent[] events = new KeyedEvent[10_000];
        for (int i = 0; i < events.length; i++) {
            float[] x = new float[16];
            x[i % 16] = 1;
            events[i] = new KeyedEvent("key-" + i, x);
        }
        StreamRecord<KeyedEvent> rec = new StreamRecord<>(null);
        for (int run = 0; run < 8; run++) {
            long n = 0;
            long t0 = System.nanoTime();
            while (n < 1_000_000) {
                for (KeyedEvent e : events) {
                    h.processElement(rec.replace(e));
                }
                n += events.length;
                h.getOutput().clear();
            }
            double s = (System.nanoTime() - t0) / 1e9;
            System.out.printf(Locale.ROOT, "operator alone, round %d %.0f events/s%n", run, n / s);
        }
        h.close();
    }
}
