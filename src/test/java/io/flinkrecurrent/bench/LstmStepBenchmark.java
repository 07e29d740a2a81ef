package io.flinkrecurrent.bench;

import io.flinkrecurrent.cell.LstmLayer;
import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.model.ModelLoader;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;

import java.nio.file.Path;
import java.util.Random;

/**
 * One step of the LSTM in golden/perf (input 16, hidden 64, one layer, no head): the project's
 * kernel against the naive triple loop, both single-threaded, in steps per second.
 *
 * <pre>mvn -q -Pbench test-compile exec:exec -Dexec.args='LstmStep'</pre>
 */
public class LstmStepBenchmark extends JmhSettings {
    private static final int INPUTS = 256;

    private RecurrentNetwork net;
    private NaiveLstm naive;
    private float[] state;
    private float[] naiveState;
    private float[] out;
    private io.flinkrecurrent.cell.Scratch scratch;
    private float[][] xs;
    private int i;

    @Setup
    public void setup() throws Exception {
        Path model = Path.of(LstmStepBenchmark.class.getResource("/golden/perf/lstm_i16_h64_l1.safetensors").toURI());
        net = ModelLoader.load(model).network();
        LstmLayer l = (LstmLayer) net.layer(0);
        naive = new NaiveLstm(l.inputSize(), l.hiddenSize(), l.weightIh(), l.weightHh(), l.biasIh(), l.biasHh());
        state = net.newState();
        naiveState = new float[2 * l.hiddenSize()];
        out = new float[net.outputSize()];
        scratch = net.newScratch();
        Random r = new Random(42);
        xs = new float[INPUTS][net.inputSize()];
        for (float[] x : xs) {
            for (int k = 0; k < x.length; k++) {
                x[k] = (float) r.nextGaussian();
            }
        }
    }

    @Benchmark
    public float fused() {
        net.step(out, state, xs[i++ & (INPUTS - 1)], scratch);
        return out[0];
    }

    @Benchmark
    public float naive() {
        naive.step(naiveState, xs[i++ & (INPUTS - 1)]);
        return naiveState[0];
    }
}
