package io.flinkrecurrent.cell;

/**
 * The numeric kernels every cell is made of: flat {@code float[]} vectors, output argument first, no
 * allocation, plain loops that HotSpot's C2 compiler turns into SIMD instructions.
 *
 * <p>Weights arrive row-major, as PyTorch stores them ({@code w[r * cols + c]}), and are kept by
 * column ({@link #columns}: {@code [cols][rows]}, see {@link #gemvTAcc}): a matrix-vector product then walks the
 * output vector contiguously for every input element (an axpy per column), which the JIT vectorises,
 * instead of a dot product per row, whose floating-point reduction it may not reorder.
 */
@io.flinkrecurrent.annotation.Internal
public final class Kernels {
    /**
     * True when the JDK's Vector API is there ({@code --add-modules jdk.incubator.vector} on the JVM's
     * command line) and not switched off with {@code -Dflinkrecurrent.vector=false}: batched matrix
     * products then run in {@link VectorKernels}. One key's product stays in the plain loop below,
     * which C2 vectorises and which measured faster than the Vector API for a single key.
     */
    public static final boolean VECTOR = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
            && !"false".equals(System.getProperty("flinkrecurrent.vector"));

    private Kernels() {}

    /**
     * Accumulates a matrix-vector product: {@code out += W @ x}.
     *
     * <p>W is held as its columns, {@code wt[k]} = column k (length rows): each input element then adds
     * one contiguous column to the output, four columns per pass so that every load and store of
     * {@code out} serves four multiply-adds. With the output and every column at index 0 of their own
     * arrays, C2 can prove the loop free of overlap and vectorises it (with flat arrays and two
     * different offsets it cannot, and runs it scalar, six times slower).
     *
     * <pre>// W (rows, cols) as columns wt[cols][rows] @ x[xOff..xOff+cols) -> out[0..rows) (+=)</pre>
     */
    public static void gemvTAcc(float[] out, float[][] wt, float[] x, int xOff, int rows) {
        final int cols = wt.length;
        int k = 0;
        for (; k + 3 < cols; k += 4) {
            final float x0 = x[xOff + k];
            final float x1 = x[xOff + k + 1];
            final float x2 = x[xOff + k + 2];
            final float x3 = x[xOff + k + 3];
            if (x0 == 0f && x1 == 0f && x2 == 0f && x3 == 0f) {
                continue; // a zero state (first event, after a reset) or a sparse one-hot input
            }
            final float[] w0 = wt[k];
            final float[] w1 = wt[k + 1];
            final float[] w2 = wt[k + 2];
            final float[] w3 = wt[k + 3];
            for (int r = 0; r < rows; r++) {
                out[r] += w0[r] * x0 + w1[r] * x1 + w2[r] * x2 + w3[r] * x3;
            }
        }
        for (; k < cols; k++) {
            final float xk = x[xOff + k];
            final float[] w = wt[k];
            for (int r = 0; r < rows; r++) {
                out[r] += w[r] * xk;
            }
        }
    }

    /**
     * Batched accumulating product: {@code out[b] += W @ x[b]} for b < n. With the Vector API, four
     * keys per pass over the weights, fused multiply-adds (so within float rounding of, not to the bit
     * equal to, one-by-one products); with plain loops one pass per key (a pass that serves two inputs
     * is 1.45 times faster where C2 can see that the two outputs are distinct arrays, and 4 times
     * slower where it cannot, as here: it then leaves the loop scalar. Measured on Java 17.)
     *
     * <pre>// W (rows, cols) as columns wt[cols][rows] @ xs[b][xOff..xOff+cols) -> out[b][0..rows) (+=), b < n</pre>
     */
    public static void gemmTAcc(float[][] out, float[][] wt, float[][] xs, int xOff, int n, int rows) {
        if (VECTOR) {
            VectorKernels.gemmTAcc(out, wt, xs, xOff, n, rows);
            return;
        }
        for (int b = 0; b < n; b++) {
            gemvTAcc(out[b], wt, xs[b], xOff, rows);
        }
    }

