package io.flinkrecurrent.nab;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A data file of one value or of several metrics a row, read as one key's rows. */
class NabDataTest {
    @TempDir
    Path dir;

    @Test
    void aFileOfSeveralMetricsIsOneKeysRowsOfVectors() throws Exception {
        Path csv = dir.resolve("m.csv");
        Files.writeString(csv, "timestamp,m01,m02,m03\n2020-01-01 00:00:00,1,0.5,7\n\n2020-01-01 00:05:00,2,0.25,7\n");
        NabData.Table t = NabData.read(csv);
        assertEquals(List.of("m01", "m02", "m03"), t.columns());
        assertEquals(2, t.rows().length, "a blank line is no row");
        assertArrayEquals(new float[] {1f, 0.5f, 7f}, t.rows()[0]);
        assertArrayEquals(new float[] {2f, 0.25f, 7f}, t.rows()[1]);
        assertArrayEquals(new float[] {0.5f, 0.25f}, t.column(1));
        // the baseline's rule: a metric with fewer than N distinct values in the file is left out
        NabData.Table kept = t.leaveOut(2);
        assertEquals(List.of("m01", "m02"), kept.columns());
        assertArrayEquals(new float[] {2f, 0.25f}, kept.rows()[1]);
        assertEquals(1, NabData.read(dir.resolve("m.csv")).leaveOut(3).width(), "at least one metric is kept");
    }

    @Test
    void aFileOfOneValueIsAsBefore() throws Exception {
        Path nab = Path.of("src/test/resources/nab/data/artificialWithAnomaly/art_daily_jumpsup.csv");
        NabData.Table t = NabData.read(nab);
        assertEquals(1, t.width());
        assertArrayEquals(NabPlot.values(nab), t.column(0));
        assertEquals(t, t.leaveOut(20), "one value a row: never left out");
    }

    @Test
    void aBadRowNamesTheFileTheLineAndTheColumn() throws Exception {
        Path csv = dir.resolve("bad.csv");
        Files.writeString(csv, "timestamp,m01,m02\n2020-01-01 00:00:00,1,2\n2020-01-01 00:05:00,1,x\n");
        assertEquals(csv + ", line 3, column m02: not a number: 'x'",
                assertThrows(IllegalArgumentException.class, () -> NabData.read(csv)).getMessage());
        Files.writeString(csv, "timestamp,m01,m02\n2020-01-01 00:00:00,1\n");
        assertEquals(csv + ", line 2: 1 values, the header names 2",
                assertThrows(IllegalArgumentException.class, () -> NabData.read(csv)).getMessage());
        Files.writeString(csv, "time,value\n");
        assertThrows(IllegalArgumentException.class, () -> NabData.read(csv));
    }
}
