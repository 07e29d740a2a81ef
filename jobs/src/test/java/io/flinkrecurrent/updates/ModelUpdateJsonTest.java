package io.flinkrecurrent.updates;

import io.flinkrecurrent.flink.ModelUpdate;
import io.flinkrecurrent.replay.SwapLines;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.connector.file.src.reader.BulkFormat;
import org.apache.flink.connector.file.src.util.RecordAndPosition;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The model-update JSON record: its rules, each record that breaks one refused with that rule as the
 * reason, and the three ways a record comes in (a replay control line, a .json file in a watched
 * folder, a Kafka record) giving the same update, or the same reason, for the same record.
 */
class ModelUpdateJsonTest {
    @TempDir
    Path dir;
    Path model;
    String sha;

    @BeforeEach
    void aModelFile() throws Exception {
        model = dir.resolve("r2.safetensors");
        Files.write(model, "not read as a model here, only hashed".getBytes(StandardCharsets.UTF_8));
        sha = HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(model)));
    }

    String record(String fields) {
        return "{\"model\":\"" + model + "\"" + (fields.isEmpty() ? "" : "," + fields) + "}";
    }

    @Test
    void onlyTheModelIsRequired() throws Exception {
        assertEquals(ModelUpdate.swap(model.toString(), sha, "r2", ModelUpdate.Policy.RESET), ModelUpdateJson.decode(record("")));
    }

    @Test
    void everyFieldAsGiven() throws Exception {
        String other = "ab".repeat(32);
        ModelUpdate u = ModelUpdateJson.decode(record("\"kind\":\"Shadow\",\"policy\":\"WARM_UP\",\"warm_up\":20,"
                + "\"version\":\"r2-candidate\",\"sha256\":\"" + other.toUpperCase() + "\""));
        assertEquals(ModelUpdate.shadow(model.toString(), other, "r2-candidate", ModelUpdate.Policy.WARM_UP, 20), u);
        ModelUpdate keep = ModelUpdateJson.decode(record("\"kind\":\"swap\",\"policy\":\"keep\""));
        assertEquals(ModelUpdate.swap(model.toString(), sha, "r2", ModelUpdate.Policy.KEEP), keep);
        ModelUpdate warm = ModelUpdateJson.decode(record("\"policy\":\"warm_up\",\"warm_up\":3"));
        assertEquals(ModelUpdate.swapWarmingUp(model.toString(), sha, "r2", 3), warm);
    }

    @Test
    void promoteAndStopShadowNeedNoModel() throws Exception {
        assertEquals(ModelUpdate.promote(), ModelUpdateJson.decode("{\"kind\":\"promote\"}"));
        assertEquals(ModelUpdate.stopShadow(), ModelUpdateJson.decode(" {\"kind\": \"stop_shadow\"} "));
    }

    @Test
    void aRecordIsALineWithAModelOrAKind() {
        assertTrue(ModelUpdateJson.isRecord(record("")));
        assertTrue(ModelUpdateJson.isRecord("{\"kind\":\"promote\"}"));
        assertFalse(ModelUpdateJson.isRecord("{\"key\":\"a\",\"input\":[1,2]}"));
    }

    /** Each rule a record can break, and the reason it is refused with. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "not json                    | not JSON: Unrecognized token 'not'",
            "[1, 2]                      | not a JSON object",
            "`{\"kind\":\"promote\"} {}`   | not one JSON object: something follows it",
            "`{\"kind\":\"promote\",\"kind\":\"swap\"}` | not JSON: Duplicate field 'kind'",
            "`{\"modle\":\"x\"}`           | 'modle' is not a field of a model update (kind, model, sha256, version, policy, warm_up)",
            "`{\"model\":7}`               | field 'model' must be a string, got 7",
            "`{\"model\":[\"x\"]}`         | field 'model' must be a string, got an array",
            "`{\"policy\":\"keep\"}`       | field 'model' (the file's path or URI) is missing",
            "`{\"model\":\" \"}`           | field 'model' is empty",
            "`{\"kind\":\"replace\",\"model\":\"x\"}` | field 'kind' is 'replace', not one of [swap, shadow, promote, stop_shadow]",
            "`{\"kind\":\"promote\",\"model\":\"x\"}` | kind promote takes no other field, got 'model'",
            "`{\"kind\":\"stop_shadow\",\"version\":\"x\"}` | kind stop_shadow takes no other field, got 'version'",
            "`{\"model\":\"MODEL\",\"policy\":\"restart\"}` | field 'policy' is 'restart', not one of [reset, keep, warm_up]",
            "`{\"model\":\"MODEL\",\"policy\":\"warm_up\"}` | policy warm_up needs 'warm_up': the number of inputs to replay",
            "`{\"model\":\"MODEL\",\"policy\":\"warm_up\",\"warm_up\":2.5}` | field 'warm_up' must be a positive integer, got 2.5",
            "`{\"model\":\"MODEL\",\"policy\":\"warm_up\",\"warm_up\":0}` | field 'warm_up' must be a positive integer, got 0",
            "`{\"model\":\"MODEL\",\"warm_up\":5}` | field 'warm_up' goes with policy warm_up, not reset",
            "`{\"model\":\"MODEL\",\"version\":\"\"}` | field 'version' is empty",
            "`{\"model\":\"MODEL\",\"sha256\":\"abc\"}` | field 'sha256' must be the file's SHA-256, 64 hex digits, got 'abc'",
            "`{\"model\":\"MISSING\"}`     | the model MISSING",
    })
    void aBadRecordIsRefusedWithItsReason(String text, String reason) {
        String json = text.replace("MODEL", model.toString()).replace("MISSING", dir.resolve("missing.safetensors").toString());
        String expected = reason.replace("MISSING", dir.resolve("missing.safetensors").toString());
        String got = assertThrows(ModelUpdateJson.BadRecordException.class, () -> ModelUpdateJson.decode(json)).getMessage();
        assertTrue(got.startsWith(expected), "for " + json + ": " + got);
        UnusableUpdate bad = assertInstanceOf(UnusableUpdate.class, ModelUpdateJson.decodeOrUnusable(json, "line 3"));
        assertEquals("line 3", bad.where);
        assertEquals(got, bad.reason);
        assertNull(bad.kind, "every subtask refuses it");
        assertNull(bad.version, "the reason is not in the version");
        assertEquals("the record at line 3 is not a model update: " + got, bad.toString());
    }

    /** The same record through each way in: the same update, or the same reason. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "`{\"model\":\"MODEL\"}`",
            "`{\"model\":\"MODEL\",\"policy\":\"warm_up\",\"warm_up\":4,\"version\":\"v4\"}`",
            "`{\"kind\":\"shadow\",\"model\":\"MODEL\",\"policy\":\"reset\"}`",
            "`{\"kind\":\"promote\"}`",
            "`{\"model\":\"MODEL\",\"policy\":\"warm_up\"}`",
            "`{\"model\":\"MODEL\",\"kind\":\"promote\"}`",
            "`{\"model\":\"MODEL\",\"warmup\":4}`",
            "`{\"model\":\"MODEL\",\"sha256\":\"0000000000000000000000000000000000000000000000000000000000000000\"}`",
            "`{\"model\":\"MODEL\"`",
    })
    void theThreeWaysInGiveTheSameResult(String text) throws Exception {
        String json = text.replace("MODEL", model.toString());
        ModelUpdate expected;
        String reason = null;
        try {
            expected = ModelUpdateJson.decode(json);
        } catch (ModelUpdateJson.BadRecordException e) {
            expected = null;
            reason = e.getMessage();
        }

        // a replay control line, between two events
        Path events = dir.resolve("events.jsonl");
        Files.writeString(events, "{\"key\":\"a\",\"input\":[1]}\n" + json + "\n{\"key\":\"a\",\"input\":[2]}\n");
        List<SwapLines.Control> controls = SwapLines.controls(events, 1);
        assertEquals(1, controls.size(), json + " is a control line");
        SwapLines.Control line = controls.get(0);
        assertEquals(2, line.line());

        // a record of a Kafka topic
        List<ModelUpdate> fromKafka = new ArrayList<>();
        new ModelUpdateRecords().deserialize(new ConsumerRecord<>("model-updates", 1, 41L, null,
                json.getBytes(StandardCharsets.UTF_8)), new ListCollector(fromKafka));
        assertEquals(1, fromKafka.size());

        // a .json file in a watched folder
        Path file = Files.createDirectories(dir.resolve("watched")).resolve("r2.json");
        Files.writeString(file, json);
        assertTrue(UpdateRecordFiles.isRecordFile(new org.apache.flink.core.fs.Path(file.toUri())));
        ModelUpdate fromFolder = readRecordFile(file);

        if (expected != null) {
            assertEquals(expected, line.update());
            assertNull(line.error());
            assertEquals(expected, fromKafka.get(0));
            assertEquals(expected, fromFolder);
        } else {
            assertNull(line.update());
            assertEquals(reason, line.error());
            UnusableUpdate k = assertInstanceOf(UnusableUpdate.class, fromKafka.get(0));
            assertEquals("partition 1 offset 41", k.where);
            assertEquals(reason, k.reason);
            UnusableUpdate f = assertInstanceOf(UnusableUpdate.class, fromFolder);
            assertEquals("file " + file, f.where);
            assertEquals(reason, f.reason);
        }
    }

    @Test
    void aWatchedFolderReadsOnlyFinishedJsonFiles() {
        assertTrue(UpdateRecordFiles.isRecordFile(new org.apache.flink.core.fs.Path("/models/r3.json")));
        assertTrue(UpdateRecordFiles.isRecordFile(new org.apache.flink.core.fs.Path("/models/sub")));
        assertFalse(UpdateRecordFiles.isRecordFile(new org.apache.flink.core.fs.Path("/models/.r3.json")));
        assertFalse(UpdateRecordFiles.isRecordFile(new org.apache.flink.core.fs.Path("/models/_r3.json")));
        assertFalse(UpdateRecordFiles.isRecordFile(new org.apache.flink.core.fs.Path("/models/r3.safetensors")));
    }

    /** The folder source's reader on one file, as the file source runs it. */
    static ModelUpdate readRecordFile(Path file) throws Exception {
        org.apache.flink.core.fs.Path p = new org.apache.flink.core.fs.Path(file.toUri());
        long size = Files.size(file);
        try (BulkFormat.Reader<ModelUpdate> reader = new UpdateRecordFiles.RecordFormat()
                .createReader(new Configuration(), new FileSourceSplit("0", p, 0, size, 0, size))) {
            BulkFormat.RecordIterator<ModelUpdate> batch = reader.readBatch();
            RecordAndPosition<ModelUpdate> r = batch.next();
            assertNull(batch.next(), "one record a file");
            batch.releaseBatch();
            assertNull(reader.readBatch());
            return r.getRecord();
        }
    }

    private record ListCollector(List<ModelUpdate> into) implements Collector<ModelUpdate> {
        @Override
        public void collect(ModelUpdate record) {
            into.add(record);
        }

        @Override
        public void close() {}
    }
}
