package io.flinkrecurrent.cell;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The kernels against double-precision references. */
class KernelsTest {

    /** The default test run takes the plain loops; the vector-kernels run (see the pom) the Vector API. */
    @Test
    void theExpectedPathIsTaken() {
        assertEquals(Boolean.getBoolean("flinkrecurrent.expect-vector"), Kernels.VECTOR,
                "Vector API path (run with --add-modules jdk.incubator.vector)");
    }

    @Test
    void tanhIsWithinOneMillionthEverywhere() {
        double worst = 0;
        for (double x = -20; x <= 20; x += 1e-4) {
            worst = Math.max(worst, Math.abs(Kernels.tanh((float) x) - Math.tanh((float) x)));
        }
        for (float x : new float[] {0f, -0f, 1e-30f, -1e-8f, 7.9f, 8f, 100f, -1e30f, Float.MAX_VALUE,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            worst = Math.max(worst, Math.abs(Kernels.tanh(x) - Math.tanh(x)));
        }
        assertTrue(worst < 1e-6, "max |tanh error| = " + worst);
        assertTrue(Float.isNaN(Kernels.tanh(Float.NaN)));
    }

    /** The array passes (the Vector API's in the vector-kernels run) compute exactly the scalar functions. */
    @Test
    void arrayPassesEqualTheScalarFunctions() {
        float[] v = new float[1003];
        for (int i = 0; i < v.length; i++) {
            v[i] = (i - 501) / 37f;
        }
        float[] t = v.clone();
        float[] s = v.clone();
        Kernels.tanhInPlace(t, 3, 997);
        Kernels.sigmoidInPlace(s, 3, 997);
        for (int i = 0; i < v.length; i++) {
            boolean in = i >= 3 && i < 1000;
            assertEquals(in ? Kernels.tanh(v[i]) : v[i], t[i], "tanh at " + i);
            assertEquals(in ? Kernels.sigmoid(v[i]) : v[i], s[i], "sigmoid at " + i);
        }
    }

    @Test
    void cellUpdateAndProductEqualTheirScalarFormulas() {
        int n = 37;
        float[] gates = new float[4 * n];
        float[] c = new float[n + 5];
        for (int i = 0; i < gates.length; i++) {
            gates[i] = (float) Math.sin(i * 0.37);
        }
        for (int i = 0; i < c.length; i++) {
            c[i] = (float) Math.cos(i * 0.11);
        }
        float[] c0 = c.clone();
        float[] t = new float[n];
        Kernels.lstmCell(c, 5, t, gates, 0, n, 2 * n, n);
        float[] prod = new float[n + 3];
        Kernels.mul(prod, 3, gates, 3 * n, t, 0, n);
        for (int j = 0; j < n; j++) {
            float want = gates[n + j] * c0[5 + j] + gates[j] * gates[2 * n + j];
            assertEquals(want, c[5 + j], "c at " + j);
            assertEquals(want, t[j], "t at " + j);
            assertEquals(gates[3 * n + j] * want, prod[3 + j], "product at " + j);
        }
    }

    /**
     * The online readout's kernels (the Vector API's in the vector-kernels run) equal their scalar formulas
     * to the bit, for lane counts that do and do not divide the rows, with the matrix inside a larger array.
     */
    @Test
    void readoutKernelsEqualTheirScalarFormulas() {
        Random r = new Random(5);
        for (int n : new int[] {1, 5, 16, 37}) {
            for (int cols : new int[] {3, 25, 65}) {
                int off = 7;
                float[] m = new float[off + n * cols + 3];
                float[] x = new float[cols];
                float[] y = new float[cols];
                float[] e = new float[n];
                for (int i = 0; i < m.length; i++) {
                    m[i] = (float) r.nextGaussian();
                }
                for (int j = 0; j < cols; j++) {
                    x[j] = (float) r.nextGaussian();
                    y[j] = (float) r.nextGaussian();
                }
                for (int i = 0; i < n; i++) {
                    e[i] = (float) r.nextGaussian();
                }
                float[] acc = new float[n + 2];
                acc[2] = 0.25f;
                Kernels.colsAcc(acc, 2, m, off, x, cols, n);
                float[] m2 = m.clone();
                float[] out = new float[2 * n];
                Kernels.rankOneThenAcc(m2, off, 0.3f, x, e, out, n, y, cols, n);
                for (int i = 0; i < n; i++) {
                    float want = i == 0 ? 0.25f : 0f;
                    float next = 0f;
                    for (int j = 0; j < cols; j++) {
                        want += x[j] * m[off + j * n + i];
                        float v = m[off + j * n + i] + 0.3f * x[j] * e[i];
                        assertEquals(v, m2[off + j * n + i], "updated column " + j + " row " + i + ", n " + n);
                        next += y[j] * v;
                    }
                    assertEquals(want, acc[2 + i], "M x at row " + i + ", n " + n + ", cols " + cols);
                    assertEquals(next, out[n + i], "M' y at row " + i + ", n " + n + ", cols " + cols);
                }
                assertEquals(0f, out[0] + acc[0] + acc[1], "nothing outside the output rows");
            }
            // a symmetric M stays symmetric to the bit
            int off = 3;
            float[] p = new float[off + n * n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j <= i; j++) {
                    p[off + i * n + j] = p[off + j * n + i] = (float) r.nextGaussian();
                }
            }
            float[] u = new float[n];
            for (int i = 0; i < n; i++) {
                u[i] = (float) r.nextGaussian();
            }
            float[] before = p.clone();
            Kernels.symRankOneScale(p, off, u, 0.7f, 1.01f, n);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    assertEquals((before[off + i * n + j] - u[i] * u[j] * 0.7f) * 1.01f, p[off + i * n + j], "P at " + i + "," + j);
                    assertEquals(p[off + j * n + i], p[off + i * n + j], "symmetric at " + i + "," + j);
                }
            }
        }
    }

    @Test
    void sigmoidIsWithinOneMillionthEverywhere() {
        double worst = 0;
        for (double x = -40; x <= 40; x += 1e-4) {
            float f = (float) x;
            worst = Math.max(worst, Math.abs(Kernels.sigmoid(f) - 1 / (1 + Math.exp(-(double) f))));
        }
        assertTrue(worst < 1e-6, "max |sigmoid error| = " + worst);
        assertEquals(0.5f, Kernels.sigmoid(0f));
        assertEquals(1f, Kernels.sigmoid(Float.POSITIVE_INFINITY));
        assertEquals(0f, Kernels.sigmoid(Float.NEGATIVE_INFINITY));
    }

    @Test
    void gemvMatchesADoubleProductForAwkwardShapes() {
        Random r = new Random(7);
        for (int[] shape : new int[][] {{1, 1}, {3, 5}, {7, 4}, {64, 13}, {256, 80}, {5, 3}}) {
            int rows = shape[0];
            int cols = shape[1];
            float[] w = new float[rows * cols];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) r.nextGaussian();
            }
            float[] x = new float[cols + 2];
            for (int i = 0; i < x.length; i++) {
                x[i] = i % 3 == 0 ? 0f : (float) r.nextGaussian(); // zeros exercise the skip
            }
            float[] out = new float[rows];
            java.util.Arrays.fill(out, 0.25f);
            Kernels.gemvTAcc(out, Kernels.columns(w, rows, cols), x, 2, rows);
            for (int i = 0; i < rows; i++) {
                double want = 0.25;
                for (int k = 0; k < cols; k++) {
                    want += (double) w[i * cols + k] * x[2 + k];
                }
                assertEquals(want, out[i], 1e-5 * Math.max(1, Math.abs(want)), "row " + i + " of " + rows + "x" + cols);
            }
            assertEquals(java.util.Arrays.toString(w),
                    java.util.Arrays.toString(Kernels.rowMajor(Kernels.columns(w, rows, cols), rows)));
        }
    }

    /** Row counts around the vector length and its double, key counts around the four-key pass. */
    @Test
    void gemmMatchesADoubleProductForAwkwardShapesAndBatches() {
        Random r = new Random(11);
        for (int rows : new int[] {1, 9, 16, 24, 32, 40, 48, 72, 256}) {
            for (int n : new int[] {1, 3, 4, 5, 8, 11}) {
                int cols = 1 + r.nextInt(20);
                float[] w = new float[rows * cols];
                for (int i = 0; i < w.length; i++) {
                    w[i] = (float) r.nextGaussian();
                }
                float[][] xs = new float[n][cols + 3];
                float[][] out = new float[n][rows];
                for (int b = 0; b < n; b++) {
                    for (int i = 0; i < xs[b].length; i++) {
                        xs[b][i] = (float) r.nextGaussian();
                    }
                    java.util.Arrays.fill(out[b], b - 0.5f);
                }
                Kernels.gemmTAcc(out, Kernels.columns(w, rows, cols), xs, 3, n, rows);
                for (int b = 0; b < n; b++) {
                    for (int i = 0; i < rows; i++) {
                        double want = b - 0.5;
                        for (int k = 0; k < cols; k++) {
                            want += (double) w[i * cols + k] * xs[b][3 + k];
                        }
                        assertEquals(want, out[b][i], 1e-5 * Math.max(1, Math.abs(want)),
                                "key " + b + " of " + n + ", row " + i + " of " + rows + "x" + cols);
                    }
                }
            }
        }
    }

    @Test
    void softmaxIsStableAndNormalised() {
        float[] v = {1000f, 1001f, 1002f, 0f};
        Kernels.softmaxInPlace(v, 0, 4);
        double e0 = Math.exp(-2), e1 = Math.exp(-1);
        double sum = e0 + e1 + 1;
        assertEquals(e0 / sum, v[0], 1e-7);
        assertEquals(e1 / sum, v[1], 1e-7);
        assertEquals(1 / sum, v[2], 1e-7);
        assertEquals(0f, v[3]);
    }

    @Test
    void allFiniteFindsEveryNanAndInfinityAtEveryPosition() {
        for (int n : new int[] {0, 1, 7, 15, 16, 17, 31, 33, 128, 129}) {
            float[] a = new float[n];
            for (int i = 0; i < n; i++) {
                a[i] = (i % 2 == 0 ? 1 : -1) * (i % 3 == 0 ? Float.MAX_VALUE : Float.MIN_VALUE * i);
            }
            assertTrue(Kernels.allFinite(a), "all finite, n=" + n);
            for (int i = 0; i < n; i++) {
                for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                    float keep = a[i];
                    a[i] = bad;
                    assertFalse(Kernels.allFinite(a), bad + " at " + i + " of " + n);
                    a[i] = keep;
                }
            }
        }
    }
}
