package io.flinkrecurrent.anomaly;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The parameters: the builder, the shipped sets, their descriptions (part of the fingerprints), the checks. */
class DetectorParamsTest {
    @Test
    void theBuilderSetsEachParameterAndStartsFromTheDefault() {
        assertEquals(DetectorParams.COMPACT, DetectorParams.builder().build());
        assertEquals(DetectorParams.WINDOWED, DetectorParams.WINDOWED.toBuilder().build());
        DetectorParams every = DetectorParams.WINDOWED.toBuilder().window(500).hold(50).memory(100).smooth(3).tolerance(0.02f)
                .alarm(11f).quiet(7).level(30).levelWeight(2.5f).error(false).value(false).novelty(true).stride(4).block(25)
                .online(0.25f).likely(6).rls(0.99f).levelNovelty(1.5f).power(0.7f).lasting(12).build();
        assertEquals(new DetectorParams(500, 50, 100, 3, 0.02f, 11f, 7, 30, 2.5f, false, false, true, 4, 25, 0.25f, 6, 0.99f,
                1.5f, 0.7f, 12), every);
    }

    /** The shipped sets' values and descriptions, exactly as they were when their savepoints were taken. */
    @Test
    void theShippedSetsDescribeThemselvesAsTheyAlwaysHave() {
        assertEquals("window=1000,hold=100,memory=1000,smooth=5,tolerance=1008981770,alarm=1097859072,quiet=20,level=50,"
                + "levelWeight=1077936128,error=true,value=true,novelty=true", DetectorParams.WINDOWED.describe());
        assertEquals("window=1000,hold=100,memory=64,smooth=1,tolerance=1008981770,alarm=1094713344,quiet=20,level=25,"
                + "levelWeight=0,error=true,value=true,novelty=true,stride=8,block=0,online=1056964608,levelNovelty=1067450368",
                DetectorParams.COMPACT_1.describe());
        assertEquals("window=1000,hold=100,memory=64,smooth=1,tolerance=1008981770,alarm=1094713344,quiet=20,level=25,"
                + "levelWeight=0,error=true,value=true,novelty=true,stride=8,block=0,online=1056964608,levelNovelty=1066611507,"
                + "power=1061997773,lasting=40", DetectorParams.COMPACT.describe());
        assertEquals("Params[window=1000, hold=100, memory=64, smooth=1, tolerance=0.01, alarm=12.0, quiet=20, level=25, "
                + "levelWeight=0.0, error=true, value=true, novelty=true, stride=8, block=0, online=0.5, likely=0, rls=0.0, "
                + "levelNovelty=1.15, power=0.8, lasting=40]", DetectorParams.COMPACT.readable());
    }

    @Test
    void parametersTheDetectorCannotRunAreRefusedNamingThem() {
        String[][] cases = {
                {"hold 300", "hold"}, {"likely 10, stride 0", "likely"}, {"rls 0.5, online 0.0", "rls"},
                {"got 2.0", "online"}, {"block 30", "block"}, {"got 3", "memory"}, {"level 2000", "level"},
                {"lasting 10, stride 0", "lasting"}, {"got 1.5", "power"}, {"levelNovelty", "levelNovelty"}};
        DetectorParams.Builder[] builders = {
                DetectorParams.WINDOWED.toBuilder().hold(300), DetectorParams.WINDOWED.toBuilder().likely(10),
                DetectorParams.WINDOWED.toBuilder().rls(0.5f), DetectorParams.WINDOWED.toBuilder().online(2f),
                DetectorParams.WINDOWED.toBuilder().block(30), DetectorParams.WINDOWED.toBuilder().memory(3),
                DetectorParams.WINDOWED.toBuilder().level(2000), DetectorParams.WINDOWED.toBuilder().lasting(10),
                DetectorParams.COMPACT.toBuilder().power(1.5f), DetectorParams.WINDOWED.toBuilder().levelNovelty(1f)};
        for (int i = 0; i < cases.length; i++) {
            DetectorParams.Builder b = builders[i];
            String message = assertThrows(IllegalArgumentException.class, b::build, cases[i][1]).getMessage();
            assertTrue(message.contains(cases[i][0]), cases[i][1] + ": " + message);
        }
    }
}
