package io.flinkrecurrent.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A real Flink 2.3 session cluster in separate JVMs on 127.0.0.1, started as the distribution's
 * scripts start it: a StandaloneSessionClusterEntrypoint and TaskManagerRunners, their memory flags
 * from BashJavaUtils, a config.yaml, jobs submitted through the REST API.
 */
public final class StandaloneFlinkCluster implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path dir;
    private final Path conf;
    private final String classpath = Processes.flinkClasspath();
    private final int restPort;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Process jobManager;
    private final List<Process> taskManagers = new ArrayList<>();
    private int slotsPerTaskManager;

    public StandaloneFlinkCluster(Path dir, int slotsPerTaskManager) throws IOException {
        this.dir = dir;
        this.conf = Files.createDirectories(dir.resolve("conf"));
        this.restPort = Processes.freePort();
        this.slotsPerTaskManager = slotsPerTaskManager;
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        Files.writeString(conf.resolve("config.yaml"), String.join("\n",
                "jobmanager.rpc.address: 127.0.0.1",
                "jobmanager.rpc.port: " + Processes.freePort(),
                "jobmanager.bind-host: 127.0.0.1",
                "taskmanager.bind-host: 127.0.0.1",
                "taskmanager.host: 127.0.0.1",
                "rest.address: 127.0.0.1",
                "rest.bind-address: 127.0.0.1",
                "rest.port: " + restPort,
                "blob.server.port: " + Processes.freePort(),
                "taskmanager.rpc.port: 0",
                "taskmanager.data.port: 0",
                "metrics.internal.query-service.port: 0",
                "jobmanager.memory.process.size: 1024m",
                "taskmanager.memory.process.size: 1536m",
                "taskmanager.numberOfTaskSlots: " + slotsPerTaskManager,
                "parallelism.default: 2",
                "io.tmp.dirs: " + tmp,
                "web.upload.dir: " + tmp,
                "heartbeat.interval: 1000",
                "heartbeat.timeout: 5000",
                "execution.checkpointing.interval: 500ms",
                // checkpoint statistics as they are now, not as cached up to 3 s ago (a test acts on the last completed one)
                "rest.cache.checkpoint-statistics.timeout: 10 ms",
                "execution.checkpointing.dir: " + dir.resolve("checkpoints").toUri(),
                "execution.checkpointing.savepoint-dir: " + dir.resolve("savepoints").toUri(),
                "state.backend.type: hashmap",
                "restart-strategy.type: fixed-delay",
                "restart-strategy.fixed-delay.attempts: 10",
                "restart-strategy.fixed-delay.delay: 1s",
                "pipeline.generic-types: false",
                "") + "\n");
        Files.writeString(conf.resolve("log4j.properties"), String.join("\n",
                "rootLogger.level = INFO", "rootLogger.appenderRef.file.ref = File",
                "appender.file.type = File", "appender.file.name = File", "appender.file.fileName = ${sys:log.file}",
                "appender.file.layout.type = PatternLayout", "appender.file.layout.pattern = %d %-5p %c{1} - %m%n", ""));
    }

    public String restUrl() {
        return "http://127.0.0.1:" + restPort;
    }

    public Path dir() {
        return dir;
    }

    /** Starts the JobManager and {@code taskManagers} TaskManagers and waits until all slots are registered. */
    public void start(int taskManagers) throws Exception {
        jobManager = launch("org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint", "GET_JM_RESOURCE_PARAMS", "jobmanager");
        for (int i = 0; i < taskManagers; i++) {
            startTaskManager();
        }
        awaitSlots(taskManagers * slotsPerTaskManager, Duration.ofSeconds(90));
    }

    public void startTaskManager() throws Exception {
        taskManagers.add(launch("org.apache.flink.runtime.taskexecutor.TaskManagerRunner", "GET_TM_RESOURCE_PARAMS",
                "taskmanager-" + taskManagers.size()));
    }

    /** kill -9 of a TaskManager JVM. */
    public void killTaskManager(int i) throws InterruptedException {
        Process p = taskManagers.get(i);
        p.destroyForcibly(); // SIGKILL on Linux
        p.waitFor();
    }

    /** Starts TaskManagers until {@code n} are alive. */
    public void ensureLiveTaskManagers(int n) throws Exception {
        long alive = taskManagers.stream().filter(Process::isAlive).count();
        for (long i = alive; i < n; i++) {
            startTaskManager();
        }
    }

    /** kill -9 of the first TaskManager still alive; returns its index. */
    public int killLiveTaskManager() throws InterruptedException {
        for (int i = 0; i < taskManagers.size(); i++) {
            if (taskManagers.get(i).isAlive()) {
                killTaskManager(i);
                return i;
            }
        }
        throw new IllegalStateException("no TaskManager alive");
    }

    /**
     * The job's failures as the JobManager recorded them (REST {@code /jobs/:id/exceptions}): one entry
     * per failover, with the exception's name and where it happened. Kept after the job ends.
     */
    public List<JsonNode> exceptionHistory(String jobId) throws IOException, InterruptedException {
        List<JsonNode> entries = new ArrayList<>();
        get("/jobs/" + jobId + "/exceptions?maxExceptions=100").path("exceptionHistory").path("entries").forEach(entries::add);
        return entries;
    }

    /** Cancels a running job and waits until it is CANCELED. */
    public void cancel(String jobId) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(restUrl() + "/jobs/" + jobId + "?mode=cancel"))
                .method("PATCH", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new IOException("cancel " + jobId + ": " + r.statusCode() + " " + r.body());
        }
        awaitState(jobId, "CANCELED", Duration.ofSeconds(60));
    }

    private Process launch(String mainClass, String resourceQuery, String name) throws Exception {
        List<String> jvmArgs = new ArrayList<>();
        List<String> dynamic = new ArrayList<>();
        resourceParams(resourceQuery, jvmArgs, dynamic);
        List<String> cmd = new ArrayList<>();
        cmd.add(Processes.java());
        cmd.addAll(jvmArgs);
        cmd.addAll(Processes.flinkJvmOpens());
        Path log = dir.resolve(name + ".log");
        cmd.add("-Dlog.file=" + log);
        cmd.add("-Dlog4j.configurationFile=" + conf.resolve("log4j.properties").toUri());
        cmd.add("-Dlog4j2.configurationFile=" + conf.resolve("log4j.properties").toUri());
        cmd.add("-cp");
        cmd.add(classpath);
        cmd.add(mainClass);
        cmd.add("--configDir");
        cmd.add(conf.toString());
        cmd.addAll(dynamic);
        return Processes.start(cmd, dir.resolve(name + ".out"));
    }

    /** As Flink's scripts: BashJavaUtils prints the JVM memory flags, then the dynamic properties. */
    private void resourceParams(String query, List<String> jvmArgs, List<String> dynamic) throws Exception {
        Process p = new ProcessBuilder(Processes.java(), "-cp", classpath, "org.apache.flink.runtime.util.bash.BashJavaUtils",
                query, "--configDir", conf.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("BashJavaUtils " + query + " failed:\n" + out);
        }
        List<String> results = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (line.startsWith("BASH_JAVA_UTILS_EXEC_RESULT:")) {
                results.add(line.substring("BASH_JAVA_UTILS_EXEC_RESULT:".length()).trim());
            }
        }
        if (results.size() < 2) {
            throw new IllegalStateException("BashJavaUtils " + query + " printed no result:\n" + out);
        }
        jvmArgs.addAll(List.of(results.get(0).split("\\s+")));
        for (String d : results.get(results.size() - 1).split("\\s+")) {
            if (!d.isBlank()) {
                dynamic.add(d);
            }
        }
    }

    public JsonNode get(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(restUrl() + path)).timeout(Duration.ofSeconds(10))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new IOException("GET " + path + ": " + r.statusCode() + " " + r.body());
        }
        return JSON.readTree(r.body());
    }

    public JsonNode post(String path, Object body) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(restUrl() + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new IOException("POST " + path + ": " + r.statusCode() + " " + r.body());
        }
        return JSON.readTree(r.body());
    }

    public void awaitSlots(int slots, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < end) {
            try {
                JsonNode o = get("/overview");
                if (o.path("slots-total").asInt() >= slots) {
                    return;
                }
                last = o.toString();
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("cluster not up with " + slots + " slots: " + last + "; logs in " + dir);
    }

    /** Waits until {@code slots} slots are free (a killed TaskManager's slots are gone once its heartbeat times out). */
    public void awaitFreeSlots(int slots, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < end) {
            JsonNode o = get("/overview");
            if (o.path("slots-available").asInt() >= slots) {
                return;
            }
            last = o.toString();
            Thread.sleep(250);
        }
        throw new IllegalStateException(slots + " free slots not reached: " + last + "; logs in " + dir);
    }

    /** Uploads a job jar; returns its id. */
    public String uploadJar(Path jar) throws IOException, InterruptedException {
        String boundary = "----flinkrecurrent" + System.nanoTime();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\""
                + jar.getFileName() + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.write(Files.readAllBytes(jar));
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(restUrl() + "/jars/upload"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new IOException("jar upload: " + r.statusCode() + " " + r.body());
        }
        String file = JSON.readTree(r.body()).get("filename").asText();
        return Path.of(file).getFileName().toString();
    }

    /** Runs a job from an uploaded jar (detached); returns the job id. */
    public String run(String jarId, List<String> args, String savepointPath) throws IOException, InterruptedException {
        return run(jarId, args, savepointPath, Map.of());
    }

    /** Runs a job from an uploaded jar (detached) with Flink options of its own over the cluster's; returns the job id. */
    public String run(String jarId, List<String> args, String savepointPath, Map<String, String> flinkConfiguration)
            throws IOException, InterruptedException {
        Map<String, Object> body = new java.util.HashMap<>();
        body.put("flinkConfiguration", flinkConfiguration);
        body.put("programArgsList", args);
        body.put("entryClass", "io.flinkrecurrent.jobs.JobMain");
        if (savepointPath != null) {
            body.put("savepointPath", savepointPath);
        }
        return post("/jars/" + jarId + "/run", body).get("jobid").asText();
    }

    public String state(String jobId) throws IOException, InterruptedException {
        return get("/jobs/" + jobId).get("state").asText();
    }

    public void awaitState(String jobId, String state, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        String s = "?";
        while (System.nanoTime() < end) {
            s = state(jobId);
            if (s.equals(state)) {
                return;
            }
            if (s.equals("FAILED") || s.equals("CANCELED") && !state.equals("CANCELED")) {
                throw new IllegalStateException("job " + jobId + " is " + s + ": " + get("/jobs/" + jobId + "/exceptions"));
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("job " + jobId + " is " + s + ", not " + state + " after " + timeout);
    }

    /** Stops a job with a savepoint (no drain) and returns the savepoint's path. */
    public String stopWithSavepoint(String jobId) throws Exception {
        String trigger = post("/jobs/" + jobId + "/stop", Map.of("targetDirectory", dir.resolve("savepoints").toUri().toString(),
                "drain", false)).get("request-id").asText();
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < end) {
            JsonNode r = get("/jobs/" + jobId + "/savepoints/" + trigger);
            if (r.path("status").path("id").asText().equals("COMPLETED")) {
                JsonNode op = r.path("operation");
                if (op.has("failure-cause")) {
                    throw new IllegalStateException("savepoint failed: " + op.get("failure-cause"));
                }
                return op.get("location").asText();
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("savepoint of " + jobId + " did not complete");
    }

    /** Checkpoints completed so far by a job. */
    public long completedCheckpoints(String jobId) throws IOException, InterruptedException {
        return get("/jobs/" + jobId + "/checkpoints").path("counts").path("completed").asLong();
    }

    @Override
    public void close() throws InterruptedException {
        for (Process p : taskManagers) {
            p.destroyForcibly();
            p.waitFor();
        }
        if (jobManager != null) {
            jobManager.destroyForcibly();
            jobManager.waitFor();
        }
    }
}
