package io.flinkrecurrent.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.cell.Scratch;
import io.flinkrecurrent.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
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
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every ONNX export in golden/onnx (torch.onnx.export's single-step graphs, opset 17) read by the pure
 * Java reader: PyTorch's golden stream to 1e-5, and bit for bit what its safetensors twin computes.
 */
class OnnxLoaderTest {
    static List<Path> onnxModels() throws IOException {
        return onnx("onnx");
    }

    /** Whole-sequence exports made here by tools/gen_onnx_exports.py: 2 and 3 layers, bias=False, heads. */
    static List<Path> exports() throws IOException {
        return onnx("onnx-export");
    }

    static List<Path> onnx(String dir) throws IOException {
        try (Stream<Path> s = Files.walk(Golden.dir().resolve(dir))) {
            return s.filter(p -> p.toString().endsWith(".onnx") && !p.getParent().endsWith("refused")).sorted().toList();
        }
    }

    /** The safetensors twin: the same name in the same set (public or perf). */
    static Path twin(Path onnx) {
        String name = onnx.getFileName().toString().replace(".onnx", ".safetensors");
        return Golden.dir().resolve(onnx.getParent().getFileName().toString()).resolve(name);
    }

    /** What the cells cannot run, refused with the file, the node and the reason (made by tools/gen_onnx_exports.py). */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "gru_linear_before_reset_0.onnx | node GRU '/rnn/GRU': linear_before_reset=0",
            "lstm_clip.onnx | node LSTM '/rnn/LSTM': clip is set (3.0)",
            "lstm_input_forget.onnx | node LSTM '/rnn/LSTM': input_forget=1",
            "lstm_bidirectional.onnx | node LSTM '/rnn/LSTM': direction bidirectional: only forward layers",
            "lstm_relu_between_layers.onnx | node Relu 'between': operator Relu in the recurrent path (before layer 1)",
            "lstm_peepholes.onnx | node LSTM '/rnn/LSTM': peepholes (input P)"})
    void whatTheCellsCannotRunIsRefused(String file, String message) {
        Path onnx = Golden.dir().resolve("onnx-export/refused").resolve(file);
        ModelFileException e = assertThrows(ModelFileException.class, () -> OnnxLoader.load(onnx));
        assertTrue(e.getMessage().startsWith(onnx.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void aFileThatIsNotOnnxSaysWhere() throws IOException {
        Path bad = Files.createTempFile("not-onnx", ".onnx");
        Files.write(bad, new byte[] {0x0a, 0x7f, 1, 2}); // a field of 127 bytes in a 4-byte file
        ModelFileException e = assertThrows(ModelFileException.class, () -> OnnxLoader.load(bad));
        assertTrue(e.getMessage().contains("not a valid protocol buffer at byte 2: a field of 127 bytes where 2 are left"), e.getMessage());
        Files.delete(bad);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("exports")
    void aWholeSequenceExportGivesPyTorchsOutputs(Path onnx) {
        RecurrentNetwork net = OnnxLoader.load(onnx).network();
        String name = onnx.getFileName().toString();
        List<JsonNode> lines = Golden.lines(onnx.resolveSibling(name.replace(".onnx", ".jsonl")));
        float[] state = net.newState();
        Scratch s = net.newScratch();
        for (JsonNode g : lines) {
            float[] y = new float[net.outputSize()];
            net.step(y, state, Golden.floats(g.get("input")), s);
            Golden.assertClose(g.get("expected_output"), y, name + " step " + g.get("seq"));
        }
        assertEquals(7, lines.size());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("onnxModels")
    void anOnnxExportGivesPyTorchsOutputsAndItsTwinsBitForBit(Path onnx) {
        RecurrentNetwork net = OnnxLoader.load(onnx).network();
        RecurrentNetwork twin = ModelLoader.load(twin(onnx)).network();
        assertEquals(twin.describe(), net.describe(), "the same architecture");
        assertEquals(twin.fingerprint(), net.fingerprint(), "the same weights (so the same state in Flink)");
        List<JsonNode> lines = Golden.lines(Golden.stream(onnx));
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
