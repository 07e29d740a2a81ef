package io.flinkrecurrent.cell;

/**
 * The numeric kernels every cell is made of: flat row-major {@code float[]} arrays, output argument
 * first, no allocation, plain loops that HotSpot's C2 compiler turns into SIMD instructions.
 *
 * <p>Weights are stored <em>transposed</em> ({@code wt (cols, rows)}): a matrix-vector product then
 * walks the output vector contiguously for every input element (an axpy per column), which the JIT
 * vectorises, instead of a dot product per row, whose floating-point reduction it may not reorder.
 */
public final class Kernels {
    private Kernels() {}

    /**
     * Accumulates a matrix-vector product: {@code out += W @ x}.
     *
     * <pre>// W (rows, cols) stored as wt (cols, rows) @ x[xOff..xOff+cols) -> out[outOff..outOff+rows) (+=)</pre>
     */
    public static void gemvTAcc(float[] out, int outOff, float[] wt, float[] x, int xOff, int rows, int cols) {
        for (int k = 0; k < cols; k++) {
            final float xk = x[xOff + k];
            if (xk == 0f) {
                continue; // zero state (a key's first event, after a reset) or sparse one-hot input
            }
            final int base = k * rows;
            for (int r = 0; r < rows; r++) {
                out[outOff + r] += wt[base + r] * xk;
            }
        }
    }

    /**
     * Batched accumulating product over B vectors: {@code out[b] += W @ x[b]} for every b.
     *
     * <pre>// W (rows, cols) stored as wt (cols, rows) @ x (B, xStride) -> out (B, outStride) (+=)</pre>
     */
    public static void gemmTAcc(float[] out, int outStride, float[] wt, float[] x, int xStride,
                                int batch, int rows, int cols) {
        for (int b = 0; b < batch; b++) {
            gemvTAcc(out, b * outStride, wt, x, b * xStride, rows, cols);
        }
    }

    /** Transposes a row-major matrix. {@code // w (rows, cols) -> returned (cols, rows)} */
    public static float[] transpose(float[] w, int rows, int cols) {
        float[] t = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = w[r * cols + c];
            }
        }
        return t;
    }

    /** {@code // logistic sigmoid 1 / (1 + exp(-v)), computed in double and rounded once} */
    public static float sigmoid(float v) {
        return (float) (1.0 / (1.0 + Math.exp(-(double) v)));
    }

    /**
     * Hyperbolic tangent through one {@link Math#exp} (an intrinsic; {@link Math#tanh} is not on Java 17).
     * Computed in double and rounded once: within one float ulp of {@code (float) Math.tanh(v)}.
     */
    public static float tanh(float v) {
        if (v > 20f) {
            return 1f;
        }
        if (v < -20f) {
            return -1f;
        }
        if (Math.abs(v) < 0x1p-12f) {
            return v; // tanh(v) = v - v^3/3: the cubic term is below float precision here
        }
        double e = Math.exp(2.0 * v);
        return (float) ((e - 1.0) / (e + 1.0));
    }

    /** {@code // out[off..off+n) = sigmoid(out[off..off+n))} */
    public static void sigmoidInPlace(float[] v, int off, int n) {
        for (int i = off; i < off + n; i++) {
            v[i] = sigmoid(v[i]);
        }
    }

    /** {@code // out[off..off+n) = tanh(out[off..off+n))} */
    public static void tanhInPlace(float[] v, int off, int n) {
        for (int i = off; i < off + n; i++) {
            v[i] = tanh(v[i]);
        }
    }

    /** {@code // out[off..off+n) = max(0, out[off..off+n))} */
    public static void reluInPlace(float[] v, int off, int n) {
        for (int i = off; i < off + n; i++) {
            v[i] = Math.max(0f, v[i]);
        }
    }

    /** Numerically stable softmax over {@code v[off..off+n)}, as torch.softmax: exp(v - max) / sum. */
    public static void softmaxInPlace(float[] v, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = off; i < off + n; i++) {
            max = Math.max(max, v[i]);
        }
        double sum = 0;
        for (int i = off; i < off + n; i++) {
            float e = (float) Math.exp((double) v[i] - max);
            v[i] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int i = off; i < off + n; i++) {
            v[i] *= inv;
        }
    }

    /** {@code // dst[dOff..dOff+n) = a[aOff..) + b[bOff..)} */
    public static void add(float[] dst, int dOff, float[] a, int aOff, float[] b, int bOff, int n) {
        for (int i = 0; i < n; i++) {
            dst[dOff + i] = a[aOff + i] + b[bOff + i];
        }
    }
}
