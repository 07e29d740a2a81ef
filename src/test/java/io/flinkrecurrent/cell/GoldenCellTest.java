package io.flinkrecurrent.cell;

import com.fasterxml.jackson.databind.JsonNode;
import io.flinkrecurrent.model.ModelLoader;
import io.flinkrecurrent.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cells against PyTorch's golden vectors, event by event, output and every layer's h and c. */
class GoldenCellTest {

    static List<Path> models() {
        return Golden.models();
    }

    @Test
    void allGoldenModelsArePresent() {
        assertTrue(models().size() >= 7, "golden models found: " + models());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void matchesPyTorchStepByStep(Path model) {
        RecurrentNetwork net = ModelLoader.load(model).network();
        Map<String, float[]> states = new HashMap<>();
        float[] out = new float[net.outputSize()];
        io.flinkrecurrent.cell.Scratch scratch = net.newScratch();
        int n = 0;
        for (JsonNode line : Golden.lines(Golden.stream(model))) {
            String where = model.getFileName() + " line " + (++n);
            float[] state = states.computeIfAbsent(line.get("key").asText(), k -> net.newState());
            if (line.path("reset").asBoolean(false)) {
                Arrays.fill(state, 0f);
            }
            net.step(out, state, Golden.floats(line.get("input")), scratch);
            Golden.assertClose(line.get("expected_output"), out, where + " output");
            for (int l = 0; l < net.numLayers(); l++) {
                Golden.assertClose(line.get("expected_h").get(l), net.h(state, l), where + " h[" + l + "]");
                if (line.has("expected_c")) {
                    Golden.assertClose(line.get("expected_c").get(l), net.c(state, l), where + " c[" + l + "]");
                }
            }
        }
        assertTrue(n > 0, "no events in the stream of " + model);
    }

    /** The article's example through the general-recurrence API: 2, -4, -16, reset, 2. */
    @Test
    void articleExampleThroughGeneralRecurrence() {
        RecurrentModel article = Recurrence.of("article", 1, 1, 1, 1,
                (next, h, x) -> next[0] = 2 * h[0] + x[0],
                (y, h) -> y[0] = 5 - h[0]);
        assertArrayEquals(new float[] {2, -4, -16, 2}, runArticle(article));
    }

    /** The same recurrence as an identity Elman RNN with a linear head, built in code. */
    @Test
    void articleExampleThroughIdentityRnn() {
        RecurrentNetwork rnn = RecurrentNetwork.builder(CellType.RNN, 1, 1)
                .nonlinearity(Activation.IDENTITY)
                .layer(new float[] {1}, new float[] {2}, new float[] {0}, new float[] {0})
                .head(new float[] {-1}, new float[] {5}, Activation.IDENTITY)
                .build();
        assertArrayEquals(new float[] {2, -4, -16, 2}, runArticle(rnn));
        assertEquals(1, rnn.stateSize());
    }

    private static float[] runArticle(RecurrentModel m) {
        float[] state = m.newState();
        Scratch scratch = m.newScratch();
        float[] y = new float[1];
        float[] got = new float[4];
        for (int i = 0; i < 3; i++) {
            m.step(y, state, new float[] {3}, scratch);
            got[i] = y[0];
        }
        Arrays.fill(state, 0f); // reset
        m.step(y, state, new float[] {3}, scratch);
        got[3] = y[0];
        return got;
    }
}
