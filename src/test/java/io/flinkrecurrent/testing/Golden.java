package io.flinkrecurrent.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The PyTorch golden vectors copied from ../shared/golden into src/test/resources/golden. */
public final class Golden {
    public static final double TOLERANCE = 1e-5;
    private static final ObjectMapper JSON = new ObjectMapper();

    private Golden() {}

    private static Path dir;

    /**
     * The folder of the golden files: test-classes in this project; in another one (jobs/) that has
     * them from the library's test jar, a copy unpacked once into a temporary folder.
     */
    public static synchronized Path dir() {
        if (dir != null) {
            return dir;
        }
        try {
            java.net.URI uri = Golden.class.getResource("/golden").toURI();
            if (uri.getScheme().equals("file")) {
                return dir = Path.of(uri);
            }
            Path copy = Files.createTempDirectory("flink-recurrent-golden");
            try (java.nio.file.FileSystem jar = java.nio.file.FileSystems.newFileSystem(uri, java.util.Map.of());
                 Stream<Path> files = Files.walk(jar.getPath("/golden"))) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Path to = copy.resolve(jar.getPath("/golden").relativize(f).toString());
                    if (Files.isDirectory(f)) {
                        Files.createDirectories(to);
                    } else {
                        Files.copy(f, to);
                    }
                }
            }
            return dir = copy;
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every golden model's safetensors file (public and perf sets). */
    public static List<Path> models() {
        List<Path> out = new ArrayList<>();
        for (String set : new String[] {"public", "perf", "extra"}) {
            Path d = dir().resolve(set);
            if (!Files.isDirectory(d)) {
                continue;
            }
            try (Stream<Path> s = Files.list(d)) {
                s.filter(p -> p.toString().endsWith(".safetensors")).sorted().forEach(out::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }

    /** A model's golden stream: beside a safetensors file; for golden/onnx/SET/X.onnx, its twin's golden/SET/X.jsonl. */
    public static Path stream(Path model) {
        String n = model.getFileName().toString();
        if (n.endsWith(".onnx")) {
            return dir().resolve(model.getParent().getFileName().toString()).resolve(n.substring(0, n.length() - ".onnx".length()) + ".jsonl");
        }
        return model.resolveSibling(n.substring(0, n.length() - ".safetensors".length()) + ".jsonl");
    }

    /** Every golden model, safetensors then ONNX. */
    public static List<Path> allModels() {
        List<Path> all = new ArrayList<>(models());
        all.addAll(onnxModels());
        return all;
    }

    /** Every golden ONNX export (torch.onnx.export's single-step graphs of the public and perf models). */
    public static List<Path> onnxModels() {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir().resolve("onnx"))) {
            s.filter(p -> p.toString().endsWith(".onnx")).sorted().forEach(out::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    public static List<JsonNode> lines(Path jsonl) {
        try {
            List<JsonNode> out = new ArrayList<>();
            for (String line : Files.readAllLines(jsonl)) {
                if (!line.isBlank()) {
                    out.add(JSON.readTree(line));
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A golden stream's lines as operator events (key, input, reset; id = the line's index). */
    public static List<io.flinkrecurrent.flink.KeyedEvent> events(List<JsonNode> lines) {
        List<io.flinkrecurrent.flink.KeyedEvent> events = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            JsonNode g = lines.get(i);
            io.flinkrecurrent.flink.KeyedEvent e = new io.flinkrecurrent.flink.KeyedEvent(g.get("key").asText(), floats(g.get("input")));
            e.reset = g.path("reset").asBoolean(false);
            e.id = i;
            events.add(e);
        }
        return events;
    }

    public static float[] floats(JsonNode array) {
        float[] f = new float[array.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) array.get(i).asDouble();
        }
        return f;
    }

    /** Asserts |actual - expected| <= 1e-5 elementwise, naming where it differs. */
    public static void assertClose(JsonNode expected, float[] actual, String what) {
        assertEquals(expected.size(), actual.length, what + ": length");
        for (int i = 0; i < actual.length; i++) {
            double e = expected.get(i).asDouble();
            assertTrue(Math.abs(actual[i] - e) <= TOLERANCE,
                    what + "[" + i + "]: expected " + e + ", got " + actual[i] + " (diff " + Math.abs(actual[i] - e) + ")");
        }
    }

    /** Compares a result line of ours (output, h, c) with a golden line (expected_output, expected_h, expected_c). */
    public static void assertMatches(JsonNode golden, JsonNode ours, String where) {
        assertEquals(golden.get("key").asText(), ours.get("key").asText(), where + ": key");
        assertEquals(golden.get("seq").asLong(), ours.get("seq").asLong(), where + ": seq");
        assertClose(golden.get("expected_output"), floats(ours.get("output")), where + " output");
        JsonNode eh = golden.get("expected_h");
        assertEquals(eh.size(), ours.get("h").size(), where + ": layers of h");
        for (int l = 0; l < eh.size(); l++) {
            assertClose(eh.get(l), floats(ours.get("h").get(l)), where + " h[" + l + "]");
        }
        JsonNode ec = golden.get("expected_c");
        if (ec == null) {
            assertTrue(ours.get("c") == null, where + ": c only for an LSTM");
        } else {
            for (int l = 0; l < ec.size(); l++) {
                assertClose(ec.get(l), floats(ours.get("c").get(l)), where + " c[" + l + "]");
            }
        }
    }
}