    /** The columns of a row-major matrix. {@code // w (rows, cols) -> columns [cols][rows]} */
    public static float[][] columns(float[] w, int rows, int cols) {
        float[][] t = new float[cols][rows];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c][r] = w[r * cols + c];
            }
        }
        return t;
    }

    /** Back from columns to row-major. {@code // columns [cols][rows] -> w (rows, cols)} */
    public static float[] rowMajor(float[][] columns, int rows) {
        int cols = columns.length;
        float[] w = new float[rows * cols];
        for (int c = 0; c < cols; c++) {
            for (int r = 0; r < rows; r++) {
                w[r * cols + c] = columns[c][r];
            }
        }
        return w;
    }

    /**
     * Hyperbolic tangent as a rational function {@code x P(x^2) / Q(x^2)} on [-7.9, 7.9] and +-1 beyond
     * (the float approximation of Eigen's {@code ptanh_float}). Only multiplies, adds, a division and
     * min/max: no branch and no table, so a loop of it vectorises. Absolute error below 1e-6 (measured
     * in KernelsTest), far inside the 1e-5 tolerance against PyTorch.
     */
    public static float tanh(float v) {
        final float x = Math.max(-7.90531110763549805f, Math.min(7.90531110763549805f, v));
        final float x2 = x * x;
        float p = -2.76076847742355e-16f;
        p = p * x2 + 2.00018790482477e-13f;
        p = p * x2 - 8.60467152213735e-11f;
        p = p * x2 + 5.12229709037114e-08f;
        p = p * x2 + 1.48572235717979e-05f;
        p = p * x2 + 6.37261928875436e-04f;
        p = p * x2 + 4.89352455891786e-03f;
        float q = 1.19825839466702e-06f;
        q = q * x2 + 1.18534705686654e-04f;
        q = q * x2 + 2.26843463243900e-03f;
        q = q * x2 + 4.89352518554385e-03f;
        return x * p / q;
    }

    /** Logistic sigmoid {@code 1 / (1 + exp(-v)) = (1 + tanh(v / 2)) / 2}; absolute error below 1e-6. */
    public static float sigmoid(float v) {
        return 0.5f + 0.5f * tanh(0.5f * v);
    }

    /** {@code // v[off..off+n) = sigmoid(v[off..off+n))} */
    public static void sigmoidInPlace(float[] v, int off, int n) {
        if (VECTOR) {
            VectorKernels.sigmoidInPlace(v, off, n);
            return;
        }
        for (int i = off; i < off + n; i++) {
            v[i] = sigmoid(v[i]);
        }
    }

    /** {@code // v[off..off+n) = tanh(v[off..off+n))} */
    public static void tanhInPlace(float[] v, int off, int n) {
        if (VECTOR) {
            VectorKernels.tanhInPlace(v, off, n);
            return;
        }
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

    /**
     * The LSTM cell update: {@code c = f * c + i * g}, the new c also copied to t (where it becomes
     * tanh(c) next).
     *
     * <pre>// gates i, f, g at iOff, fOff, gOff (n each); c[cOff..+n) -> c, t[0..n)</pre>
     */
    public static void lstmCell(float[] c, int cOff, float[] t, float[] gates, int iOff, int fOff, int gOff, int n) {
        if (VECTOR) {
            VectorKernels.lstmCell(c, cOff, t, gates, iOff, fOff, gOff, n);
            return;
        }
        for (int j = 0; j < n; j++) {
            float v = gates[fOff + j] * c[cOff + j] + gates[iOff + j] * gates[gOff + j];
            c[cOff + j] = v;
            t[j] = v;
        }
    }

    /**
     * Accumulates a product with a matrix kept by columns inside a flat array (a per-key state):
     * {@code out += M x}, column by column. With the Vector API, n lanes at a time, each lane summing
     * its columns in the same order and with the same roundings as this loop (no FMA): equal to the bit.
     *
     * <pre>// M (n, cols) by columns at m[mOff + j n] @ x[0..cols) -> out[oOff..oOff+n) (+=)</pre>
     */
    public static void colsAcc(float[] out, int oOff, float[] m, int mOff, float[] x, int cols, int n) {
        if (VECTOR && n >= VectorKernels.lanes()) {
            VectorKernels.colsAcc(out, oOff, m, mOff, x, cols, n);
            return;
        }
        for (int j = 0; j < cols; j++) {
            final float xj = x[j];
            final int c = mOff + j * n;
            for (int i = 0; i < n; i++) {
                out[oOff + i] += xj * m[c + i];
            }
        }
    }

    /**
     * A rank-one update of a matrix kept by columns, and the product of the updated matrix, in one pass:
     * column j gets {@code (a x[j]) e}, then {@code out += y[j]} times the new column. An online readout's
     * learning step and its next forecast read the weights once. Equal to the bit with the Vector API.
     *
     * <pre>// M (n, cols) by columns at m[mOff + j n] += a e xᵀ, e (n), x (cols); out[oOff..oOff+n) += M' @ y[0..cols)</pre>
     */
    public static void rankOneThenAcc(float[] m, int mOff, float a, float[] x, float[] e, float[] out, int oOff,
                                      float[] y, int cols, int n) {
        if (VECTOR && n >= VectorKernels.lanes()) {
            VectorKernels.rankOneThenAcc(m, mOff, a, x, e, out, oOff, y, cols, n);
            return;
        }
        for (int j = 0; j < cols; j++) {
            final float aj = a * x[j];
            final float yj = y[j];
            final int c = mOff + j * n;
            for (int i = 0; i < n; i++) {
                final float v = m[c + i] + aj * e[i];
                m[c + i] = v;
                out[oOff + i] += yj * v;
            }
        }
    }

    /**
     * {@code M = (M - s u uᵀ) scale} for a symmetric M: every product {@code u[i] u[j]} is formed in the same
     * order for (i, j) and (j, i), so M stays symmetric to the bit (RLS's inverse correlation matrix, which
     * drifts apart otherwise). Equal to the bit with the Vector API.
     *
     * <pre>// M (n, n) at m[mOff..), u (n) -> M</pre>
     */
    public static void symRankOneScale(float[] m, int mOff, float[] u, float s, float scale, int n) {
        if (VECTOR && n >= VectorKernels.lanes()) {
            VectorKernels.symRankOneScale(m, mOff, u, s, scale, n);
            return;
        }
        for (int i = 0; i < n; i++) {
            final int row = mOff + i * n;
            final float ui = u[i];
            for (int j = 0; j < n; j++) {
                m[row + j] = (m[row + j] - ui * u[j] * s) * scale;
            }
        }
    }

    /** {@code // dst[dOff..dOff+n) = a[aOff..) * b[bOff..)} */
    public static void mul(float[] dst, int dOff, float[] a, int aOff, float[] b, int bOff, int n) {
        if (VECTOR) {
            VectorKernels.mul(dst, dOff, a, aOff, b, bOff, n);
            return;
        }
        for (int i = 0; i < n; i++) {
            dst[dOff + i] = a[aOff + i] * b[bOff + i];
        }
    }

    /** {@code // dst[dOff..dOff+n) = a[aOff..) + b[bOff..)} */
    public static void add(float[] dst, int dOff, float[] a, int aOff, float[] b, int bOff, int n) {
        for (int i = 0; i < n; i++) {
            dst[dOff + i] = a[aOff + i] + b[bOff + i];
        }
    }

    /**
     * Whether every value is finite (no NaN, no infinity): with the Vector API a vector at a time;
     * else without a branch per value (a value's exponent bits are all ones exactly when it is not
     * finite). {@code // a (n) -> all finite?}
     */
    public static boolean allFinite(float[] a) {
        if (VECTOR) {
            return VectorKernels.allFinite(a);
        }
        int bad = 0;
        for (float v : a) {
            bad |= ((Float.floatToRawIntBits(v) & 0x7f800000) + 0x00800000) >>> 31;
        }
        return bad == 0;
    }
}
