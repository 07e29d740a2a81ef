package io.flinkrecurrent.anomaly.sql;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * A corpus file in NAB's layout ({@code timestamp,m1,m2,...}, gzipped or not) as one key's rows: its
 * name (the key), the rows' times (UTC, ms) and their values, one array of metrics per row.
 */
record Series(String name, long[] times, double[][] values) {
    static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
    /** NAB, as the jobs' tests use it (58 files, 365,551 rows). */
    static final Path NAB = Path.of("../jobs/src/test/resources/nab/data");

    /**
     * {@code shared/<name>}, the read-only reference data beside the clone (CI) or above it (a worktree):
     * the first found from the repository's top upwards.
     */
    static Path shared(String name) {
        Path top = Path.of("").toAbsolutePath().getParent();
        for (Path p = top.getParent(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("shared").resolve(name))) {
                return p.resolve("shared").resolve(name);
            }
        }
        throw new IllegalStateException("no shared/" + name + " beside " + top + " or above it");
    }

    int rows() {
        return times.length;
    }

    int metrics() {
        return values[0].length;
    }

    /** Every {@code .csv} or {@code .csv.gz} file under {@code dir}, by path. */
    static List<Series> corpus(Path dir) throws IOException {
        List<Series> all = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".csv") || p.toString().endsWith(".csv.gz")).sorted().toList()) {
                all.add(read(f));
            }
        }
        return all;
    }

    static Series read(Path file) throws IOException {
        List<Long> times = new ArrayList<>();
        List<double[]> values = new ArrayList<>();
        try (InputStream raw = Files.newInputStream(file);
             InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            r.readLine(); // the header
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                String[] f = line.split(",");
                times.add(LocalDateTime.parse(f[0], TIME).toInstant(ZoneOffset.UTC).toEpochMilli());
                double[] v = new double[f.length - 1];
                for (int i = 0; i < v.length; i++) {
                    v[i] = Double.parseDouble(f[i + 1]);
                }
                values.add(v);
            }
        }
        String name = file.getFileName().toString().replaceFirst("\\.csv(\\.gz)?$", "");
        return new Series(name, times.stream().mapToLong(Long::longValue).toArray(), values.toArray(new double[0][]));
    }
}
