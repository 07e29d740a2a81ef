package io.flinkrecurrent.migration;

import com.fasterxml.jackson.core.type.TypeReference;
import io.flinkrecurrent.cell.Kernels;
import io.flinkrecurrent.testing.FlinkTesting;
import io.flinkrecurrent.testing.Gates;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Savepoints written by earlier releases restore into this code and continue exactly: for every
 * {@code migration/<release>/<scenario>/} in the test resources (written by
 * {@link MigrationSavepointGenerator}, one set per release), the scenario's job is built with the
 * current API, restored from the committed savepoint (no {@code allowNonRestoredState}: a state the job
 * cannot place fails the restore), fed the continuation, and every record it emits (outputs, rejected
 * events, shadow outputs, SQL rows and error rows, with their record timestamps) must be the plain
 * engine's in {@code expected.jsonl}, bit for bit, none missing and none repeated.
 *
 * <p>And the names: the state, timer service and broadcast state names each savepoint holds (its
 * {@code _metadata}, also listed in {@code names.json}) must all be registered by the current code,
 * with the same serializer snapshot class for the library's own serializers, checked against a
 * savepoint the current code takes of the same job: a renamed state would otherwise sit unread in the
 * restored backend, and where the outputs cannot show it (an idle timer that never fires only keeps a
 * vector longer) nothing else would fail.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SavepointMigrationITCase {
    /** The operator's metrics, to send the updates after a savepoint where their scenario says ({@link Steering}). */
    static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setConfiguration(REPORTER.addToConfiguration(new Configuration()))
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());

    /**
     * Names a later release retires on purpose, as {@code "<release>/<scenario> <uid> <kind> <name>"},
     * each only with a migration that reads its state (covered by the outputs here): none so far.
     */
    static final Set<String> RETIRED = Set.of();

    @TempDir
    Path tmp;

    static Path root() throws Exception {
        var url = SavepointMigrationITCase.class.getResource("/" + Scenario.ROOT);
        assertTrue(url != null, "no migration savepoints on the class path (src/test/resources/" + Scenario.ROOT + ")");
        return Path.of(url.toURI());
    }

    static Stream<Arguments> scenarios() throws Exception {
        Path root = root();
        List<Arguments> out = new ArrayList<>();
        for (Path dir : Scenario.all(root)) {
            out.add(Arguments.of(root.relativize(dir).toString(), dir));
        }
        return out.stream();
    }

    /** Release 0.1's scenarios are all there: a lost folder must not pass as "nothing to restore". */
    @Test
    void everyScenarioOfTheFirstReleaseIsThere() throws Exception {
        Set<String> found = new TreeSet<>();
        for (Path dir : Scenario.all(root())) {
            found.add(root().relativize(dir).toString());
        }
        Set<String> first = new TreeSet<>();
        for (var d : MigrationSavepointGenerator.definitions("0.1")) {
            first.add(Path.of("0.1", d.scenario().name).toString());
        }
        first.removeAll(found);
        assertTrue(first.isEmpty(), "release 0.1's savepoints missing from src/test/resources/migration: " + first);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void restoresAndContinuesBitForBit(String id, Path dir) throws Exception {
        Scenario s = Scenario.read(dir);
        List<Scenario.Event> events = Scenario.readEvents(dir);
        List<Out> expected = Out.read(dir.resolve("expected.jsonl"));
        assertFalse(expected.isEmpty(), id + ": an empty expected continuation");
        assertTrue(s.savepointAt < events.size(), id + ": events after the savepoint");
        for (String file : files(s)) {
            assertTrue(Files.isRegularFile(Path.of(file)), id + ": " + file + " not found: run the test from the module's "
                    + "directory (Maven does), the savepoint's model references are relative to it");
        }

        Configuration conf = FlinkTesting.jobConfig(s.backend, null);
        conf.set(StateRecoveryOptions.SAVEPOINT_PATH, dir.resolve(s.savepoint).toUri().toString());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(s.restoreParallelism);
        String run = "restore/" + id;
        Captured.clear(run);
        ScenarioJobs.build(env, s, events, run, ScenarioJobs.Mode.RESTORE);
        try {
            JobClient job = env.executeAsync("restore " + id);
            Steering.updates(REPORTER, job, s, run, true, s.restoreParallelism);
            job.getJobExecutionResult().get(120, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(id + ": the savepoint of release " + s.release + " did not restore into this code"
                    + " (a renamed state, serializer snapshot class, uid or POJO class strands every user's savepoint): "
                    + rootCause(e), e);
        }
        String diff = Out.diff(expected, Captured.get(run), Kernels.VECTOR ? 1e-6f : 0f);
        Captured.clear(run);
        if (diff != null) {
            fail(id + ": after restoring release " + s.release + "'s savepoint (" + s.description + "), the records "
                    + "differ from the plain engine's continuation:\n" + diff);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void currentCodeRegistersEveryStateNameOfTheSavepoint(String id, Path dir) throws Exception {
        Scenario s = Scenario.read(dir);
        Map<String, SavepointNames.Operator> saved = SavepointNames.read(dir.resolve(s.savepoint));
        Map<String, Map<String, String>> pinned = Scenario.JSON.readValue(dir.resolve("names.json").toFile(),
                new TypeReference<Map<String, Map<String, String>>>() {});
        assertEquals(pinned, SavepointNames.byUid(saved), id + ": names.json is not what the savepoint's _metadata holds");
        assertTrue(pinned.containsKey(s.uid), id + ": the savepoint has no state of the operator " + s.uid);

        Map<String, SavepointNames.Operator> now = SavepointNames.read(freshSavepoint(id, s, dir));
        List<String> problems = new ArrayList<>();
        for (SavepointNames.Operator old : saved.values()) {
            String who = old.uid() != null ? old.uid() : old.operatorId();
            SavepointNames.Operator cur = now.get(old.operatorId());
            if (cur == null) {
                problems.add("operator " + who + " (id " + old.operatorId() + ") holds state in the savepoint, but the current "
                        + "job has no stateful operator of that uid (it has " + SavepointNames.byUid(now).keySet() + ")");
                continue;
            }
            for (Map.Entry<String, String> e : old.states().entrySet()) {
                if (RETIRED.contains(id + " " + who + " " + e.getKey())) {
                    continue;
                }
                String serializer = cur.states().get(e.getKey());
                if (serializer == null) {
                    problems.add(who + ": the savepoint's " + e.getKey() + " is not registered by the current code, which"
                            + " registers " + cur.states().keySet() + " (renamed? the savepoint's state would be left unread)");
                } else if (e.getValue().startsWith("io.flinkrecurrent.") && !serializer.equals(e.getValue())) {
                    problems.add(who + ": " + e.getKey() + " was written with serializer snapshot " + e.getValue()
                            + ", the current code writes " + serializer);
                }
            }
        }
        if (!problems.isEmpty()) {
            fail(id + ": release " + s.release + "'s savepoint holds names the current code does not keep:\n  "
                    + String.join("\n  ", problems));
        }
    }

    /** A savepoint of the scenario's job with the current code, taken before any event (every state is registered at open). */
    Path freshSavepoint(String id, Scenario s, Path dir) throws Exception {
        Configuration conf = FlinkTesting.jobConfig(s.backend, null);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(1);
        String run = "fresh/" + id;
        ScenarioJobs.build(env, s, Scenario.readEvents(dir), run, ScenarioJobs.Mode.FRESH);
        JobClient job = env.executeAsync("fresh " + id);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (true) {
                try {
                    if (job.getJobStatus().get(10, TimeUnit.SECONDS) == JobStatus.RUNNING) {
                        String location = job.stopWithSavepoint(false, tmp.resolve("fresh").toUri().toString(),
                                SavepointFormatType.valueOf(s.format)).get(60, TimeUnit.SECONDS);
                        return Path.of(URI.create(location));
                    }
                } catch (ExecutionException e) {
                    if (System.nanoTime() > deadline) {
                        throw e;
                    }
                }
                assertTrue(System.nanoTime() < deadline, "the fresh job did not start within 60 s");
                Thread.sleep(100);
            }
        } finally {
            Gates.open(ScenarioJobs.eventsGate(run, 0));
            Captured.clear(run);
        }
    }

    /** The model files a scenario names: its own model and its updates' (relative to the module). */
    static List<String> files(Scenario s) {
        List<String> out = new ArrayList<>();
        if (s.model != null) {
            out.add(s.model);
        }
        for (Scenario.Update u : s.updates) {
            if (u.file != null) {
                out.add(u.file);
            }
        }
        return out;
    }

    /** The causes' messages, outermost first (the restore's reason is usually deep in the chain). */
    static String rootCause(Throwable t) {
        StringBuilder sb = new StringBuilder();
        int depth = 0;
        for (Throwable c = t; c != null && depth < 12; c = c.getCause(), depth++) {
            sb.append("\n    caused by ").append(c);
        }
        return sb.toString();
    }
}
