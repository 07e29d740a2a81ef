package io.flinkrecurrent.replay;

import io.flinkrecurrent.cli.CliTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.cell.Scratch;
import io.flinkrecurrent.model.ModelLoader;
import io.flinkrecurrent.model.SafeTensors;
import io.flinkrecurrent.model.Tensor;
import io.flinkrecurrent.testing.Golden;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code replay} with a control line in the events: the model changes for every key from that line
 * on, each key meeting it at its next event with the line's policy; checked against each model
 * stepped by hand on its part of each key's history.
 */
class ReplaySwapTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path A = Golden.dir().resolve("public/gru_i5_h16_l1_head2_sigmoid.safetensors");

    @TempDir
    Path dir;

    /** A's architecture with other weights. */
    Path variant() throws IOException {
        SafeTensors st = SafeTensors.read(A);
        List<Tensor> out = new ArrayList<>();
        for (Tensor t : st.tensors().values()) {
            float[] d = t.data().clone();
            for (int i = 0; i < d.length; i++) {
                d[i] = -0.8f * d[i] + (i % 5 - 2) * 0.02f;
            }
            out.add(new Tensor(t.name(), "F32", t.shape(), d));
        }
        Path p = dir.resolve("b.safetensors");
        SafeTensors.write(p, st.metadata(), out);
        return p;
    }

    static float[] input(int i) {
        float[] x = new float[5];
        for (int k = 0; k < 5; k++) {
            x[k] = ((i * 7 + k * 3) % 11 - 5) / 4f;
        }
        return x;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"reset, 0", "keep, 0", "warm_up, 3"})
    void aControlLineSwapsTheModelForEveryKey(String policy, int warmUp) throws IOException {
        Path b = variant();
        List<String> lines = new ArrayList<>();
        List<String> keyOf = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            if (i == 30) {
                lines.add("{\"model\":\"" + b + "\",\"policy\":\"" + policy + "\"" + (warmUp > 0 ? ",\"warm_up\":" + warmUp : "")
                        + ",\"version\":\"B\"}");
            }
            String key = "k" + (i % 3);
            keyOf.add(key);
            lines.add("{\"key\":\"" + key + "\",\"input\":" + Arrays.toString(input(i)) + (i == 20 ? ",\"reset\":true" : "") + "}");
        }
        Path events = dir.resolve("events.jsonl");
        Files.write(events, lines, StandardCharsets.UTF_8);
        Path out = dir.resolve("out.jsonl");
        CliTest.Run r = CliTest.run("replay", "--model", A.toString(), "--events", events.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        List<String> results = Files.readAllLines(out);
        assertEquals(60, results.size());

        RecurrentNetwork a = ModelLoader.load(A).network();
        RecurrentNetwork bm = ModelLoader.load(b).network();
        Map<String, float[]> states = new HashMap<>();
        Map<String, List<float[]>> since = new HashMap<>();
        Map<String, RecurrentNetwork> modelOf = new HashMap<>();
        Scratch sa = a.newScratch();
        Scratch sb = bm.newScratch();
        for (int i = 0; i < 60; i++) {
            String key = keyOf.get(i);
            float[] state = states.computeIfAbsent(key, k -> a.newState());
            List<float[]> hist = since.computeIfAbsent(key, k -> new ArrayList<>());
            RecurrentNetwork m = i >= 30 ? bm : a;
            if (m == bm && modelOf.get(key) != bm) {
                switch (policy) {
                    case "reset" -> {
                        Arrays.fill(state, 0f);
                        hist.clear();
                    }
                    case "warm_up" -> {
                        Arrays.fill(state, 0f);
                        float[] y = new float[2];
                        for (float[] x : hist.subList(Math.max(0, hist.size() - warmUp), hist.size())) {
                            bm.step(y, state, x, sb);
                        }
                    }
                    default -> { }
                }
            }
            modelOf.put(key, m);
            if (i == 20) {
                Arrays.fill(state, 0f);
                hist.clear();
            }
            float[] y = new float[2];
            m.step(y, state, input(i), m == bm ? sb : sa);
            hist.add(input(i));
            JsonNode got = JSON.readTree(results.get(i));
            assertEquals(key, got.get("key").asText());
            float[] o = new float[] {(float) got.get("output").get(0).asDouble(), (float) got.get("output").get(1).asDouble()};
            assertArrayEquals(y, o, 1e-6f, "line " + i + " (" + (m == bm ? "B" : "A") + ")");
            if (i < 30) {
                assertTrue(!got.has("model"), "no model named before a control line");
            } else {
                assertEquals("B", got.get("model").asText());
            }
        }
    }

    /**
     * The Flink engine gives the same lines as the plain one: its events source holds at each control
     * line until every subtask has the update, so the swap lands at the line although the updates
     * travel on the operator's broadcast input.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"reset, 0", "keep, 0", "warm_up, 3"})
    void theFlinkEngineSwapsAtTheSameLine(String policy, int warmUp) throws IOException {
        Path b = variant();
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            if (i == 100 || i == 200) {
                lines.add("{\"model\":\"" + (i == 100 ? b : A) + "\",\"policy\":\"" + policy + "\""
                        + (warmUp > 0 ? ",\"warm_up\":" + warmUp : "") + ",\"version\":\"v" + i + "\"}");
            }
            lines.add("{\"key\":\"k" + (i % 7) + "\",\"input\":" + Arrays.toString(input(i)) + (i % 50 == 49 ? ",\"reset\":true" : "") + "}");
        }
        lines.add("{\"model\":\"" + b + "\",\"policy\":\"keep\",\"version\":\"at-the-end\"}");
        Path events = dir.resolve("events.jsonl");
        Files.write(events, lines, StandardCharsets.UTF_8);
        Path local = dir.resolve("local.jsonl");
        Path flink = dir.resolve("flink.jsonl");
        CliTest.Run l = CliTest.run("replay", "--model", A.toString(), "--events", events.toString(), "--out", local.toString());
        assertEquals(0, l.code(), l.err());
        CliTest.Run f = CliTest.run("replay", "--model", A.toString(), "--events", events.toString(), "--out", flink.toString(),
                "--engine", "flink", "--parallelism", "2");
        assertEquals(0, f.code(), f.err());
        List<String> expected = Files.readAllLines(local);
        assertEquals(300, expected.size());
        assertTrue(expected.get(150).contains("\"model\":\"v100\"") && expected.get(250).contains("\"model\":\"v200\""));
        List<String> got = Files.readAllLines(flink);
        assertEquals(expected.size(), got.size());
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i), got.get(i), "result " + (i + 1));
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"local", "flink"})
    void aRefusedControlLineIsReportedAndTheReplayGoesOn(String engine) throws IOException {
        Path c = dir.resolve("other.safetensors");
        Files.copy(Golden.dir().resolve("public/lstm_i8_h32_l2_head3_softmax.safetensors"), c);
        Path events = dir.resolve("events.jsonl");
        Files.write(events, List.of(
                "{\"key\":\"a\",\"input\":[1,2,3,4,5]}",
                "{\"model\":\"" + c + "\",\"policy\":\"keep\"}",
                "{\"model\":\"" + dir.resolve("missing.safetensors") + "\"}",
                "{\"model\":\"" + c + "\",\"policy\":\"warm_up\"}",
                "{\"key\":\"a\",\"input\":[1,2,3,4,5]}"), StandardCharsets.UTF_8);
        CliTest.Run r = CliTest.run("replay", "--model", A.toString(), "--events", events.toString(), "--engine", engine);
        assertEquals(Replay.EXIT_SKIPPED, r.code(), r.err());
        assertTrue(r.err().contains("line 2: model update refused") && r.err().contains("takes 8 inputs"), r.err());
        assertTrue(r.err().contains("line 3: model update refused") && r.err().contains("missing.safetensors"), r.err());
        assertTrue(r.err().contains("line 4: model update refused") && r.err().contains("warm_up needs"), r.err());
        assertEquals(2, r.out().lines().count(), "both events replayed with the first model");
    }
}
