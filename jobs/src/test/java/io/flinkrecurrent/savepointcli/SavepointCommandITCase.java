package io.flinkrecurrent.savepointcli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.cli.Main;
import io.flinkrecurrent.replay.ReplayJob;
import io.flinkrecurrent.model.ModelLoader;
import io.flinkrecurrent.testing.Golden;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The commands end to end: {@code savepoint bootstrap} from the first part of an events file, the replay
 * job (operator uid {@code recurrent}) started from that savepoint on the rest gives, line for line and
 * bit for bit, the outputs (seq and state included) of one replay of the whole file; {@code savepoint
 * inspect} of the bootstrapped savepoint shows every key with the state the whole replay had after the
 * key's last event of the first part; bad lines and a wrong uid are clear errors.
 */
class SavepointCommandITCase {
    static final Path MODEL = Golden.dir().resolve("public/lstm_i8_h32_l2_head3_softmax.safetensors");
    static final int N = 1_200;
    static final int SPLIT = 700;
    static final int BAD_LINE = 41;
    static RecurrentNetwork net;

    @TempDir
    static Path dir;
    static Path whole;
    static Path first;
    static Path rest;

    static String line(int i) {
        StringBuilder b = new StringBuilder("{\"key\":\"k" + (i * 7 % 13) + "\",\"input\":[");
        long s = i * 0x9E3779B97F4A7C15L;
        for (int k = 0; k < 8; k++) {
            s ^= s >>> 29;
            s *= 0xBF58476D1CE4E5B9L;
            b.append(k == 0 ? "" : ",").append(((s >>> 40) % 1025 - 512) / 128f);
        }
        return b.append("],\"reset\":").append(i % 97 == 96).append("}").toString();
    }

    @BeforeAll
    static void files() throws Exception {
        files(dir);
    }

