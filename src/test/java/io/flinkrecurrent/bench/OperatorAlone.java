package io.flinkrecurrent.bench;

import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.flink.ModelUpdate;
import io.flinkrecurrent.flink.Recurrent;
import io.flinkrecurrent.model.ModelLoader;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The per-event operator alone in one thread: Flink's test harness, the LSTM of golden/perf, 10,000
 * keys, 1,000,000 events a round, eight rounds; events per second. Without Flink's network threads it
 * shows the operator's own cost with far less noise than the pipelines of {@link Bench}. Arguments:
 * {@code rocksdb} (else the heap backend), {@code updatable} (the swappable operator, no update
 * arriving), {@code keep16} (updatable with {@code keepInputs(16)}). For a build before the operator
 * core (68d0ee7), the same loop runs with {@code new KeyedProcessOperator<>(Recurrent.builder(model).function())}
 * in place of {@code operator()}.
 *
 * <pre>mvn -q -Pbench test-compile exec:exec -Dbench.main=io.flinkrecurrent.bench.OperatorAlone [-Dexec.args='rocksdb keep16']</pre>
 */
public final class OperatorAlone {
    public static void main(String[] args) throws Exception {
        List<String> a = List.of(args);
        boolean rocksdb = a.contains("rocksdb");
        boolean keep = a.contains("keep16");
        boolean updatable = keep || a.contains("updatable");
        RecurrentNetwork model = ModelLoader.load(Path.of(Bench.class.getResource("/golden/perf/lstm_i16_h64_l1.safetensors").toURI())).network();
        Recurrent.Builder b = Recurrent.builder(model);
        if (updatable) {
            b.options(o -> o.keepInputs(keep ? 16 : 0)).updates(StreamExecutionEnvironment.getExecutionEnvironment()
                    .fromData(TypeInformation.of(ModelUpdate.class), ModelUpdate.stopShadow()));
        }
        var h = new KeyedOneInputStreamOperatorTestHarness<>(b.operator(), Recurrent.keySelector(), Types.STRING);
        if (rocksdb) {
            h.setStateBackend(new EmbeddedRocksDBStateBackend());
        }
        h.setup();
        h.open();
        KeyedEvent[] events = new KeyedEvent[10_000];
        for (int i = 0; i < events.length; i++) {
            float[] x = new float[16];
            x[i % 16] = 1;
            events[i] = new KeyedEvent("key-" + i, x);
        }
        StreamRecord<KeyedEvent> rec = new StreamRecord<>(null);
        String what = (rocksdb ? "rocksdb" : "heap") + (keep ? ", updatable, keepInputs(16)" : updatable ? ", updatable" : "");
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
            System.out.printf(Locale.ROOT, "operator alone (%s), round %d %.0f events/s%n", what, run, n / s);
        }
        h.close();
    }
}
