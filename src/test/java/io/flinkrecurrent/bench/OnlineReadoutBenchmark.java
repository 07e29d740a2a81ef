package io.flinkrecurrent.bench;

import io.flinkrecurrent.cell.OnlineReadout;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.cell.Scratch;
import io.flinkrecurrent.model.ModelLoader;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

import java.nio.file.Path;
import java.util.Random;

/**
 * One step of a per-key {@link OnlineReadout} over the LSTM in golden/perf (input 16, hidden 64), forecasting
 * its 16 inputs, one key, one thread, in steps per second: the LSTM alone ({@code none}), with an NLMS
 * readout and with an RLS one; and the same readouts over a one-input reservoir ({@code d=1}, the anomaly
 * detector's shape: GRU 1 -> 24).
 *
 * <pre>mvn -q -Pbench test-compile exec:exec -Dexec.args='jmh OnlineReadout'</pre>
 */
public class OnlineReadoutBenchmark extends JmhSettings {
    private static final int INPUTS = 256;

    /** none, nlms or rls; with "-d1", over a GRU 1 -> 24 reservoir instead of the LSTM 16 -> 64. */
    @Param({"none", "nlms", "rls", "none-d1", "nlms-d1", "rls-d1"})
    public String readout;

    private RecurrentModel model;
    private float[] state;
    private float[] out;
    private Scratch scratch;
    private float[][] xs;
    private int i;

    @Setup
    public void setup() throws Exception {
        RecurrentNetwork inner;
        if (readout.endsWith("-d1")) {
            inner = RecurrentNetwork.builder(io.flinkrecurrent.cell.CellType.GRU, 1, 24).randomLayer(7, 1f).build();
        } else {
            Path path = Path.of(OnlineReadoutBenchmark.class.getResource("/golden/perf/lstm_i16_h64_l1.safetensors").toURI());
            inner = ModelLoader.load(path).network();
        }
        model = switch (readout.replace("-d1", "")) {
            case "none" -> inner;
            case "nlms" -> OnlineReadout.nlms(inner, 0.5f);
            case "rls" -> OnlineReadout.rls(inner, 0.999f, 1f);
            default -> throw new IllegalArgumentException(readout);
        };
        state = new float[model.stateSize()];
        out = new float[model.outputSize()];
        scratch = model.newScratch();
        Random r = new Random(42);
        xs = new float[INPUTS][model.inputSize()];
        for (int t = 0; t < INPUTS; t++) {
            for (int k = 0; k < xs[t].length; k++) {
                xs[t][k] = (float) Math.sin(0.1 * t + k) + 0.1f * (float) r.nextGaussian();
            }
        }
    }

    @Benchmark
    public float step() {
        model.step(out, state, xs[i++ & (INPUTS - 1)], scratch);
        return out[0];
    }
}
