package io.flinkrecurrent.cli;

import io.flinkrecurrent.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The launcher (jobs/flink-recurrent) hands the command's exit status and output through, with no Maven around them. */
class LauncherIT {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {}

    static Run launch(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("sh", Path.of("flink-recurrent").toAbsolutePath().toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).start();
        // read both streams fully (they are small) before waiting
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "the launcher ends");
        return new Run(p.exitValue(), out, err);
    }

    @Test
    void exitCodesArriveAsTheyAre() throws Exception {
        Run help = launch("help");
        assertEquals(0, help.code(), help.err());
        assertTrue(help.out().contains("Commands:"), help.out());

        Run usage = launch("replay", "--colour", "red");
        assertEquals(2, usage.code(), usage.err());
        assertTrue(usage.err().contains("unknown option --colour"), usage.err());

        Path events = dir.resolve("events.jsonl");
        Files.writeString(events, "{\"key\":\"a\",\"input\":[3]}\nnot json\n");
        Path out = dir.resolve("out.jsonl");
        Run skipped = launch("replay", "--model", Golden.dir().resolve("public/article_linear.safetensors").toString(),
                "--events", events.toString(), "--out", out.toString());
        assertEquals(3, skipped.code(), skipped.err());
        assertTrue(skipped.err().contains("line 2:"), skipped.err());
        assertEquals("{\"key\":\"a\",\"seq\":0,\"output\":[2.0],\"h\":[[3.0]]}\n", Files.readString(out));

        for (Run r : List.of(help, usage, skipped)) {
            assertFalse(r.err().contains("BUILD FAILURE") || r.err().contains("[ERROR]") || r.out().contains("\u001b["),
                    "no Maven output around the command's: " + r.err());
        }
    }
}
