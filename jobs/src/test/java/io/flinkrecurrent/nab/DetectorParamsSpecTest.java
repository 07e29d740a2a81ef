package io.flinkrecurrent.nab;

import io.flinkrecurrent.anomaly.DetectorParams;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The NAB tooling's {@code name=value,...} changes: every name, and each way a change is refused. */
class DetectorParamsSpecTest {
    @Test
    void everyNameSetsItsParameter() {
        DetectorParams p = DetectorParamsSpec.apply(DetectorParams.WINDOWED, "window=500, hold=50,memory=100,smooth=3,"
                + "tolerance=0.02,alarm=11,quiet=7,level=30,levelWeight=2.5,error=false,value=false,novelty=true,"
                + "stride=4,block=25,online=0.25,likely=6,rls=0.99,levelNovelty=1.5,power=0.7,lasting=12");
        assertEquals(new DetectorParams(500, 50, 100, 3, 0.02f, 11f, 7, 30, 2.5f, false, false, true, 4, 25, 0.25f, 6, 0.99f,
                1.5f, 0.7f, 12), p);
        // the shipped compact detectors, as the NAB tooling has always named them from the windowed one
        assertEquals(DetectorParams.COMPACT_1, DetectorParamsSpec.apply(DetectorParams.WINDOWED,
                "stride=8,memory=64,online=0.5,smooth=1,alarm=12,level=25,levelWeight=0,levelNovelty=1.25"));
        assertEquals(DetectorParams.COMPACT, DetectorParamsSpec.apply(DetectorParams.COMPACT_1, "power=0.8,lasting=40,levelNovelty=1.15"));
    }

    @Test
    void aBadChangeIsRefusedWithItsReason() {
        assertEquals("no detector parameter 'widow'", assertThrows(IllegalArgumentException.class,
                () -> DetectorParamsSpec.apply(DetectorParams.WINDOWED, "widow=3")).getMessage());
        assertEquals("expected name=value, got 'hold'", assertThrows(IllegalArgumentException.class,
                () -> DetectorParamsSpec.apply(DetectorParams.WINDOWED, "window=1000,hold")).getMessage());
        assertThrows(NumberFormatException.class, () -> DetectorParamsSpec.apply(DetectorParams.WINDOWED, "hold=ten"));
        // the detector's own checks, with their messages
        assertEquals("power is the exponent values are raised to, in (0, 1]; got 2.0", assertThrows(IllegalArgumentException.class,
                () -> DetectorParamsSpec.apply(DetectorParams.COMPACT, "power=2")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> DetectorParamsSpec.apply(DetectorParams.WINDOWED, "block=30"));
    }
}
