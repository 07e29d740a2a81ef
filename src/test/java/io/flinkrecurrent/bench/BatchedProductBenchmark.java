package io.flinkrecurrent.bench;

import io.flinkrecurrent.cell.Kernels;
import io.flinkrecurrent.cell.LstmLayer;
import io.flinkrecurrent.model.ModelLoader;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;

import java.nio.file.Path;
import java.util.Random;

/**
 * The gate products of one batched step of the LSTM in golden/perf, alone: 256 keys, W_ih (256, 16)
 * and W_hh (256, 64), 256 x 20,480 = 5,242,880 multiply-adds per operation. Multiply the operations
 * per second by that to compare with the core's peak. Run it with the Vector API (the bench profile
 * does) to measure {@code VectorKernels}, without to measure the plain loops.
 *
 * <pre>mvn -q -Pbench test-compile exec:exec -Dexec.args='jmh BatchedProduct'</pre>
 */
public class BatchedProductBenchmark extends JmhSettings {
    static final int KEYS = 256;

    private float[][] wihT;
    private float[][] whhT;
    private float[][] xs;
    private float[][] hs;
    private float[][] gates;

    @Setup
    public void setup() throws Exception {
        Path model = Path.of(BatchedProductBenchmark.class.getResource("/golden/perf/lstm_i16_h64_l1.safetensors").toURI());
        LstmLayer l = (LstmLayer) ModelLoader.load(model).network().layer(0);
        int rows = 4 * l.hiddenSize();
        wihT = Kernels.columns(l.weightIh(), rows, l.inputSize());
        whhT = Kernels.columns(l.weightHh(), rows, l.hiddenSize());
        Random r = new Random(42);
        xs = new float[KEYS][l.inputSize()];
        hs = new float[KEYS][2 * l.hiddenSize()];
        gates = new float[KEYS][rows];
        for (int b = 0; b < KEYS; b++) {
            for (int k = 0; k < xs[b].length; k++) {
                xs[b][k] = (float) r.nextGaussian();
            }
            for (int k = 0; k < l.hiddenSize(); k++) {
                hs[b][k] = (float) Math.tanh(r.nextGaussian());
            }
        }
    }

    @Benchmark
    public float gateProducts() {
        int rows = gates[0].length;
        Kernels.gemmTAcc(gates, wihT, xs, 0, KEYS, rows);
        Kernels.gemmTAcc(gates, whhT, hs, 0, KEYS, rows);
        return gates[KEYS - 1][rows - 1];
    }
}
