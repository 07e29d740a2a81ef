package io.flinkrecurrent.replay;

import io.flinkrecurrent.cli.CliTest;
import io.flinkrecurrent.model.SafeTensors;
import io.flinkrecurrent.model.Tensor;
import io.flinkrecurrent.testing.FlinkTesting;
import io.flinkrecurrent.testing.Golden;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 13's reproductions of replay losing data, each rerun: --out onto the events file, a line that
 * is not UTF-8, a field given twice, a step that overflows; in both engines, which agree.
 */
class ReplaySafetyITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = FlinkTesting.miniCluster();

    @TempDir
    Path dir;

    final Path article = Golden.dir().resolve("public/article_linear.safetensors");

    static String event(String key, float x) {
        return "{\"key\":\"" + key + "\",\"input\":[" + x + "]}";
    }

    @Test
    void outOntoTheEventsFileIsRefusedThroughAnyPath() throws IOException {
        Path events = dir.resolve("events.jsonl");
        Files.writeString(events, event("a", 3) + "\n" + event("a", 3) + "\n");
        byte[] before = Files.readAllBytes(events);
        Files.createDirectories(dir.resolve("sub"));
        Path link = Files.createSymbolicLink(dir.resolve("link.jsonl"), events);
        for (Path out : List.of(events, dir.resolve("sub/../events.jsonl"), link)) {
            CliTest.Run r = CliTest.run("replay", "--model", article.toString(), "--events", events.toString(),
                    "--out", out.toString());
            assertEquals(2, r.code(), out + ": " + r.err());
            assertTrue(r.err().contains("is the events file"), r.err());
            assertArrayEquals(before, Files.readAllBytes(events), "the events file is untouched");
        }
    }

    /** Runs both engines on the same file; returns the local run after checking the Flink run gave the same. */
    CliTest.Run bothEngines(Path model, Path events, String... modelOptions) throws IOException {
        Path local = dir.resolve("local.jsonl");
        Path flink = dir.resolve("flink.jsonl");
        List<String> common = new java.util.ArrayList<>(List.of("--model", model.toString(), "--events", events.toString()));
        common.addAll(List.of(modelOptions));
        List<String> l = new java.util.ArrayList<>(List.of("replay", "--out", local.toString()));
        l.addAll(common);
        List<String> f = new java.util.ArrayList<>(List.of("replay", "--engine", "flink", "--out", flink.toString()));
        f.addAll(common);
        CliTest.Run a = CliTest.run(l.toArray(new String[0]));
        CliTest.Run b = CliTest.run(f.toArray(new String[0]));
        assertEquals(a.code(), b.code(), a.err() + " / " + b.err());
        assertEquals(Files.readString(local), Files.readString(flink), "both engines write the same bytes");
        assertEquals(a.err().replace("replay:", ""), b.err().replace("replay:", ""), "and report the same lines");
        return new CliTest.Run(a.code(), Files.readString(local), a.err());
    }

    @Test
    void aLineThatIsNotUtf8IsSkippedWithItsNumberAndTheRunGoesOn() throws IOException {
        Path events = dir.resolve("utf8.jsonl");
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < 5; i++) {
            b.writeBytes((event("a", 1) + "\n").getBytes(StandardCharsets.UTF_8));
        }
        b.writeBytes("{\"key\":\"a".getBytes(StandardCharsets.UTF_8));
        b.write(0xff); // never valid in UTF-8
        b.writeBytes("\",\"input\":[1]}\n".getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < 5; i++) {
            b.writeBytes((event("b", 1) + "\n").getBytes(StandardCharsets.UTF_8));
        }
        Files.write(events, b.toByteArray());
        CliTest.Run r = bothEngines(article, events);
        assertEquals(3, r.code(), r.err());
        assertTrue(r.err().contains("line 6: not valid UTF-8 (skipped)"), r.err());
        assertEquals(10, r.out().lines().count(), "the 5 lines before it and the 5 after it");
    }

    @Test
    void aFieldGivenTwiceIsRefused() throws IOException {
        Path events = dir.resolve("twice.jsonl");
        Files.writeString(events, event("a", 3) + "\n{\"key\":\"a\",\"input\":[1],\"input\":[2]}\n" + event("a", 3) + "\n");
        CliTest.Run r = bothEngines(article, events);
        assertEquals(3, r.code(), r.err());
        assertTrue(r.err().contains("line 2:") && r.err().contains("Duplicate field 'input'"), r.err());
        assertEquals(2, r.out().lines().count());
    }

    @Test
    void anOverflowIsReportedPerLineAndNoInfinityIsWritten() throws IOException {
        // h = 2h + x with the identity: with x = 1 it overflows float32 at the 128th step
        Path model = dir.resolve("doubling.safetensors");
        SafeTensors.write(model, Map.of("cell_type", "rnn", "nonlinearity", "identity"), List.of(
                Tensor.f32("rnn.weight_ih_l0", new float[] {1}, 1, 1), Tensor.f32("rnn.weight_hh_l0", new float[] {2}, 1, 1),
                Tensor.f32("rnn.bias_ih_l0", new float[] {0}, 1), Tensor.f32("rnn.bias_hh_l0", new float[] {0}, 1)));
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 130; i++) {
            sb.append(event("a", 1)).append('\n');
        }
        sb.append(event("b", 1)).append('\n');
        Path events = dir.resolve("overflow.jsonl");
        Files.writeString(events, sb.toString());
        CliTest.Run r = bothEngines(model, events);
        assertEquals(3, r.code(), r.err());
        for (int line = 128; line <= 130; line++) {
            assertTrue(r.err().contains("line " + line + ": the step made the key's state or the output NaN or infinite"), r.err());
        }
        assertEquals(128, r.out().lines().count(), "127 steps of a, one of b");
        assertFalse(r.out().contains("Infinity") || r.out().contains("NaN"), "no non-finite number in the JSON");
        assertTrue(r.out().lines().skip(126).findFirst().orElseThrow().contains("1.7014118E38"), "2^127 kept as the last state");
    }
}
