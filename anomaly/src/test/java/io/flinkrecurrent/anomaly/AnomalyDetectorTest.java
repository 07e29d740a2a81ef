package io.flinkrecurrent.anomaly;

import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.cell.Scratch;
import io.flinkrecurrent.model.ModelLoader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The detector's parts, each on a series built to trigger it, with the bundled forecaster. */
class AnomalyDetectorTest {
    static RecurrentNetwork forecaster;

    @BeforeAll
    static void load() throws Exception {
        forecaster = ModelLoader.load(Path.of("forecaster/model.safetensors")).network();
    }

    /** A daily-looking wave with a little deterministic noise. */
    static float[] wave(int n, int period) {
        float[] v = new float[n];
        java.util.Random r = new java.util.Random(3);
        for (int i = 0; i < n; i++) {
            v[i] = (float) (50 + 20 * Math.sin(2 * Math.PI * i / period) + r.nextGaussian());
        }
        return v;
    }

    static float[] scores(AnomalyDetector d, float[] values) {
        float[] state = d.newState();
        Scratch scratch = d.newScratch();
        float[] out = new float[3];
        float[] s = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            d.step(out, state, new float[] {values[i]}, scratch);
            s[i] = out[0];
            assertTrue(out[0] >= 0f && out[0] <= 1f, "row " + i + ": score " + out[0]);
        }
        return s;
    }

    static float max(float[] s, int from, int to) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = from; i < to; i++) {
            m = Math.max(m, s[i]);
        }
        return m;
    }

    /** Noise around 50 inside an all-time range of 0..100 shown while learning; row 1200 is 70, about 20 sd off. */
    static float[] noiseWithAJump() {
        java.util.Random r = new java.util.Random(7);
        float[] v = new float[1400];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (50 + r.nextGaussian());
        }
        v[10] = 0;
        v[20] = 100;
        v[1200] = 70;
        return v;
    }

    /** The wave, then from row 2000 the same values held flat at mid-level: no value outside the range. */
    static float[] waveThenFlat() {
        float[] v = wave(2400, 100);
        for (int i = 2000; i < v.length; i++) {
            v[i] = 50;
        }
        return v;
    }

    /** Noise around 50, then from row 2000 around 51.2: no single value leaves the range the noise has shown. */
    static float[] shiftOfLevel() {
        java.util.Random r = new java.util.Random(5);
        float[] v = new float[2600];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((i < 2000 ? 50 : 51.2) + r.nextGaussian());
        }
        return v;
    }

    @Test
    void learningRowsScoreZero() {
        float[] s = scores(AnomalyDetector.windowed(forecaster), wave(400, 100));
        assertEquals(0f, max(s, 0, AnomalyDetector.LEARN_ROWS + 1));
        assertTrue(max(s, AnomalyDetector.LEARN_ROWS + 1, 400) >= 0.5f);
    }

    @Test
    void aValueBeyondTheWholeHistoryScoresOne() {
        float[] v = wave(1500, 100);
        v[1200] = 75; // the wave spans about 27..73: 2 above it, more than 1% of the range
        float[] s = scores(AnomalyDetector.windowed(forecaster), v);
        assertEquals(1f, s[1200]);
        float[] without = scores(new AnomalyDetector(forecaster, DetectorParams.WINDOWED.toBuilder().tolerance(-1f).build()), v);
        assertTrue(without[1200] < 1f, "without the rule: " + without[1200]);
        v[1200] = 60; // inside the range: not by the rule
        assertTrue(scores(AnomalyDetector.windowed(forecaster), v)[1200] < 1f);
    }

    @Test
    void anExcursionBeyondTheRangeIsReportedAsItLeavesTheRange() {
        float[] v = wave(1500, 100);
        v[1200] = 75; // beyond the range
        v[1205] = 77; // a new extreme of the same excursion
        v[1230] = 80; // after 24 rows inside the range: a new excursion
        float[] s = scores(AnomalyDetector.windowed(forecaster), v);
        assertEquals(1f, s[1200]);
        assertTrue(s[1205] < 1f, "a new extreme 5 rows later: " + s[1205]);
        assertEquals(1f, s[1230], "24 quiet rows later");
        float[] every = scores(new AnomalyDetector(forecaster, DetectorParams.WINDOWED.toBuilder().quiet(0).build()), v);
        assertEquals(1f, every[1205], "quiet 0: every new extreme");
    }

    @Test
    void anAlarmKeepsTheNextRowsQuiet() {
        float[] v = noiseWithAJump(); // row 1200 about 20 sd off: an alarm, inside the range
        v[1210] = 80; // larger still, 10 rows later: the same event
        v[1350] = 85; // after the quiet rows and the hold: a new alarm
        AnomalyDetector d = AnomalyDetector.windowed(forecaster);
        float[] s = scores(d, v);
        assertTrue(s[1200] >= d.alarmScore() && s[1200] < 1f, "the alarm: " + s[1200]);
        assertEquals(0.5f, max(s, 1201, 1221), "the quiet rows after it");
        assertTrue(s[1350] >= d.alarmScore(), "after them: " + s[1350]);
        DetectorParams noAlarms = DetectorParams.WINDOWED.toBuilder().alarm(Float.POSITIVE_INFINITY).build();
        float[] loud = scores(new AnomalyDetector(forecaster, noAlarms), v);
        assertTrue(loud[1210] >= d.alarmScore(), "without alarms, 10 rows later: " + loud[1210]);
    }

    @Test
    void aLastingShiftOfLevelIsNoticedByTheLevelAlone() {
        float[] v = shiftOfLevel();
        DetectorParams levelOnly = DetectorParams.WINDOWED.toBuilder().error(false).value(false).novelty(false).tolerance(-1f).build();
        float[] s = scores(new AnomalyDetector(forecaster, levelOnly), v);
        float before = max(s, 1300, 2000);
        float at = max(s, 2000, 2100);
        assertTrue(at > before, "after the shift " + at + ", before it at most " + before);
        assertTrue(at > 0.9f, "after the shift " + at);
        float[] none = scores(new AnomalyDetector(forecaster, levelOnly.toBuilder().level(0).build()), v);
        assertEquals(0.5f, max(none, 2000, 2100), "nothing left to notice it");
    }

    @Test
    void aNewPatternInsideTheRangeIsNoticedByTheHiddenStateAlone() {
        float[] v = waveThenFlat();
        DetectorParams noveltyOnly = DetectorParams.WINDOWED.toBuilder().error(false).value(false).novelty(true).tolerance(-1f)
                .level(0).build();
        float[] s = scores(new AnomalyDetector(forecaster, noveltyOnly), v);
        float before = max(s, 1300, 2000);
        float at = max(s, 2000, 2030);
        assertTrue(at > before, "the flat stretch scores " + at + ", the wave at most " + before);
        assertTrue(at > 0.9f, "the flat stretch scores " + at);
        // and it is reported as it begins, not for as long as it lasts
        assertTrue(max(s, 2200, 2400) <= 0.5f, "long after the change: " + max(s, 2200, 2400));
    }

    @Test
    void theStateHoldsEverythingAndTheParametersAreChecked() {
        AnomalyDetector d = AnomalyDetector.windowed(forecaster);
        // 9 scalars, four rings of 1000, z ring of 100, 1000 hidden states, the GRU's own state
        assertEquals(9 + 4 * 1000 + 100 + 1000 * 24 + 24, d.stateSize());
        AnomalyDetector small = new AnomalyDetector(forecaster, DetectorParams.WINDOWED.toBuilder().error(true).value(true).novelty(false).build());
        assertEquals(9 + 4 * 1000 + 100 + 24, small.stateSize());
        assertNotEquals(d.fingerprint(), small.fingerprint(), "a state from other parameters is not reused");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DetectorParams.WINDOWED.toBuilder().hold(300).build());
        assertTrue(e.getMessage().contains("hold 300"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> DetectorParams.WINDOWED.toBuilder().memory(3).build());
        assertTrue(e.getMessage().contains("memory"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DetectorParams.WINDOWED.toBuilder().level(2000).build());
        assertTrue(e.getMessage().contains("level 2000"), e.getMessage());
    }

    /**
     * The compact detector (a stride through the hidden states, statistics by blocks): in at most 8 KiB
     * a key with the measured settings; and with blocks of one row and every hidden state it is the
     * windowed detector, score for score (to rounding: its variance is computed from sums).
     */
    @Test
    void theCompactDetectorFitsInEightKiBAndWithOneRowBlocksIsTheWindowedOne() {
        AnomalyDetector compact = new AnomalyDetector(forecaster, DetectorParams.WINDOWED.toBuilder().stride(8).memory(64).block(50).build());
        // 9 scalars, four statistics of 20 blocks (5 + 2 * 20 each), the last 5 errors and 50 values, 100 z,
        // 64 hidden states, the GRU's own
        assertEquals(9 + 4 * 45 + 5 + 50 + 100 + 64 * 24 + 24, compact.stateSize());
        assertTrue(4 * compact.stateSize() <= 8192, compact.stateSize() + " floats");

        float[] v = wave(3000, 100);
        for (int i = 2000; i < 2030; i++) {
            v[i] = 50; // a flat stretch: something to detect
        }
        v[2500] = 95; // and a spike
        float[] windowed = scores(AnomalyDetector.windowed(forecaster), v);
        float[] same = scores(new AnomalyDetector(forecaster, DetectorParams.WINDOWED.toBuilder().stride(1).memory(1000).block(1).build()), v);
        float alarm = DetectorParams.WINDOWED.alarmScore();
        int alarms = 0;
        for (int i = 0; i < v.length; i++) {
            assertEquals(windowed[i], same[i], 1e-3f, "row " + i);
            assertEquals(windowed[i] >= alarm, same[i] >= alarm, "alarm at row " + i);
            alarms += windowed[i] >= alarm ? 1 : 0;
        }
        assertTrue(alarms > 0, "the series raises alarms to compare");
        assertThrows(IllegalArgumentException.class, () -> DetectorParams.WINDOWED.toBuilder().block(30).build());
    }

    /**
     * With {@code online}, the forecast error is the key's own NLMS forecaster's, trained on the key's rows
     * as they come, its weights in the key's state: it learns (its error falls), and a state copied into a
     * fresh array, stepped by another instance, goes on exactly as the original.
     */
    @Test
    void theOnlineForecasterLearnsPerKeyAndLivesInTheKeysState() {
        AnomalyDetector online = new AnomalyDetector(forecaster, DetectorParams.WINDOWED.toBuilder().online(0.5f).build());
        assertEquals(AnomalyDetector.windowed(forecaster).stateSize() - 24 + (24 + 25 + 24), online.stateSize(),
                "the GRU's state, the readout's weights (1 x 25) and its last features (24)");
        float[] v = wave(3000, 100);
        float[] state = online.newState();
        Scratch scratch = online.newScratch();
        float[] out = new float[3];
        double early = 0;
        double late = 0;
        float[] copy = null;
        float[] rest = new float[1000];
        for (int i = 0; i < 2000; i++) {
            online.step(out, state, new float[] {v[i]}, scratch);
            if (i >= 200 && i < 400) {
                early += out[1];
            }
            if (i >= 1800) {
                late += out[1];
            }
            if (i == 1499) {
                copy = state.clone();
            }
        }
        assertTrue(late < 0.8 * early, "the key's forecaster learns: error " + early / 200 + " early, " + late / 200 + " late");
        AnomalyDetector again = new AnomalyDetector(forecaster, DetectorParams.WINDOWED.toBuilder().online(0.5f).build());
        Scratch s2 = again.newScratch();
        for (int i = 1500; i < 2000; i++) {
            again.step(out, copy, new float[] {v[i]}, s2);
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(state, copy, "the state is all there is");
    }

    /**
     * The compact profile with the key's own forecaster: within 8 KiB a key; its whole state (the readout's
     * weights, the likelihood's ring and statistics, the RLS forecaster's P) is in the key's state: a copy,
     * stepped by another instance, goes on exactly as the original; and it finds a spike and a flat stretch.
     */
    @Test
    void theCompactProfileFitsInEightKiBAndItsStateIsAllThereIs() {
        AnomalyDetector compact = new AnomalyDetector(forecaster, DetectorParams.COMPACT);
        // 9 scalars, four exponential statistics (2 each), the last error and 25 values, 100 z, 64 levels and
        // their novelty's statistics, the last 40 novelties and their minimum's statistics, 64 hidden states,
        // the GRU's state, the readout's weights (1 x 25) and its last features (24)
        assertEquals(9 + 4 * 2 + 1 + 25 + 100 + 64 + 2 + 40 + 2 + 64 * 24 + 24 + 25 + 24, compact.stateSize());
        assertTrue(4 * compact.stateSize() <= 8192, compact.stateSize() + " floats");
        float[] v = wave(3000, 100);
        for (int i = 2000; i < 2030; i++) {
            v[i] = 50;
        }
        v[2500] = 95;
        float[] s = scores(compact, v);
        assertTrue(max(s, 2000, 2030) > max(s, 1000, 2000), "the flat stretch: " + max(s, 2000, 2030)
                + ", above all of the wave before: " + max(s, 1000, 2000));
        assertEquals(1f, s[2500], "the spike, beyond the key's range");
        assertTrue(max(s, 1000, 2000) < DetectorParams.COMPACT.alarmScore(), "no alarm on the plain wave: " + max(s, 1000, 2000));
        java.util.Map<String, DetectorParams> variants = new java.util.LinkedHashMap<>();
        variants.put("", DetectorParams.COMPACT.toBuilder().level(25).build());
        variants.put(",likely=10", DetectorParams.COMPACT.toBuilder().likely(10).build());
        variants.put(",rls=0.999", DetectorParams.COMPACT.toBuilder().rls(0.999f).build());
        for (String variant : variants.keySet()) {
            AnomalyDetector d = new AnomalyDetector(forecaster, variants.get(variant));
            float[] state = d.newState();
            Scratch scratch = d.newScratch();
            float[] out = new float[3];
            float[] copy = null;
            for (int i = 0; i < 2600; i++) {
                d.step(out, state, new float[] {v[i]}, scratch);
                if (i == 1999) {
                    copy = state.clone();
                }
            }
            AnomalyDetector again = new AnomalyDetector(forecaster, d.params());
            Scratch s2 = again.newScratch();
            for (int i = 2000; i < 2600; i++) {
                again.step(out, copy, new float[] {v[i]}, s2);
            }
            org.junit.jupiter.api.Assertions.assertArrayEquals(state, copy, "compact" + variant + ": the state is all there is");
        }
    }

    /**
     * The error's likelihood ({@code likely}): the mean of the last errors against that mean's history. Alone,
     * it rises where the key's forecaster starts to miss for a while (noise that sets in) and stays neutral
     * on the plain wave.
     */
    @Test
    void theErrorsLikelihoodNoticesErrorsThatLast() {
        DetectorParams alone = DetectorParams.COMPACT.toBuilder().likely(10).error(false).value(false).novelty(false).level(0).levelNovelty(0f).levelWeight(3f).tolerance(-1f).alarm(1000f).build();
        float[] v = wave(3000, 100);
        java.util.Random r = new java.util.Random(5);
        for (int i = 2000; i < 2040; i++) {
            v[i] += (float) (6 * r.nextGaussian()); // inside the range, but hard to forecast
        }
        float[] s = scores(new AnomalyDetector(forecaster, alone), v);
        assertTrue(max(s, 2000, 2040) > max(s, 1000, 2000) + 0.1f,
                "noise that lasts: " + max(s, 2000, 2040) + ", the wave before: " + max(s, 1000, 2000));
        float[] none = scores(new AnomalyDetector(forecaster, alone.toBuilder().likely(0).stride(8).build()), v);
        assertEquals(0.5f, max(none, 2000, 2040), "without it, no surprise is left");
        assertThrows(IllegalArgumentException.class, () -> DetectorParams.WINDOWED.toBuilder().likely(10).build(), "windowed");
        assertThrows(IllegalArgumentException.class, () -> DetectorParams.WINDOWED.toBuilder().rls(0.99f).build(), "rls without online");
        assertThrows(IllegalArgumentException.class, () -> DetectorParams.COMPACT.toBuilder().rls(1.5f).build());
    }

    /**
     * The level's novelty ({@code levelNovelty}): alone, a level the key has not shown lately stands out;
     * and a shift back to a level it showed 300 rows before stands out less than a shift as large to a
     * level it never showed.
     */
    @Test
    void aLevelNotSeenLatelyStandsOutAndOneSeenBeforeLess() {
        AnomalyDetector alone = new AnomalyDetector(forecaster, DetectorParams.COMPACT.toBuilder().error(false).value(false).novelty(false).tolerance(-1f).alarm(1000f).build());
        float[] again = wave(3000, 100);
        float[] other = wave(3000, 100);
        for (int i = 2000; i < 2300; i++) {
            again[i] += 12; // a new level, for 300 rows
            other[i] += 12;
        }
        for (int i = 2600; i < 2700; i++) {
            again[i] += 12; // the same level again
            other[i] -= 12; // as far from the usual level, the other way: never seen
        }
        float[] s = scores(alone, again);
        float before = max(s, 1000, 2000);
        assertTrue(max(s, 2000, 2100) > before + 0.05f, "the new level: " + max(s, 2000, 2100) + ", the wave before: " + before);
        float seen = max(s, 2600, 2700);
        float unseen = max(scores(alone, other), 2600, 2700);
        assertTrue(seen + 0.05f < unseen, "a level seen before: " + seen + ", one never seen: " + unseen);
        assertThrows(IllegalArgumentException.class, () -> DetectorParams.WINDOWED.toBuilder().levelNovelty(1f).build(), "windowed");
        assertThrows(IllegalArgumentException.class, () -> DetectorParams.COMPACT.toBuilder().levelNovelty(0f).build(), "no level signal");
    }

    /** Each row's cause (the third output); every row scoring at most 0.5 says NONE. */
    static Cause[] causes(AnomalyDetector d, float[] values) {
        float[] state = d.newState();
        Scratch scratch = d.newScratch();
        float[] out = new float[d.outputSize()];
        Cause[] c = new Cause[values.length];
        for (int i = 0; i < values.length; i++) {
            d.step(out, state, new float[] {values[i]}, scratch);
            c[i] = Cause.of(out);
            assertEquals(out[0] > 0.5f, c[i] != Cause.NONE, "row " + i + ": score " + out[0] + ", cause " + c[i]);
        }
        return c;
    }

    static int argmax(float[] s, int from, int to) {
        int best = from;
        for (int i = from; i < to; i++) {
            best = s[i] > s[best] ? i : best;
        }
        return best;
    }

    /** Each part, alone on the series built to trigger it, is named as the cause of the score it raises. */
    @Test
    void eachScoreNamesWhatSetIt() {
        float[] beyond = wave(1500, 100);
        beyond[1200] = 75;
        for (AnomalyDetector d : List.of(AnomalyDetector.windowed(forecaster), AnomalyDetector.compact(forecaster))) {
            assertEquals(Cause.RANGE, causes(d, beyond)[1200], d.params().describe());
        }
        float[] noise = noiseWithAJump(); // row 1200: inside the range, far from the mean and from the forecast
        DetectorParams quiet = DetectorParams.COMPACT.toBuilder().tolerance(-1f).levelNovelty(0f).levelWeight(1f).level(0).build();
        assertEquals(Cause.VALUE,
                causes(new AnomalyDetector(forecaster, quiet.toBuilder().error(false).value(true).novelty(false).build()), noise)[1200]);
        assertEquals(Cause.ERROR,
                causes(new AnomalyDetector(forecaster, quiet.toBuilder().error(true).value(false).novelty(false).build()), noise)[1200]);

        float[] flat = waveThenFlat();
        AnomalyDetector novelty = new AnomalyDetector(forecaster,
                DetectorParams.WINDOWED.toBuilder().error(false).value(false).novelty(true).tolerance(-1f).level(0).build());
        assertEquals(Cause.NOVELTY, causes(novelty, flat)[argmax(scores(novelty, flat), 2000, 2030)]);

        float[] shift = shiftOfLevel();
        AnomalyDetector level = new AnomalyDetector(forecaster, DetectorParams.WINDOWED.toBuilder().error(false).value(false).novelty(false).tolerance(-1f).build());
        assertEquals(Cause.LEVEL, causes(level, shift)[argmax(scores(level, shift), 2000, 2100)]);

        float[] lifted = wave(3000, 100);
        for (int i = 2000; i < 2300; i++) {
            lifted[i] += 12;
        }
        AnomalyDetector levelNovelty = new AnomalyDetector(forecaster, DetectorParams.COMPACT.toBuilder().error(false).value(false).novelty(false).tolerance(-1f).alarm(1000f).build());
        assertEquals(Cause.LEVEL_NOVELTY, causes(levelNovelty, lifted)[argmax(scores(levelNovelty, lifted), 2000, 2100)]);

        AnomalyDetector likely = new AnomalyDetector(forecaster, quiet.toBuilder().error(false).value(false).novelty(false).likely(10).build());
        Cause[] c = causes(likely, noise);
        assertEquals(Cause.LIKELIHOOD, c[argmax(scores(likely, noise), 1200, 1210)]);
        assertEquals("level-novelty", Cause.LEVEL_NOVELTY.label());
    }

    @Test
    void fingerprintComesFromTheValuesAlone() throws Exception {
        AnomalyDetector d = AnomalyDetector.windowed(forecaster);
        RecurrentNetwork again = ModelLoader.load(Path.of("forecaster/model.safetensors")).network();
        assertEquals(d.fingerprint(), AnomalyDetector.windowed(again).fingerprint(), "same weights, same parameters");
        assertNotEquals(d.fingerprint(), new AnomalyDetector(forecaster,
                DetectorParams.WINDOWED.toBuilder().tolerance(0.02f).build()).fingerprint(), "another parameter");
        // pinned: a SHA-256 of the forecaster's weights and the parameters' values, the same on every JDK
        // (a hashCode-based fingerprint could change with the JDK and reset every key on restore)
        assertEquals("7c8ccb355f05ec7d", Long.toHexString(d.fingerprint()));
        assertEquals("8bf3aef048ab2592", Long.toHexString(AnomalyDetector.compact(again).fingerprint()));
        // the first compact detector's, as it was before the parameters added since (power, lasting): a savepoint
        // taken with it keeps its keys' states under --detector compact-1
        assertEquals("9eee5b9bdcb96832", Long.toHexString(new AnomalyDetector(again, DetectorParams.COMPACT_1).fingerprint()));
    }

    /** Its description and its shape, as they were before the detector was split into its parts. */
    @Test
    void itDescribesItselfAsItDid() {
        AnomalyDetector d = AnomalyDetector.windowed(forecaster);
        assertEquals("anomaly detector Params[window=1000, hold=100, memory=1000, smooth=5, tolerance=0.01, alarm=15.0, quiet=20, "
                + "level=50, levelWeight=3.0, error=true, value=true, novelty=true, stride=0, block=0, online=0.0, likely=0, "
                + "rls=0.0, levelNovelty=0.0, power=1.0, lasting=0] over gru(input=1, hidden=24, layers=1) -> linear(24 -> 1, "
                + "identity)", d.describe());
        assertEquals(1, d.inputSize());
        assertEquals(3, d.outputSize());
        assertEquals(1860, AnomalyDetector.compact(forecaster).stateSize());
    }

    /**
     * The lasting novelty ({@code lasting}): the wave at half its amplitude for 200 rows, a new pattern inside
     * the key's range. The hidden state's novelty notices it as it begins; once it has lasted 40 rows, its
     * lasting novelty stands out further, where the plain wave before raised nothing near an alarm.
     */
    @Test
    void aNewPatternThatLastsStandsOutInTheLastingNovelty() {
        float[] v = wave(3000, 100);
        java.util.Random r = new java.util.Random(5);
        for (int i = 2000; i < 2200; i++) {
            v[i] = (float) (50 + 10 * Math.sin(2 * Math.PI * i / 100) + r.nextGaussian());
        }
        DetectorParams noveltyAlone = DetectorParams.COMPACT.toBuilder().error(false).value(false).level(0).levelNovelty(0f)
                .levelWeight(3f).tolerance(-1f).build();
        AnomalyDetector lasting = new AnomalyDetector(forecaster, noveltyAlone);
        AnomalyDetector passing = new AnomalyDetector(forecaster, noveltyAlone.toBuilder().lasting(0).build());
        float[] s = scores(lasting, v);
        float[] t = scores(passing, v);
        int top = argmax(s, 2000, 2200);
        assertEquals(Cause.LASTING_NOVELTY, causes(lasting, v)[top], "row " + top);
        assertTrue(top >= 2039, "only once it has lasted 40 rows: row " + top);
        assertTrue(s[top] > max(t, 2000, 2200) + 0.03f, s[top] + " against the passing novelty's " + max(t, 2000, 2200));
        assertTrue(max(s, 1000, 2000) < DetectorParams.COMPACT.alarmScore(), "the plain wave: " + max(s, 1000, 2000));
        assertEquals("lasting-novelty", Cause.LASTING_NOVELTY.label());
    }

    /**
     * {@code power}: each value raised to it, its sign kept, before anything else. A detector with power 0.5
     * is exactly the detector without it fed the signed square roots; 1 is the detector as it was.
     */
    @Test
    void aPowerTransformsEachValueBeforeAnythingElse() {
        float[] values = noiseWithAJump();
        for (int i = 0; i < values.length; i += 7) {
            values[i] = -values[i]; // negative values keep their sign
        }
        float[] roots = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            roots[i] = (float) Math.copySign(Math.pow(Math.abs(values[i]), 0.5), values[i]);
        }
        AnomalyDetector plain = new AnomalyDetector(forecaster, DetectorParams.COMPACT.toBuilder().power(1f).build());
        AnomalyDetector rooted = new AnomalyDetector(forecaster, DetectorParams.COMPACT.toBuilder().power(0.5f).build());
        assertArrayEquals(scores(plain, roots), scores(rooted, values));
        assertFalse(java.util.Arrays.equals(scores(plain, values), scores(rooted, values)), "the power changes the scores");
        assertEquals(DetectorParams.COMPACT_1, DetectorParams.COMPACT_1.toBuilder().power(1f).build());
        assertNotEquals(plain.fingerprint(), rooted.fingerprint(), "a state kept under another power is not reused");
        for (float bad : new float[] {0f, 1.5f, Float.NaN}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DetectorParams.COMPACT.toBuilder().power(bad).build());
            assertTrue(e.getMessage().contains("power"), e.getMessage());
        }
    }
}
