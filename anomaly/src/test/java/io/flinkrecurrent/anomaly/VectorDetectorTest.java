package io.flinkrecurrent.anomaly;

import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.cell.Scratch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The vector detector: as the univariate one with one metric, one state and one scoring per key over several. */
class VectorDetectorTest {
    static RecurrentNetwork forecaster;

    @BeforeAll
    static void load() {
        forecaster = Forecasters.bundled();
    }

    /** A NAB data file's values (timestamp,value; gzipped). */
    static float[] nab(String file) throws Exception {
        Path p = Path.of("../jobs/src/test/resources/nab/data").resolve(file);
        List<Float> v = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(p)),
                StandardCharsets.UTF_8))) {
            r.readLine();
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (!line.isBlank()) {
                    v.add(Float.parseFloat(line.substring(line.indexOf(',') + 1)));
                }
            }
        }
        float[] a = new float[v.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = v.get(i);
        }
        return a;
    }

    /** Every row's output, the model stepped over rows of its input width. */
    static float[][] run(io.flinkrecurrent.cell.RecurrentModel d, float[][] rows) {
        float[] state = d.newState();
        Scratch scratch = d.newScratch();
        float[][] out = new float[rows.length][d.outputSize()];
        for (int i = 0; i < rows.length; i++) {
            d.step(out[i], state, rows[i], scratch);
        }
        return out;
    }

    static float[][] columns(float[]... metrics) {
        float[][] rows = new float[metrics[0].length][metrics.length];
        for (int i = 0; i < rows.length; i++) {
            for (int m = 0; m < metrics.length; m++) {
                rows[i][m] = metrics[m][i];
            }
        }
        return rows;
    }

    @Test
    void withOneMetricItScoresAsTheUnivariateDetectorBitForBit() throws Exception {
        float[] v = nab("realKnownCause/machine_temperature_system_failure.csv.gz");
        assertTrue(v.length > 20_000, v.length + " rows");
        for (DetectorParams p : List.of(DetectorParams.COMPACT, DetectorParams.COMPACT_1,
                DetectorParams.COMPACT.toBuilder().block(50).likely(10).build())) {
            float[][] uni = run(new AnomalyDetector(forecaster, p), columns(v));
            float[][] vec = run(new VectorDetector(forecaster, p, 1, Combination.max()), columns(v));
            int alarms = 0;
            for (int i = 0; i < v.length; i++) {
                assertEquals(Float.floatToRawIntBits(uni[i][0]), Float.floatToRawIntBits(vec[i][VectorDetector.SCORE]), "score, row " + i);
                assertEquals(Float.floatToRawIntBits(uni[i][1]), Float.floatToRawIntBits(vec[i][VectorDetector.ERROR]), "error, row " + i);
                assertEquals(uni[i][2], vec[i][VectorDetector.CAUSE], "cause, row " + i);
                assertEquals(uni[i][2] == Cause.NONE.ordinal() ? -1f : 0f, vec[i][VectorDetector.METRIC], "metric, row " + i);
                alarms += uni[i][0] >= p.alarmScore() ? 1 : 0;
            }
            assertTrue(alarms > 0, p.describe() + ": the file raises alarms to compare");
        }
    }

    @Test
    void theWindowedFormWithOneMetricDiffersOnlyByItsZRoundedToAFloat() throws Exception {
        float[] v = nab("realKnownCause/machine_temperature_system_failure.csv.gz");
        float[][] uni = run(AnomalyDetector.windowed(forecaster), columns(v));
        float[][] vec = run(new VectorDetector(forecaster, DetectorParams.WINDOWED, 1, Combination.max()), columns(v));
        for (int i = 0; i < v.length; i++) {
            assertEquals(uni[i][0], vec[i][0], 1e-6f, "score, row " + i);
            assertEquals(uni[i][1], vec[i][1], "error, row " + i);
            assertEquals(uni[i][2], vec[i][2], "cause, row " + i);
        }
    }

    /** A wave of the given period and phase, a little noise: about 30..70. */
    static float[] wave(int n, int period, double phase, long seed) {
        java.util.Random r = new java.util.Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (50 + 20 * Math.sin(2 * Math.PI * i / period + phase) + r.nextGaussian());
        }
        return v;
    }

    static float[] constant(int n, float c) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, c);
        return v;
    }

    static int alarms(float[][] out, float alarm, int from, int to) {
        int n = 0;
        for (int i = from; i < to; i++) {
            n += out[i][0] >= alarm ? 1 : 0;
        }
        return n;
    }

    @Test
    void oneEventAcrossSeveralMetricsRaisesOneAlarmNamingTheMetric() {
        int n = 3000;
        float[][] m = {wave(n, 100, 0, 1), wave(n, 144, 1, 2), wave(n, 60, 2, 3)};
        m[0][2000] = 100; // an event: each metric leaves its range in turn, a few rows apart
        m[1][2003] = 100;
        m[2][2006] = 100;
        m[1][2500] = 103; // two at once: metric 1 just beyond its range (up to 100), metric 2 far beyond
        m[2][2500] = 140;
        VectorDetector d = new VectorDetector(forecaster, DetectorParams.COMPACT, 3, Combination.max());
        float[][] out = run(d, columns(m));
        float alarm = d.alarmScore();
        assertEquals(1f, out[2000][VectorDetector.SCORE]);
        assertEquals(Cause.RANGE.ordinal(), out[2000][VectorDetector.CAUSE]);
        assertEquals(0f, out[2000][VectorDetector.METRIC], "metric 0 left its range");
        assertEquals(1, alarms(out, alarm, 1990, 2100), "one alarm for the event");
        int separately = 0;
        for (float[] metric : m) {
            separately += alarms(run(AnomalyDetector.compact(forecaster), columns(metric)), alarm, 1990, 2100);
        }
        assertEquals(3, separately, "one per metric, each detector on its own");
        assertEquals(1f, out[2500][VectorDetector.SCORE]);
        assertEquals(Cause.RANGE.ordinal(), out[2500][VectorDetector.CAUSE]);
        assertEquals(2f, out[2500][VectorDetector.METRIC], "the metric farthest beyond its range");
        for (int i = 0; i < n; i++) {
            float[] o = out[i];
            assertEquals(o[VectorDetector.SCORE] > 0.5f, o[VectorDetector.CAUSE] != Cause.NONE.ordinal(), "row " + i);
            assertEquals(o[VectorDetector.CAUSE] == Cause.NONE.ordinal(), o[VectorDetector.METRIC] == -1f, "row " + i);
        }
    }

    @Test
    void aMetricThatNeverChangesBreaksNothing() {
        int n = 3000;
        float[] w = wave(n, 100, 0, 4);
        for (int i = 2000; i < 2030; i++) {
            w[i] = 50; // a flat stretch
        }
        w[2500] = 95; // a spike
        float[][] alone = run(AnomalyDetector.compact(forecaster), columns(w));
        float[][] out = run(new VectorDetector(forecaster, DetectorParams.COMPACT, 4, Combination.max()),
                columns(constant(n, 7f), w, constant(n, 0f), constant(n, -3.5f)));
        float alarm = DetectorParams.COMPACT.alarmScore();
        for (int i = 0; i < n; i++) {
            for (float o : out[i]) {
                assertFalse(Float.isNaN(o), "row " + i);
            }
            if (out[i][VectorDetector.SCORE] > 0.5f) {
                assertEquals(1f, out[i][VectorDetector.METRIC], "row " + i + ": only the wave sets a score");
            }
            assertEquals(alone[i][0], out[i][VectorDetector.SCORE], 1e-6f, "row " + i + ": as the wave alone");
            assertEquals(alone[i][0] >= alarm, out[i][VectorDetector.SCORE] >= alarm, "row " + i + ": an alarm as the wave's");
        }
        assertTrue(alarms(out, alarm, 0, n) > 0, "the wave's events raise alarms");
        // nothing but constants: never an alarm; past the first rows after learning (where the forecaster's
        // hidden state still settles: a novelty z below 1 at rows 162..164, as the univariate detector's), nothing
        VectorDetector d = new VectorDetector(forecaster, DetectorParams.COMPACT, 3, Combination.max());
        float[][] rows = columns(constant(n, 7f), constant(n, 0f), constant(n, -1e6f));
        float[][] flat = new float[n][4];
        float[] state = d.newState();
        Scratch scratch = d.newScratch();
        for (int i = 0; i < n; i++) {
            d.step(flat[i], state, rows[i], scratch);
        }
        for (int i = 0; i < state.length; i++) {
            assertTrue(Float.isFinite(state[i]), "state[" + i + "]: " + state[i]);
        }
        for (int i = 0; i < n; i++) {
            for (float o : flat[i]) {
                assertFalse(Float.isNaN(o), "row " + i);
            }
            assertTrue(flat[i][VectorDetector.SCORE] < Scoring.scoreOf(1), "row " + i + ": " + flat[i][VectorDetector.SCORE]);
            if (i >= 200) {
                assertTrue(flat[i][VectorDetector.SCORE] <= 0.5f, "row " + i + ": " + flat[i][VectorDetector.SCORE]);
                assertEquals(-1f, flat[i][VectorDetector.METRIC], "row " + i);
            }
        }
    }

    /**
     * Within 8 KiB for a key of one metric (COMPACT); a key of 38 metrics (SMD's machines) holds 38 metric
     * blocks and one key block.
     */
    @Test
    void theStateOfAKeyIsOneKeyBlockAndABlockPerMetric() {
        int univariate = AnomalyDetector.compact(forecaster).stateSize(); // 1,860 floats, its z ring (100) included
        VectorDetector one = new VectorDetector(forecaster, DetectorParams.COMPACT, 1, Combination.max());
        assertEquals(4 + 100 + (univariate - 100), one.stateSize(), "key block: count, position, 2 quiet counters, z ring");
        assertTrue(4 * one.stateSize() <= 8192, one.stateSize() + " floats");
        VectorDetector smd = new VectorDetector(forecaster, DetectorParams.COMPACT, 38, Combination.max());
        assertEquals(4 + 100 + 38 * (univariate - 100), smd.stateSize());
        System.out.printf("vector detector state (COMPACT): 1 metric %,d floats (%,d bytes); 38 metrics %,d floats (%,d bytes)%n",
                one.stateSize(), 4 * one.stateSize(), smd.stateSize(), 4 * smd.stateSize());
        assertEquals(38, smd.inputSize());
        assertEquals(4, smd.outputSize());
        assertThrows(IllegalArgumentException.class, () -> new VectorDetector(forecaster, DetectorParams.COMPACT, 0, Combination.max()));
    }

    @Test
    void theStateIsAllThereIs() {
        int n = 2600;
        float[][] rows = columns(wave(n, 100, 0, 5), wave(n, 70, 1, 6), wave(n, 33, 2, 7));
        rows[2100][1] = 90;
        VectorDetector d = new VectorDetector(forecaster, DetectorParams.COMPACT, 3, Combination.max());
        float[] state = d.newState();
        Scratch scratch = d.newScratch();
        float[][] out = new float[n][4];
        float[] copy = null;
        for (int i = 0; i < n; i++) {
            d.step(out[i], state, rows[i], scratch);
            if (i == 1999) {
                copy = state.clone();
            }
        }
        VectorDetector again = new VectorDetector(forecaster, DetectorParams.COMPACT, 3, Combination.max());
        Scratch s2 = again.newScratch();
        float[] o = new float[4];
        for (int i = 2000; i < n; i++) {
            again.step(o, copy, rows[i], s2);
            assertArrayEquals(out[i], o, "row " + i);
        }
        assertArrayEquals(state, copy, "a copy of the state, stepped by another instance, goes on as the original");
    }

    /** No allocation per step: the thread allocates (next to) nothing over 20,000 steps of 8 metrics. */
    @Test
    void aStepAllocatesNothing() {
        int metrics = 8;
        VectorDetector d = new VectorDetector(forecaster, DetectorParams.COMPACT, metrics, Combination.max());
        float[][] rows = new float[2000][];
        for (int m = 0; m < metrics; m++) {
            float[] w = wave(rows.length, 50 + 13 * m, m, m);
            for (int i = 0; i < rows.length; i++) {
                if (m == 0) {
                    rows[i] = new float[metrics];
                }
                rows[i][m] = w[i];
            }
        }
        float[] state = d.newState();
        Scratch scratch = d.newScratch();
        float[] out = new float[4];
        for (int i = 0; i < 20_000; i++) { // warm up: compiled
            d.step(out, state, rows[i % rows.length], scratch);
        }
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().getId();
        long before = threads.getThreadAllocatedBytes(id);
        for (int i = 0; i < 20_000; i++) {
            d.step(out, state, rows[i % rows.length], scratch);
        }
        long bytes = threads.getThreadAllocatedBytes(id) - before;
        assertTrue(bytes < 20_000, bytes + " bytes allocated over 20,000 steps");
    }

    /** A combination that counts the key's rows in its own state, then takes the largest z. */
    static final class CountingMax implements Combination {
        @Override public int stateSize() { return 2; }

        @Override
        public void combine(float[] z, float[] cause, int metrics, float[] state, int offset, float[] out) {
            state[offset + 1]++;
            Combination.max().combine(z, cause, metrics, state, offset, out);
        }

        @Override public String describe() { return "counting-max"; }
    }

    @Test
    void aCombinationKeepsItsOwnStateInTheKeysAndNamesItsFingerprint() {
        int n = 1500;
        float[][] rows = columns(wave(n, 100, 0, 8), wave(n, 40, 1, 9));
        rows[1200][0] = 100;
        VectorDetector max = new VectorDetector(forecaster, DetectorParams.COMPACT, 2, Combination.max());
        VectorDetector counting = new VectorDetector(forecaster, DetectorParams.COMPACT, 2, new CountingMax());
        assertEquals(max.stateSize() + 2, counting.stateSize());
        float[][] a = run(max, rows);
        float[][] b = run(counting, rows);
        for (int i = 0; i < n; i++) {
            assertArrayEquals(a[i], b[i], "row " + i + ": the metrics' blocks untouched");
        }
        float[] state = counting.newState();
        Scratch scratch = counting.newScratch();
        float[] out = new float[4];
        for (int i = 0; i < 300; i++) {
            counting.step(out, state, rows[i], scratch);
        }
        assertEquals(300f, state[4 + DetectorParams.COMPACT.hold() + 1], "after the key block's count, position, counters and z");
        assertNotEquals(max.fingerprint(), counting.fingerprint());
    }

    @Test
    void fingerprintComesFromTheValuesAlone() {
        VectorDetector d = new VectorDetector(forecaster, DetectorParams.COMPACT, 3, Combination.max());
        assertEquals(d.fingerprint(), new VectorDetector(Forecasters.bundled(), DetectorParams.COMPACT, 3, Combination.max()).fingerprint());
        assertNotEquals(d.fingerprint(), new VectorDetector(forecaster, DetectorParams.COMPACT, 4, Combination.max()).fingerprint(), "another width");
        assertNotEquals(d.fingerprint(), new VectorDetector(forecaster, DetectorParams.COMPACT_1, 3, Combination.max()).fingerprint(), "other parameters");
        assertNotEquals(AnomalyDetector.compact(forecaster).fingerprint(),
                new VectorDetector(forecaster, DetectorParams.COMPACT, 1, Combination.max()).fingerprint(), "not the univariate detector's state");
        // pinned: a SHA-256 of the forecaster's weights, the parameters' values, the width and the combination
        assertEquals("ba149b93df793766", Long.toHexString(new VectorDetector(forecaster, DetectorParams.COMPACT, 1, Combination.max()).fingerprint()));
        assertEquals("67bff5f462bf99f9", Long.toHexString(new VectorDetector(forecaster, DetectorParams.COMPACT, 38, Combination.max()).fingerprint()));
        assertTrue(d.describe().startsWith("vector detector of 3 metrics, combined by max, Params[window=1000"), d.describe());
        // without a combination named: the one chosen on the multivariate development corpus
        assertEquals(new VectorDetector(forecaster, DetectorParams.COMPACT, 38, Combination.DEFAULT).fingerprint(),
                new VectorDetector(forecaster, DetectorParams.COMPACT, 38).fingerprint());
        assertNotEquals(d.fingerprint(), new VectorDetector(forecaster, DetectorParams.COMPACT, 3).fingerprint(), "the default is not max");
    }
}
