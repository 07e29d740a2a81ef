package io.flinkrecurrent.savepointcli;

import io.flinkrecurrent.testing.KafkaBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code savepoint bootstrap} from a Kafka topic on a real broker, up to a given offset: the same
 * savepoint (every key's line of {@code savepoint inspect}, state in full) as from the file of the same
 * first lines, and a bad record named by its partition, offset, field and key.
 */
class SavepointBootstrapKafkaIT {
    @org.junit.jupiter.api.extension.RegisterExtension
    static final KafkaBroker.PerClass KAFKA = new KafkaBroker.PerClass();

    @TempDir
    static Path dir;

    static List<String> inspect(Path savepoint) throws Exception {
        Path out = dir.resolve(savepoint.getFileName() + ".jsonl");
        SavepointCommandITCase.Run r = SavepointCommandITCase.cli("savepoint", "inspect", "--savepoint", savepoint.toString(),
                "--state", "--out", out.toString());
        assertEquals(0, r.status(), r.err());
        List<String> lines = new ArrayList<>();
        for (String l : Files.readAllLines(out)) {
            // the bootstrap's own clock; and the Kafka records' timestamps (a file's lines have none), which the
            // job reading the topic takes as event times too
            lines.add(l.replaceAll("\"processing_time\":\\d+", "\"processing_time\":_").replaceAll("\"event_time\":(\\d+|null)", "\"event_time\":_"));
        }
        return lines;
    }

    @Test
    void aTopicUpToAnOffsetGivesTheSavepointOfTheSameLines() throws Exception {
        SavepointCommandITCase.files(dir);
        List<String> all = Files.readAllLines(SavepointCommandITCase.whole);
        KAFKA.broker().createTopic("history", 1);
        KAFKA.broker().produce("history", all);

        Path fromKafka = dir.resolve("from-kafka");
        SavepointCommandITCase.Run k = SavepointCommandITCase.cli("savepoint", "bootstrap", "--model", SavepointCommandITCase.MODEL.toString(),
                "--bootstrap-servers", KAFKA.broker().bootstrapServers(), "--topic", "history",
                "--until-offsets", "0:" + SavepointCommandITCase.SPLIT, "--out", fromKafka.toString());
        assertEquals(3, k.status(), k.out() + k.err());
        assertTrue(k.err().contains("topic history: partition 0 offset " + (SavepointCommandITCase.BAD_LINE - 1) + ": ")
                && k.err().contains("(key k5)"), k.err());

        Path fromFile = dir.resolve("from-file");
        SavepointCommandITCase.Run f = SavepointCommandITCase.cli("savepoint", "bootstrap", "--model", SavepointCommandITCase.MODEL.toString(),
                "--events", SavepointCommandITCase.first.toString(), "--out", fromFile.toString());
        assertEquals(3, f.status(), f.err());
        List<String> a = inspect(fromKafka);
        List<String> b = inspect(fromFile);
        assertEquals(13, a.size(), "every key");
        assertEquals(b.size(), a.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(b.get(i), a.get(i), "the same key, state (bit for bit through JSON), counters");
        }
    }
}
