package io.flinkrecurrent.cell;

import io.flinkrecurrent.model.ModelLoader;
import io.flinkrecurrent.testing.Golden;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * Stepping n keys as a batch gives what stepping them one by one gives: to the bit with the plain
 * loops, within float rounding (1e-6) with the Vector API's fused multiply-adds.
 */
class BatchStepTest {
    static List<Path> models() {
        return Golden.models();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void batchEqualsOneByOne(Path model) {
        RecurrentNetwork net = ModelLoader.load(model).network();
        Random r = new Random(3);
        int n = 37;
        float[][] states = new float[n][net.stateSize()];
        float[][] single = new float[n][];
        float[][] xs = new float[n][net.inputSize()];
        float[][] outs = new float[n][net.outputSize()];
        Scratch scratch = net.newScratch();
        BatchScratch batch = net.newBatchScratch(64);
        for (int round = 0; round < 5; round++) {
            for (int b = 0; b < n; b++) {
                for (int k = 0; k < xs[b].length; k++) {
                    xs[b][k] = b % 7 == 0 ? 0f : (float) r.nextGaussian(); // some all-zero inputs
                }
                single[b] = states[b].clone();
            }
            net.stepBatch(outs, states, xs, n, batch);
            float[] out = new float[net.outputSize()];
            for (int b = 0; b < n; b++) {
                net.step(out, single[b], xs[b], scratch);
                float tol = Kernels.VECTOR ? 1e-6f : 0f;
                assertArrayEquals(out, outs[b], tol, model.getFileName() + " output of key " + b + ", round " + round);
                assertArrayEquals(single[b], states[b], tol, model.getFileName() + " state of key " + b + ", round " + round);
                states[b] = single[b].clone(); // both continue from the one-by-one state
            }
        }
    }
}
