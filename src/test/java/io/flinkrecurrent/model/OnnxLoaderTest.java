package io.flinkrecurrent.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.cell.Scratch;
import io.flinkrecurrent.testing.Golden;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every ONNX export in golden/onnx (torch.onnx.export's single-step graphs, opset 17) read by the pure
 * Java reader: PyTorch's golden stream to 1e-5, and bit for bit what its safetensors twin computes.
 */
class OnnxLoaderTest {
    static List<Path> onnxModels() throws IOException {
        try (Stream<Path> s = Files.walk(Golden.dir().resolve("onnx"))) {
            return s.filter(p -> p.toString().endsWith(".onnx")).sorted().toList();
        }
    }

    /** The safetensors twin: the same name in the same set (public or perf). */
    static Path twin(Path onnx) {
        String name = onnx.getFileName().toString().replace(".onnx", ".safetensors");
        return Golden.dir().resolve(onnx.getParent().getFileName().toString()).resolve(name);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("onnxModels")
    void anOnnxExportGivesPyTorchsOutputsAndItsTwinsBitForBit(Path onnx) {
        RecurrentNetwork net = OnnxLoader.load(onnx).network();
        RecurrentNetwork twin = ModelLoader.load(twin(onnx)).network();
        assertEquals(twin.describe(), net.describe(), "the same architecture");
        assertEquals(twin.fingerprint(), net.fingerprint(), "the same weights (so the same state in Flink)");
        List<JsonNode> lines = Golden.lines(Golden.stream(twin(onnx)));
        Map<String, float[]> states = new HashMap<>();
        Map<String, float[]> twinStates = new HashMap<>();
        Scratch s = net.newScratch();
        Scratch ts = twin.newScratch();
        int n = 0;
        for (JsonNode g : lines) {
            String key = g.get("key").asText();
            float[] st = states.computeIfAbsent(key, k -> net.newState());
            float[] tst = twinStates.computeIfAbsent(key, k -> twin.newState());
            if (g.path("reset").asBoolean(false)) {
                java.util.Arrays.fill(st, 0f);
                java.util.Arrays.fill(tst, 0f);
            }
            float[] x = Golden.floats(g.get("input"));
            float[] y = new float[net.outputSize()];
            float[] ty = new float[twin.outputSize()];
            net.step(y, st, x, s);
            twin.step(ty, tst, x, ts);
            Golden.assertClose(g.get("expected_output"), y, onnx.getFileName() + " " + key + "#" + g.get("seq"));
            assertArrayEquals(ty, y, "the twin's output, " + key + "#" + g.get("seq"));
            n++;
        }
        assertEquals(lines.size(), n);
    }
}
