package io.flinkrecurrent.cell;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Batched matrix products with the JDK's Vector API: one pass over the weights serves four keys
 * (each weight vector loaded once, four fused multiply-adds), the accumulators stay in registers
 * across the whole input. Used by {@link Kernels#gemmTAcc} when the JVM runs with
 * {@code --add-modules jdk.incubator.vector}; this class is loaded only then.
 */
final class VectorKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private VectorKernels() {}

    /**
     * Four keys per pass over the weights, two row blocks at a time: eight accumulators in
     * registers (enough independent fused multiply-adds to hide their latency), each weight
     * vector loaded once for four keys, each broadcast input used for two row blocks.
     * {@code // W @ xs[b..b+4) -> out[b..b+4) (+=)}
     */
    static void gemvTAcc4(float[][] out, int b, float[][] wt, float[][] xs, int xOff, int rows) {
        final int cols = wt.length;
        final float[] x0 = xs[b];
        final float[] x1 = xs[b + 1];
        final float[] x2 = xs[b + 2];
        final float[] x3 = xs[b + 3];
        final float[] o0 = out[b];
        final float[] o1 = out[b + 1];
        final float[] o2 = out[b + 2];
        final float[] o3 = out[b + 3];
        final int bound2 = rows - rows % (2 * L);
        int r = 0;
        for (; r < bound2; r += 2 * L) {
            final int s = r + L;
            FloatVector a0 = FloatVector.fromArray(S, o0, r);
            FloatVector a1 = FloatVector.fromArray(S, o1, r);
            FloatVector a2 = FloatVector.fromArray(S, o2, r);
            FloatVector a3 = FloatVector.fromArray(S, o3, r);
            FloatVector c0 = FloatVector.fromArray(S, o0, s);
            FloatVector c1 = FloatVector.fromArray(S, o1, s);
            FloatVector c2 = FloatVector.fromArray(S, o2, s);
            FloatVector c3 = FloatVector.fromArray(S, o3, s);
            for (int k = 0; k < cols; k++) {
                final float[] wk = wt[k];
                FloatVector w = FloatVector.fromArray(S, wk, r);
                FloatVector v = FloatVector.fromArray(S, wk, s);
                FloatVector y0 = FloatVector.broadcast(S, x0[xOff + k]);
                FloatVector y1 = FloatVector.broadcast(S, x1[xOff + k]);
                FloatVector y2 = FloatVector.broadcast(S, x2[xOff + k]);
                FloatVector y3 = FloatVector.broadcast(S, x3[xOff + k]);
                a0 = w.fma(y0, a0);
                a1 = w.fma(y1, a1);
                a2 = w.fma(y2, a2);
                a3 = w.fma(y3, a3);
                c0 = v.fma(y0, c0);
                c1 = v.fma(y1, c1);
                c2 = v.fma(y2, c2);
                c3 = v.fma(y3, c3);
            }
            a0.intoArray(o0, r);
            a1.intoArray(o1, r);
            a2.intoArray(o2, r);
            a3.intoArray(o3, r);
            c0.intoArray(o0, s);
            c1.intoArray(o1, s);
            c2.intoArray(o2, s);
            c3.intoArray(o3, s);
        }
        final int bound = S.loopBound(rows);
        for (; r < bound; r += L) { // one row block left
            FloatVector a0 = FloatVector.fromArray(S, o0, r);
            FloatVector a1 = FloatVector.fromArray(S, o1, r);
            FloatVector a2 = FloatVector.fromArray(S, o2, r);
            FloatVector a3 = FloatVector.fromArray(S, o3, r);
            for (int k = 0; k < cols; k++) {
                FloatVector w = FloatVector.fromArray(S, wt[k], r);
                a0 = w.fma(FloatVector.broadcast(S, x0[xOff + k]), a0);
                a1 = w.fma(FloatVector.broadcast(S, x1[xOff + k]), a1);
                a2 = w.fma(FloatVector.broadcast(S, x2[xOff + k]), a2);
                a3 = w.fma(FloatVector.broadcast(S, x3[xOff + k]), a3);
            }
            a0.intoArray(o0, r);
            a1.intoArray(o1, r);
            a2.intoArray(o2, r);
            a3.intoArray(o3, r);
        }
        for (int i = 0; i < 4; i++) {
            tail(out[b + i], wt, xs[b + i], xOff, bound, rows);
        }
    }

    /** Batched: four keys per pass; the last n mod 4 keys one by one with the plain loop. */
    static void gemmTAcc(float[][] out, float[][] wt, float[][] xs, int xOff, int n, int rows) {
        int b = 0;
        for (; b + 3 < n; b += 4) {
            gemvTAcc4(out, b, wt, xs, xOff, rows);
        }
        for (; b < n; b++) {
            Kernels.gemvTAcc(out[b], wt, xs[b], xOff, rows); // one key: the plain loop is the faster
        }
    }

    /** {@code // v[off..off+n) = tanh(v[off..off+n))}, the rational function of {@link Kernels#tanh}, lane by lane */
    static void tanhInPlace(float[] v, int off, int n) {
        final int bound = off + S.loopBound(n);
        int i = off;
        for (; i < bound; i += L) {
            tanh(FloatVector.fromArray(S, v, i)).intoArray(v, i);
        }
        for (; i < off + n; i++) {
            v[i] = Kernels.tanh(v[i]);
        }
    }

    /** {@code // v[off..off+n) = sigmoid(v[off..off+n)) = 0.5 + 0.5 tanh(v / 2)} */
    static void sigmoidInPlace(float[] v, int off, int n) {
        final int bound = off + S.loopBound(n);
        int i = off;
        for (; i < bound; i += L) {
            tanh(FloatVector.fromArray(S, v, i).mul(0.5f)).mul(0.5f).add(0.5f).intoArray(v, i);
        }
        for (; i < off + n; i++) {
            v[i] = Kernels.sigmoid(v[i]);
        }
    }

    /** As {@link Kernels#lstmCell}: the same products and sum, lane by lane (no FMA: equal to the scalar loop). */
    static void lstmCell(float[] c, int cOff, float[] t, float[] gates, int iOff, int fOff, int gOff, int n) {
        final int bound = S.loopBound(n);
        int j = 0;
        for (; j < bound; j += L) {
            FloatVector v = FloatVector.fromArray(S, gates, fOff + j).mul(FloatVector.fromArray(S, c, cOff + j))
                    .add(FloatVector.fromArray(S, gates, iOff + j).mul(FloatVector.fromArray(S, gates, gOff + j)));
            v.intoArray(c, cOff + j);
            v.intoArray(t, j);
        }
        for (; j < n; j++) {
            float v = gates[fOff + j] * c[cOff + j] + gates[iOff + j] * gates[gOff + j];
            c[cOff + j] = v;
            t[j] = v;
        }
    }

    static int lanes() {
        return L;
    }

    /** As {@link Kernels#colsAcc}: L rows at a time, the columns in the same order, mul then add (no FMA). */
    static void colsAcc(float[] out, int oOff, float[] m, int mOff, float[] x, int cols, int n) {
        final int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector acc = FloatVector.fromArray(S, out, oOff + i);
            for (int j = 0; j < cols; j++) {
                acc = acc.add(FloatVector.fromArray(S, m, mOff + j * n + i).mul(x[j]));
            }
            acc.intoArray(out, oOff + i);
        }
        for (; i < n; i++) {
            float acc = out[oOff + i];
            for (int j = 0; j < cols; j++) {
                acc += x[j] * m[mOff + j * n + i];
            }
            out[oOff + i] = acc;
        }
    }

    /** As {@link Kernels#rankOneThenAcc}: L rows at a time, the same roundings. */
    static void rankOneThenAcc(float[] m, int mOff, float a, float[] x, float[] e, float[] out, int oOff,
                               float[] y, int cols, int n) {
        final int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            final FloatVector ev = FloatVector.fromArray(S, e, i);
            FloatVector acc = FloatVector.fromArray(S, out, oOff + i);
            for (int j = 0; j < cols; j++) {
                final int c = mOff + j * n + i;
                final FloatVector v = FloatVector.fromArray(S, m, c).add(ev.mul(a * x[j]));
                v.intoArray(m, c);
                acc = acc.add(v.mul(y[j]));
            }
            acc.intoArray(out, oOff + i);
        }
        for (; i < n; i++) {
            float acc = out[oOff + i];
            for (int j = 0; j < cols; j++) {
                final int c = mOff + j * n + i;
                final float v = m[c] + a * x[j] * e[i];
                m[c] = v;
                acc += y[j] * v;
            }
            out[oOff + i] = acc;
        }
    }

    /** As {@link Kernels#symRankOneScale}: L columns of a row at a time, the same products in the same order. */
    static void symRankOneScale(float[] m, int mOff, float[] u, float s, float scale, int n) {
        final int bound = S.loopBound(n);
        for (int i = 0; i < n; i++) {
            final int row = mOff + i * n;
            final float ui = u[i];
            int j = 0;
            for (; j < bound; j += L) {
                final FloatVector t = FloatVector.fromArray(S, u, j).mul(ui).mul(s);
                FloatVector.fromArray(S, m, row + j).sub(t).mul(scale).intoArray(m, row + j);
            }
            for (; j < n; j++) {
                m[row + j] = (m[row + j] - ui * u[j] * s) * scale;
            }
        }
    }

    /** As {@link Kernels#mul}. */
    static void mul(float[] dst, int dOff, float[] a, int aOff, float[] b, int bOff, int n) {
        final int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector.fromArray(S, a, aOff + i).mul(FloatVector.fromArray(S, b, bOff + i)).intoArray(dst, dOff + i);
        }
        for (; i < n; i++) {
            dst[dOff + i] = a[aOff + i] * b[bOff + i];
        }
    }

    /** The same operations, in the same order, as {@link Kernels#tanh}. */
    private static FloatVector tanh(FloatVector v) {
        FloatVector x = v.min(7.90531110763549805f).max(-7.90531110763549805f);
        FloatVector x2 = x.mul(x);
        FloatVector p = x2.mul(-2.76076847742355e-16f).add(2.00018790482477e-13f);
        p = p.mul(x2).add(-8.60467152213735e-11f);
        p = p.mul(x2).add(5.12229709037114e-08f);
        p = p.mul(x2).add(1.48572235717979e-05f);
        p = p.mul(x2).add(6.37261928875436e-04f);
        p = p.mul(x2).add(4.89352455891786e-03f);
        FloatVector q = x2.mul(1.19825839466702e-06f).add(1.18534705686654e-04f);
        q = q.mul(x2).add(2.26843463243900e-03f);
        q = q.mul(x2).add(4.89352518554385e-03f);
        return x.mul(p).div(q);
    }

    /** The rows past the last full vector, in scalars. */
    private static void tail(float[] out, float[][] wt, float[] x, int xOff, int from, int rows) {
        for (int r = from; r < rows; r++) {
            float s = 0f;
            for (int k = 0; k < wt.length; k++) {
                s = Math.fma(wt[k][r], x[xOff + k], s);
            }
            out[r] += s;
        }
    }

    /** Whether every value is finite: a vector of lanes at a time, the tail one by one. {@code // a (n) -> all finite?} */
    static boolean allFinite(float[] a) {
        int i = 0;
        final int bound = S.loopBound(a.length);
        // |v| <= MAX_VALUE is false for NaN and for either infinity; one mask test at the end
        jdk.incubator.vector.VectorMask<Float> ok = S.maskAll(true);
        for (; i < bound; i += L) {
            ok = ok.and(FloatVector.fromArray(S, a, i).abs().compare(jdk.incubator.vector.VectorOperators.LE, Float.MAX_VALUE));
        }
        if (!ok.allTrue()) {
            return false;
        }
        for (; i < a.length; i++) {
            if (!Float.isFinite(a[i])) {
                return false;
            }
        }
        return true;
    }
}