    /** The events files (whole, first part, rest) into {@code dir}. */
    static void files(Path dir) throws Exception {
        net = ModelLoader.load(MODEL).network();
        List<String> all = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            all.add(i + 1 == BAD_LINE ? "{\"key\":\"k5\",\"input\":[1,2]}" : line(i)); // a bad line: 2 inputs, the model takes 8
        }
        whole = Files.write(dir.resolve("whole.jsonl"), all);
        first = Files.write(dir.resolve("first.jsonl"), all.subList(0, SPLIT));
        rest = Files.write(dir.resolve("rest.jsonl"), all.subList(SPLIT, N));
    }

    record Run(int status, String out, String err) {}

    static Run cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static List<ReplayJob.Result> replay(Path events, String savepoint, int parallelism) throws Exception {
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        if (savepoint != null) {
            conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(parallelism);
        return ReplayJob.run(env, events, net);
    }

    static int[] bits(float[] v) {
        int[] b = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = Float.floatToRawIntBits(v[i]);
        }
        return b;
    }

    @Test
    void bootstrapThenTheRestGivesTheWholeReplayAndInspectShowsEveryKey() throws Exception {
        Path savepoint = dir.resolve("warm");
        Run boot = cli("savepoint", "bootstrap", "--model", MODEL.toString(), "--events", first.toString(), "--out", savepoint.toString(),
                "--max-parallelism", "64", "--parallelism", "3");
        assertEquals(3, boot.status(), "a skipped line: status 3\n" + boot.err());
        assertTrue(boot.err().contains(first + ": line " + BAD_LINE + ": ") && boot.err().contains("(key k5)")
                && boot.err().toLowerCase(Locale.ROOT).contains("input"), "names the file, the line, the field and the key: " + boot.err());
        assertTrue(Files.exists(savepoint.resolve("_metadata")), boot.out() + boot.err());
        assertEquals(64, io.flinkrecurrent.savepoint.SavepointContents.load(savepoint.toString()).recurrent("recurrent").maxParallelism(),
                "the maximum parallelism asked for");

        // one replay of the whole file against the bootstrapped savepoint and the rest
        Map<Long, ReplayJob.Result> all = new HashMap<>();
        for (ReplayJob.Result r : replay(whole, null, 2)) {
            all.put(r.line, r);
        }
        List<ReplayJob.Result> warm = replay(rest, savepoint.toUri().toString(), 2);
        assertEquals(N - SPLIT, warm.size());
        for (ReplayJob.Result r : warm) {
            ReplayJob.Result e = all.get(r.line + SPLIT);
            String at = "line " + (r.line + SPLIT);
            assertNotNull(r.output, at + ": " + r.error);
            assertEquals(e.output.key, r.output.key, at);
            assertEquals(e.output.seq, r.output.seq, at + ": seq");
            assertArrayEquals(bits(e.output.output), bits(r.output.output), at + ": output, bit for bit");
            assertArrayEquals(bits(e.output.state), bits(r.output.state), at + ": state, bit for bit");
        }

        // inspect: each key as the whole replay had it after its last event of the first part
        Map<String, ReplayJob.Result> lastBefore = new TreeMap<>();
        for (long line = 1; line <= SPLIT; line++) {
            ReplayJob.Result r = all.get(line);
            if (r.output != null) {
                lastBefore.put(r.output.key, r);
            }
        }
        Path json = dir.resolve("inspect.jsonl");
        Run inspect = cli("savepoint", "inspect", "--savepoint", savepoint.toString(), "--model", MODEL.toString(), "--state",
                "--out", json.toString());
        assertEquals(0, inspect.status(), inspect.err());
        ObjectMapper m = new ObjectMapper();
        List<String> lines = Files.readAllLines(json);
        assertEquals(lastBefore.size(), lines.size(), "one line per key");
        for (String l : lines) {
            JsonNode k = m.readTree(l);
            ReplayJob.Result e = lastBefore.get(k.get("key").asText());
            assertNotNull(e, l);
            assertEquals(e.output.seq + 1, k.get("seq").asLong(), l);
            assertTrue(k.get("model").get("matches").asBoolean(), l);
            assertEquals(Long.toHexString(net.fingerprint()), k.get("model").get("fingerprint").asText());
            float[] state = new float[k.get("state").size()];
            for (int i = 0; i < state.length; i++) {
                state[i] = (float) k.get("state").get(i).asDouble();
            }
            assertArrayEquals(bits(e.output.state), bits(state), k.get("key") + ": state, bit for bit through JSON");
            assertFalse(k.has("pending"));
        }
    }

    @Test
    void aWrongUidNamesWhatTheSavepointHolds() throws Exception {
        Path savepoint = dir.resolve("for-errors");
        Run boot = cli("savepoint", "bootstrap", "--model", MODEL.toString(), "--events", rest.toString(), "--out", savepoint.toString(),
                "--uid", "sensor-rnn");
        assertEquals(0, boot.status(), boot.err());
        Run wrong = cli("savepoint", "inspect", "--savepoint", savepoint.toString());
        assertEquals(1, wrong.status());
        assertTrue(wrong.err().contains("no operator with uid 'recurrent'") && wrong.err().contains("flink-recurrent operator(s) [sensor-rnn]")
                && wrong.err().contains("recurrent-state"), wrong.err());
        Run again = cli("savepoint", "bootstrap", "--model", MODEL.toString(), "--events", rest.toString(), "--out", savepoint.toString());
        assertEquals(1, again.status());
        assertTrue(again.err().contains("holds a savepoint already"), again.err());
        Run notOne = cli("savepoint", "inspect", "--savepoint", dir.resolve("nothing-here").toString());
        assertEquals(1, notOne.status());
        assertTrue(notOne.err().contains("nothing-here") && notOne.err().contains("not a readable savepoint"), notOne.err());
        Run usage = cli("savepoint", "bootstrap", "--model", MODEL.toString(), "--out", dir.resolve("x").toString());
        assertEquals(2, usage.status());
        assertTrue(usage.err().contains("--events FILE"), usage.err());
    }
}
