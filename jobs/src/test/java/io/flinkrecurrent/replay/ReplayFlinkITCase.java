package io.flinkrecurrent.replay;

import io.flinkrecurrent.cli.CliTest;
import io.flinkrecurrent.testing.FlinkTesting;
import io.flinkrecurrent.testing.Golden;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code replay --engine flink --parallelism 2} writes exactly what the plain engine writes. */
class ReplayFlinkITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = FlinkTesting.miniCluster();

    @TempDir
    Path dir;

    static List<Path> models() {
        return Golden.models();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void sameOutputAsThePlainEngine(Path model) throws Exception {
        Path local = dir.resolve("local.jsonl");
        Path flink = dir.resolve("flink.jsonl");
        String events = Golden.stream(model).toString();
        CliTest.Run l = CliTest.run("replay", "--model", model.toString(), "--events", events, "--out", local.toString());
        CliTest.Run f = CliTest.run("replay", "--engine", "flink", "--parallelism", "2", "--model", model.toString(),
                "--events", events, "--out", flink.toString());
        assertEquals(0, l.code(), l.err());
        assertEquals(0, f.code(), f.err());
        assertEquals(Files.readString(local), Files.readString(flink));
        List<com.fasterxml.jackson.databind.JsonNode> golden = Golden.lines(Golden.stream(model));
        List<com.fasterxml.jackson.databind.JsonNode> ours = Golden.lines(flink);
        for (int i = 0; i < golden.size(); i++) {
            Golden.assertMatches(golden.get(i), ours.get(i), model.getFileName() + " line " + (i + 1));
        }
    }

    @Test
    void malformedLinesAreReportedAsByThePlainEngine() throws Exception {
        Path model = Golden.dir().resolve("public/article_linear.safetensors");
        Path events = dir.resolve("events.jsonl");
        Files.writeString(events, String.join("\n",
                "{\"key\":\"a\",\"input\":[3.0]}",
                "{\"key\":\"a\",\"input\":[3.0,",
                "{\"key\":\"b\",\"input\":[1.0]}",
                "{\"key\":\"a\",\"input\":[3.0, 2.0]}",
                "{\"key\":\"a\",\"input\":[3.0]}") + "\n");
        CliTest.Run l = CliTest.run("replay", "--model", model.toString(), "--events", events.toString());
        CliTest.Run f = CliTest.run("replay", "--engine", "flink", "--model", model.toString(), "--events", events.toString());
        assertEquals(Replay.EXIT_SKIPPED, f.code(), f.err());
        assertEquals(l.out(), f.out());
        assertEquals(l.err(), f.err());
    }
}
