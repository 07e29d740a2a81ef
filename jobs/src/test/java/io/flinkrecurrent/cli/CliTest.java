package io.flinkrecurrent.cli;

import io.flinkrecurrent.replay.Replay;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flinkrecurrent.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line as a user runs it: replay over every golden stream, bad lines, usage errors. */
public class CliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** What a run printed and returned. */
    public record Run(int code, String out, String err) {}

    public static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Every golden model, safetensors and ONNX (replay takes either). */
    static List<Path> models() {
        return Golden.allModels();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void replayReproducesTheGoldenStream(Path model) throws IOException {
        Path out = dir.resolve("out.jsonl");
        Run r = run("replay", "--model", model.toString(), "--events", Golden.stream(model).toString(),
                "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.out());
        List<JsonNode> golden = Golden.lines(Golden.stream(model));
        List<JsonNode> ours = Golden.lines(out);
        assertEquals(golden.size(), ours.size(), "one output line per event, in input order");
        for (int i = 0; i < golden.size(); i++) {
            Golden.assertMatches(golden.get(i), ours.get(i), model.getFileName() + " line " + (i + 1));
        }
    }

    @Test
    void replayWritesToStdoutWithoutOut() throws IOException {
        Path model = Golden.dir().resolve("public/article_linear.safetensors");
        Run r = run("replay", "--model", model.toString(), "--events", Golden.stream(model).toString());
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().split("\n");
        assertEquals(8, lines.length);
        JsonNode first = JSON.readTree(lines[0]);
        assertEquals("article", first.get("key").asText());
        assertEquals(2.0, first.get("output").get(0).asDouble());
        assertEquals(3.0, first.get("h").get(0).get(0).asDouble());
        assertTrue(first.get("c") == null, "no c for an RNN");
    }

    @Test
    void malformedLinesAreReportedWithTheirNumberAndSkipped() throws IOException {
        Path model = Golden.dir().resolve("public/article_linear.safetensors");
        Path events = dir.resolve("events.jsonl");
        Files.writeString(events, String.join("\n",
                "{\"key\":\"a\",\"seq\":0,\"input\":[3.0]}",                 // 1 ok
                "{\"key\":\"a\",\"input\":[3.0",                            // 2 invalid JSON
                "{\"seq\":1,\"input\":[3.0]}",                              // 3 no key
                "{\"key\":null,\"input\":[3.0]}",                           // 4 null key
                "{\"key\":\"a\",\"input\":[3.0,1.0]}",                      // 5 wrong width
                "{\"key\":\"a\",\"input\":[\"x\"]}",                        // 6 not a number
                "{\"key\":\"a\",\"input\":[1e39]}",                         // 7 not a finite float32
                "{\"key\":\"a\",\"seq\":-4,\"input\":[3.0]}",               // 8 bad seq
                "[1,2]",                                                    // 9 not an object
                "",                                                         // 10 blank: ignored
                "{\"key\":\"a\",\"seq\":1,\"input\":[3.0],\"extra\":{\"x\":[1]}}", // 11 ok, extra field ignored
                "{\"key\":\"a\",\"reset\":true,\"input\":[3.0]}"            // 12 ok, reset, no seq
        ) + "\n");
        Run r = run("replay", "--model", model.toString(), "--events", events.toString());
        assertEquals(Replay.EXIT_SKIPPED, r.code(), r.err());
        for (String s : new String[] {"line 2: invalid JSON", "line 3: field 'key' is missing",
                "line 4: field 'key' is null", "line 5: field 'input' has more than 1 values",
                "line 6: field 'input' element 0 is a string", "line 7: field 'input' element 0 (1e39) is not a finite",
                "line 8: field 'seq' must be a non-negative integer", "line 9: not a JSON object",
                "skipped 8 malformed lines"}) {
            assertTrue(r.err().contains(s), "stderr lacks '" + s + "':\n" + r.err());
        }
        assertFalse(r.err().contains("line 10"), r.err());
        String[] lines = r.out().split("\n");
        assertEquals(3, lines.length, r.out());
        assertEquals(2.0, JSON.readTree(lines[0]).get("output").get(0).asDouble());
        assertEquals(-4.0, JSON.readTree(lines[1]).get("output").get(0).asDouble(), "the skipped lines did not step");
        JsonNode last = JSON.readTree(lines[2]);
        assertEquals(2.0, last.get("output").get(0).asDouble(), "reset");
        assertEquals(2, last.get("seq").asLong(), "without seq, the key's event count");
    }

    @Test
    void inspectDescribesTheModel() {
        Run r = run("inspect", "--model", Golden.dir().resolve("extra/lstm_proj_i6_h12_p5_l2_head3_softmax.safetensors").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("architecture:  lstm(input=6, hidden=12, layers=2, proj=5) -> linear(5 -> 3, softmax)"), r.out());
        assertTrue(r.out().contains("state per key: 34 floats (136 bytes)"), r.out()); // 2*5 h + 2*12 c
        assertTrue(r.out().contains("rnn.weight_hr_l1  F32 [5, 12]"), r.out());
        assertTrue(r.out().contains("cell_type: lstm"), r.out());
    }

    @Test
    void usageErrorsExitTwoWithTheUsage() {
        Run unknown = run("frobnicate");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("unknown command 'frobnicate'"), unknown.err());
        assertTrue(unknown.err().contains("Commands:"), unknown.err());

        Run noModel = run("replay", "--events", "x.jsonl");
        assertEquals(2, noModel.code());
        assertTrue(noModel.err().contains("option --model is required"), noModel.err());
        assertTrue(noModel.err().contains("replay --model FILE --events FILE"), noModel.err());

        Run badOption = run("inspect", "--model", "m", "--colour", "red");
        assertEquals(2, badOption.code());
        assertTrue(badOption.err().contains("unknown option --colour"), badOption.err());

        Run badValue = run("inspect", "--model", "m", "--cell", "transformer");
        assertEquals(2, badValue.code());
        assertTrue(badValue.err().contains("unknown cell type 'transformer'"), badValue.err());
    }

    @Test
    void missingFilesExitOneNamingTheFile() {
        Run noModel = run("inspect", "--model", dir.resolve("nope.safetensors").toString());
        assertEquals(1, noModel.code());
        assertTrue(noModel.err().contains("nope.safetensors"), noModel.err());

        Path model = Golden.dir().resolve("public/article_linear.safetensors");
        Run noEvents = run("replay", "--model", model.toString(), "--events", dir.resolve("nope.jsonl").toString());
        assertEquals(1, noEvents.code());
        assertTrue(noEvents.err().contains("nope.jsonl: events file not found"), noEvents.err());
    }

    @Test
    void helpForEveryCommand() {
        assertTrue(run().out().contains("Commands:"));
        assertTrue(run("help").out().contains("replay"));
        assertTrue(run("help", "replay").out().contains("Exit status"));
        assertTrue(run("help", "inspect").out().contains("--head-prefix"));
        assertEquals(2, run("help", "nothing").code());
    }
}
