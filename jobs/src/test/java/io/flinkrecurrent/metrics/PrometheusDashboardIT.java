package io.flinkrecurrent.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flinkrecurrent.testing.Processes;
import io.flinkrecurrent.testing.StandaloneFlinkCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The Grafana dashboard (deploy/grafana/dashboards/flink-recurrent.json) against a real Prometheus: a
 * standalone Flink cluster (a JobManager and two TaskManagers in their own JVMs) with Flink's Prometheus
 * reporter on its class path, as the distribution's lib/ or plugins/ would hold it, runs three jobs that
 * produce every metric of the recurrent operator (the job jar's repetition job with model updates from a
 * watched folder, one accepted and one refused; its anomaly job; and {@link OrderedAwaitingJob}, ordered by
 * event time and waiting for its first model). A {@code prometheus} process (the Debian package, as CI
 * installs it) scrapes the reporters every second. Then every query of every panel, its template variables
 * substituted as Grafana does for "All", must return data, every metric name the dashboard names must
 * exist in Prometheus, and every metric the operator exports must be on the dashboard.
 */
class PrometheusDashboardIT {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final Path DASHBOARD = ROOT.resolve("deploy/grafana/dashboards/flink-recurrent.json");
    static final Path DATASOURCES = ROOT.resolve("deploy/grafana/provisioning/datasources/prometheus.yml");
    static final Path COMPOSE_PROMETHEUS = ROOT.resolve("deploy/prometheus/prometheus.yml");
    static final Path JAR = Path.of("target", "flink-recurrent.jar").toAbsolutePath();
    static final Path REPETITION_MODEL = ROOT.resolve("jobs/repetition/model.safetensors");
    static final Path ANOMALY_MODEL = ROOT.resolve("anomaly/forecaster/model.safetensors");
    /** What the operator exports; each of these names must be on the dashboard. */
    static final String OPERATOR_PREFIX = "flink_taskmanager_job_task_operator_recurrent_";
    /** Grafana's $__rate_interval (4 scrape intervals at the least); Prometheus scrapes every second here. */
    static final String RATE_INTERVAL = "20s";
    static final ObjectMapper JSON = new ObjectMapper();
    static final Pattern METRIC = Pattern.compile("\\b(flink_[A-Za-z0-9_:]+)");
    static final Pattern LABEL_VALUES = Pattern.compile("^\\s*label_values\\((.*),\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*\\)\\s*$", Pattern.DOTALL);

    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS)
    Path dir;

    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    String prometheusUrl;

    @Test
    void everyPanelQueryOfTheDashboardReturnsDataFromARealPrometheus() throws Exception {
        long t0 = System.nanoTime();
        Path prometheus = binary("prometheus");
        Path promtool = binary("promtool");
        // the compose stack's Prometheus configuration is one this Prometheus accepts
        String check = run(List.of(promtool.toString(), "check", "config", COMPOSE_PROMETHEUS.toString()));
        assertTrue(check.contains("SUCCESS"), "promtool check config " + COMPOSE_PROMETHEUS + ":\n" + check);

        JsonNode dashboard = JSON.readTree(DASHBOARD.toFile());
        String uid = datasourceUid();
        List<Panel> panels = panels(dashboard, uid);
        assertTrue(panels.size() >= 10, "the dashboard's panels: " + panels.size());

        // the reporter's ports: one for each process (the JobManager and two TaskManagers), one spare
        int ports = 4;
        int firstPort = freePortRange(ports);
        StandaloneFlinkCluster cluster = new StandaloneFlinkCluster(Files.createDirectories(dir.resolve("cluster")), 3);
        // the reporter as docker-compose.yml configures it (its metrics.reporter.prom.* lines), on a range of loopback ports
        List<String> reporter = new ArrayList<>();
        for (Map.Entry<String, String> e : composeReporter("taskmanager").entrySet()) {
            reporter.add(e.getKey() + ": " + (e.getKey().equals("metrics.reporter.prom.port")
                    ? firstPort + "-" + (firstPort + ports - 1) : e.getValue()));
        }
        reporter.add("");
        Files.writeString(cluster.dir().resolve("conf").resolve("config.yaml"), String.join("\n", reporter),
                java.nio.file.StandardOpenOption.APPEND);
        Process prom = null;
        try (cluster) {
            prom = startPrometheus(prometheus, firstPort, ports);
            cluster.start(2);
            System.out.printf("cluster and prometheus up after %.1f s%n", (System.nanoTime() - t0) / 1e9);

            // the job jar's repetition job, with model updates from a watched folder
            Path updatesA = Files.createDirectories(dir.resolve("updates-repetition"));
            // one upload: the job jar's classes with the test's job beside them
            String jarId = cluster.uploadJar(jarWithTestJob());
            String repetition = cluster.run(jarId, List.of("repetition", "--source", "generator", "--rate", "400",
                    "--count", "1000000000", "--sink", "file", "--output", dir.resolve("out-repetition").toString(),
                    "--model-updates", updatesA.toString(), "--update-check-ms", "200"), null);
            // the anomaly job
            String anomaly = cluster.run(jarId, List.of("anomaly", "--source", "generator", "--rate", "200",
                    "--count", "1000000000", "--sink", "file", "--output", dir.resolve("out-anomaly").toString()), null);
            // a job ordered by event time that waits for its model
            Path updatesC = Files.createDirectories(dir.resolve("updates-ordered"));
            String ordered = cluster.post("/jars/" + jarId + "/run", Map.of(
                    "entryClass", OrderedAwaitingJob.class.getName(),
                    "programArgsList", List.of(updatesC.toString(), "10", "200"))).get("jobid").asText();
            for (String job : List.of(repetition, anomaly, ordered)) {
                cluster.awaitState(job, "RUNNING", Duration.ofSeconds(60));
            }
            // Prometheus scrapes the JobManager and both TaskManagers
            awaitQuery("count(up{job=\"flink\"} == 1)", v -> v >= 3, "3 reporters scraped (JobManager, 2 TaskManagers)");

            // the ordered job's events wait for a model, then one arrives
            awaitQuery(sel("awaitingModel", OrderedAwaitingJob.NAME, "sum"), v -> v > 0, "events awaiting a model");
            drop(REPETITION_MODEL, updatesC, "first");
            // the repetition job: an update it takes, and one it refuses (the anomaly model's input size)
            awaitQuery(sel("events", "repetition", "sum"), v -> v > 0, "repetition events");
            drop(REPETITION_MODEL, updatesA, "r2");
            awaitQuery(sel("models_updates", "repetition", "min"), v -> v >= 1, "the update accepted by every subtask");
            drop(ANOMALY_MODEL, updatesA, "wrong-input");
            awaitQuery(sel("models_refused", "repetition", "min"), v -> v >= 1, "the wrong update refused by every subtask");
            awaitQuery(sel("models_keys_reset", "repetition", "sum"), v -> v > 0, "keys reset by the update");
            awaitQuery(sel("outputs", OrderedAwaitingJob.NAME, "sum"), v -> v > 0, "outputs of the ordered job once its model came");
            awaitQuery(sel("awaitingModel", OrderedAwaitingJob.NAME, "sum"), v -> v == 0, "no events awaiting after the model came");
            awaitQuery("max_over_time(" + sel("bufferedEvents", OrderedAwaitingJob.NAME, "sum") + "[5m:1s])", v -> v > 0,
                    "events waiting for the watermark");
            awaitQuery(sel("watermarkLagMs", OrderedAwaitingJob.NAME, "max"), v -> v > 0, "a watermark lag");
            awaitQuery(sel("rejected_late", OrderedAwaitingJob.NAME, "sum"), v -> v > 0, "late events rejected");
            awaitQuery(sel("rejected_input_width", OrderedAwaitingJob.NAME, "sum"), v -> v > 0, "events of the wrong width rejected");
            awaitQuery(sel("resets_event", "repetition", "sum"), v -> v > 0, "resets asked by events");
            awaitQuery(sel("resets_steps", OrderedAwaitingJob.NAME, "sum"), v -> v > 0, "resets after 40 steps");
            awaitQuery(sel("events", "anomaly", "sum"), v -> v > 0, "anomaly events");
            awaitQuery("min(count by (job_name) (flink_jobmanager_job_lastCheckpointDuration))", v -> v >= 1,
                    "checkpoints of each job");
            awaitQuery("count(count by (job_name) (flink_jobmanager_job_numberOfCompletedCheckpoints > 0))", v -> v >= 3,
                    "checkpoints completed by the three jobs");
            // a rate needs two samples in its window
            Thread.sleep(2_000);
            System.out.printf("every metric has data after %.1f s%n", (System.nanoTime() - t0) / 1e9);

            List<String> failures = new ArrayList<>();
            Map<String, String> variables = variables(dashboard, failures);
            Set<String> names = new TreeSet<>();
            for (JsonNode n : getJson("/api/v1/label/__name__/values").get("data")) {
                names.add(n.asText());
            }
            Set<String> named = new TreeSet<>();
            int queries = 0;
            for (Panel p : panels) {
                for (Map.Entry<String, String> t : p.targets.entrySet()) {
                    String expr = t.getValue();
                    Matcher m = METRIC.matcher(expr);
                    while (m.find()) {
                        named.add(m.group(1));
                        if (!names.contains(m.group(1))) {
                            failures.add("panel '" + p.title + "', query " + t.getKey() + ": the metric " + m.group(1)
                                    + " does not exist in Prometheus; expr: " + expr);
                        }
                    }
                    String q = substitute(expr, variables);
                    JsonNode r = getJson("/api/v1/query?query=" + URLEncoder.encode(q, StandardCharsets.UTF_8));
                    queries++;
                    if (!r.path("status").asText().equals("success")) {
                        failures.add("panel '" + p.title + "', query " + t.getKey() + ": " + r + "; expr: " + expr);
                    } else if (r.path("data").path("result").isEmpty()) {
                        failures.add("panel '" + p.title + "', query " + t.getKey() + " returned no data; expr: " + expr
                                + (q.equals(expr) ? "" : "; as run: " + q));
                    }
                }
            }
            for (String name : names) {
                if (name.startsWith(OPERATOR_PREFIX) && !named.contains(name)) {
                    failures.add("Prometheus has the operator's metric " + name + ", which no panel shows");
                }
            }
            System.out.printf("%d panels, %d queries, %d metric names checked in %.1f s from the start%n", panels.size(),
                    queries, named.size(), (System.nanoTime() - t0) / 1e9);
            if (!failures.isEmpty()) {
                fail(failures.size() + " problem(s) with " + DASHBOARD.getFileName() + ":\n  " + String.join("\n  ", failures));
            }
        } finally {
            if (prom != null) {
                prom.destroy();
                if (!prom.waitFor(10, TimeUnit.SECONDS)) {
                    prom.destroyForcibly().waitFor();
                }
            }
        }
    }

    /**
     * docker-compose.yml: the JobManager and the TaskManagers load the reporter under the name prom on 9249;
     * Prometheus gets deploy/prometheus/prometheus.yml, which scrapes both; Grafana gets the provisioning and
     * the dashboards where the provisioning looks for them.
     */
    @Test
    void composeRunsTheReporterPrometheusAndGrafana() throws Exception {
        for (String s : List.of("jobmanager", "taskmanager")) {
            Map<String, String> r = composeReporter(s);
            assertEquals("org.apache.flink.metrics.prometheus.PrometheusReporterFactory", r.get("metrics.reporter.prom.factory.class"), s);
            assertEquals("9249", r.get("metrics.reporter.prom.port"), s);
        }
        JsonNode services = compose().path("services");
        String prometheus = services.path("prometheus").path("volumes").toString();
        assertTrue(prometheus.contains("./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml"), prometheus);
        String scrape = Files.readString(COMPOSE_PROMETHEUS);
        assertTrue(scrape.contains("jobmanager:9249") && scrape.contains("names: [\"taskmanager\"]") && scrape.contains("port: 9249"),
                COMPOSE_PROMETHEUS + " scrapes the JobManager and the TaskManagers on 9249");
        Map<String, String> grafana = new LinkedHashMap<>();
        for (JsonNode v : services.path("grafana").path("volumes")) {
            String[] parts = v.asText().split(":");
            grafana.put(parts[1], parts[0]);
        }
        assertEquals("./deploy/grafana/provisioning", grafana.get("/etc/grafana/provisioning"), "grafana's provisioning");
        Map<String, Object> providers = new org.yaml.snakeyaml.Yaml().load(Files.readString(
                ROOT.resolve("deploy/grafana/provisioning/dashboards/flink-recurrent.yml")));
        String path = JSON.valueToTree(providers).path("providers").get(0).path("options").path("path").asText();
        assertEquals("./deploy/grafana/dashboards", grafana.get(path), "the provisioned dashboards folder " + path + " is mounted");
        String url = JSON.valueToTree((Map<String, Object>) new org.yaml.snakeyaml.Yaml().load(Files.readString(DATASOURCES)))
                .path("datasources").get(0).path("url").asText();
        assertTrue(services.has(URI.create(url).getHost()) && url.endsWith(":9090"), "the data source " + url + " is the prometheus service");
    }

    static JsonNode compose() throws IOException {
        return JSON.valueToTree(new org.yaml.snakeyaml.Yaml().load(Files.readString(ROOT.resolve("docker-compose.yml"))));
    }

    /** The metrics.reporter.prom.* lines of a compose service's FLINK_PROPERTIES. */
    static Map<String, String> composeReporter(String service) throws IOException {
        Map<String, String> r = new LinkedHashMap<>();
        for (String line : compose().path("services").path(service).path("environment").path("FLINK_PROPERTIES").asText().split("\n")) {
            if (line.startsWith("metrics.reporter.prom.")) {
                r.put(line.substring(0, line.indexOf(':')).trim(), line.substring(line.indexOf(':') + 1).trim());
            }
        }
        assertTrue(r.containsKey("metrics.reporter.prom.factory.class"), service + " configures the reporter prom: " + r);
        return r;
    }

    /** A panel's title and its queries by refId. */
    record Panel(String title, Map<String, String> targets) {}

    /** The panels with queries (rows too, when collapsed); every data source is the provisioned one. */
    static List<Panel> panels(JsonNode dashboard, String uid) {
        List<Panel> out = new ArrayList<>();
        List<JsonNode> all = new ArrayList<>();
        for (JsonNode p : dashboard.path("panels")) {
            all.add(p);
            p.path("panels").forEach(all::add);
        }
        for (JsonNode p : all) {
            if (p.path("type").asText().equals("row")) {
                continue;
            }
            String title = p.path("title").asText();
            assertEquals(uid, p.path("datasource").path("uid").asText(), "panel '" + title + "': its data source");
            Map<String, String> targets = new LinkedHashMap<>();
            for (JsonNode t : p.path("targets")) {
                if (t.has("datasource")) {
                    assertEquals(uid, t.path("datasource").path("uid").asText(), "panel '" + title + "': a query's data source");
                }
                String expr = t.path("expr").asText();
                assertTrue(!expr.isBlank(), "panel '" + title + "': a query without expr");
                targets.put(t.path("refId").asText(), expr);
            }
            assertTrue(!targets.isEmpty(), "panel '" + title + "' has no query");
            out.add(new Panel(title, targets));
        }
        for (JsonNode v : dashboard.path("templating").path("list")) {
            assertEquals(uid, v.path("datasource").path("uid").asText(), "variable " + v.path("name").asText() + ": its data source");
        }
        return out;
    }

    /** The uid of the data source Grafana is provisioned with. */
    static String datasourceUid() throws IOException {
        Map<String, Object> yaml = new org.yaml.snakeyaml.Yaml().load(Files.readString(DATASOURCES));
        JsonNode ds = JSON.valueToTree(yaml).path("datasources");
        assertEquals(1, ds.size(), DATASOURCES + ": one data source");
        assertEquals("prometheus", ds.get(0).path("type").asText(), DATASOURCES + ": a Prometheus data source");
        return ds.get(0).path("uid").asText();
    }

    /**
     * Each template variable's values, from its label_values query as Grafana runs it (earlier variables
     * substituted), formatted as Grafana formats "All" of a multi-value variable for Prometheus: (a|b|c).
     */
    Map<String, String> variables(JsonNode dashboard, List<String> failures) throws Exception {
        Map<String, String> values = new LinkedHashMap<>();
        for (JsonNode v : dashboard.path("templating").path("list")) {
            String name = v.path("name").asText();
            String query = v.path("query").isTextual() ? v.path("query").asText() : v.path("query").path("query").asText();
            Matcher m = LABEL_VALUES.matcher(query);
            assertTrue(m.matches(), "variable " + name + ": a label_values(selector, label) query, got " + query);
            String selector = substitute(m.group(1), values);
            JsonNode r = getJson("/api/v1/label/" + m.group(2) + "/values?match[]=" + URLEncoder.encode(selector, StandardCharsets.UTF_8));
            List<String> found = new ArrayList<>();
            r.path("data").forEach(n -> found.add(n.asText().replaceAll("[\\\\^$.|?*+()\\[\\]{}]", "\\\\$0")));
            if (found.isEmpty()) {
                failures.add("variable " + name + " has no values: " + query + " (as run: " + selector + ")");
                values.put(name, ".*");
            } else {
                values.put(name, "(" + String.join("|", found) + ")");
                System.out.println("$" + name + " = " + values.get(name));
            }
        }
        return values;
    }

    static String substitute(String expr, Map<String, String> variables) {
        String q = expr.replace("$__rate_interval", RATE_INTERVAL).replace("${__rate_interval}", RATE_INTERVAL);
        // longest names first, so $job does not eat the start of a $jobs
        List<String> names = new ArrayList<>(variables.keySet());
        names.sort((a, b) -> b.length() - a.length());
        for (String n : names) {
            q = q.replace("${" + n + "}", variables.get(n)).replace("$" + n, variables.get(n));
        }
        return q;
    }

    /** {@code agg(metric{job_name="job"})} of the operator's metric {@code name}. */
    static String sel(String name, String job, String agg) {
        return agg + "(" + OPERATOR_PREFIX + name + "{job_name=\"" + job + "\"})";
    }

    /** Copies a model into a watched folder as a new file: written hidden, then renamed (the watcher skips dot files). */
    static void drop(Path model, Path folder, String version) throws IOException {
        Path hidden = folder.resolve("." + version + ".safetensors");
        Files.copy(model, hidden);
        Files.move(hidden, folder.resolve(version + ".safetensors"), StandardCopyOption.ATOMIC_MOVE);
    }

    /** Polls an instant query until its single value passes {@code ok}. */
    void awaitQuery(String query, java.util.function.DoublePredicate ok, String what) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String last = "";
        while (System.nanoTime() < end) {
            JsonNode r = getJson("/api/v1/query?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8));
            JsonNode result = r.path("data").path("result");
            last = result.toString();
            if (result.size() == 1 && ok.test(Double.parseDouble(result.get(0).path("value").get(1).asText()))) {
                return;
            }
            Thread.sleep(250);
        }
        Set<String> names = new TreeSet<>();
        getJson("/api/v1/label/__name__/values?match[]=" + URLEncoder.encode("{__name__=~\"" + OPERATOR_PREFIX + ".*\"}",
                StandardCharsets.UTF_8)).path("data").forEach(n -> names.add(n.asText()));
        fail("not within 60 s: " + what + " (" + query + "; last answer " + last + "); the operator's metrics in Prometheus: "
                + names + "; cluster logs in " + dir);
    }

    JsonNode getJson(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(prometheusUrl + path)).timeout(Duration.ofSeconds(10))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    /** A real Prometheus on loopback, its storage in the test's folder, scraping the reporter's port range every second. */
    Process startPrometheus(Path binary, int firstPort, int ports) throws Exception {
        Path home = Files.createDirectories(dir.resolve("prometheus"));
        List<String> targets = new ArrayList<>();
        for (int p = firstPort; p < firstPort + ports; p++) {
            targets.add("\"127.0.0.1:" + p + "\"");
        }
        Path config = home.resolve("prometheus.yml");
        Files.writeString(config, String.join("\n",
                "global:",
                "  scrape_interval: 1s",
                "  scrape_timeout: 1s",
                "  evaluation_interval: 1s",
                "scrape_configs:",
                "  - job_name: flink",
                "    static_configs:",
                "      - targets: [" + String.join(", ", targets) + "]",
                ""));
        int port = Processes.freePort();
        prometheusUrl = "http://127.0.0.1:" + port;
        Process p = new ProcessBuilder(binary.toString(), "--config.file=" + config, "--storage.tsdb.path=" + home.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port, "--storage.tsdb.retention.time=1h")
                .redirectErrorStream(true).redirectOutput(home.resolve("prometheus.log").toFile()).start();
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < end) {
            if (!p.isAlive()) {
                fail("prometheus exited (" + p.exitValue() + "):\n" + Files.readString(home.resolve("prometheus.log")));
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(prometheusUrl + "/-/ready")).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return p;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        p.destroyForcibly();
        fail("prometheus not ready within 30 s:\n" + Files.readString(home.resolve("prometheus.log")));
        return p;
    }

    /** The job jar's classes and the test's {@link OrderedAwaitingJob}, as one job jar (its entry point still JobMain). */
    Path jarWithTestJob() throws Exception {
        assertTrue(Files.isRegularFile(JAR), JAR + " is built by `mvn -f jobs package` before the integration tests");
        Path classes = Path.of(OrderedAwaitingJob.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path out = dir.resolve("ordered-awaiting.jar");
        try (JarFile in = new JarFile(JAR.toFile()); JarOutputStream jar = new JarOutputStream(Files.newOutputStream(out))) {
            jar.setLevel(java.util.zip.Deflater.BEST_SPEED);
            for (JarEntry e : java.util.Collections.list(in.entries())) {
                jar.putNextEntry(new JarEntry(e.getName()));
                try (InputStream s = in.getInputStream(e)) {
                    s.transferTo(jar);
                }
                jar.closeEntry();
            }
            Path pkg = classes.resolve(OrderedAwaitingJob.class.getPackageName().replace('.', File.separatorChar));
            try (Stream<Path> files = Files.list(pkg)) {
                for (Path f : files.filter(f -> f.getFileName().toString().startsWith(OrderedAwaitingJob.class.getSimpleName())).toList()) {
                    jar.putNextEntry(new JarEntry(classes.relativize(f).toString().replace(File.separatorChar, '/')));
                    Files.copy(f, (OutputStream) jar);
                    jar.closeEntry();
                }
            }
        }
        return out;
    }

    /** An executable on the PATH, or a failure that says how to install it: the test never skips. */
    static Path binary(String name) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(d.isEmpty() ? "." : d, name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return fail("the `" + name + "` binary is not on the PATH. This test runs a real Prometheus: install the Debian package "
                + "`prometheus` (apt-get install -y prometheus; .ci/run does it when it is missing)");
    }

    static String run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }

    /** The first of {@code n} consecutive free loopback ports. */
    static int freePortRange(int n) throws IOException {
        Random random = new Random();
        for (int attempt = 0; attempt < 100; attempt++) {
            int first = 20_000 + random.nextInt(30_000);
            List<ServerSocket> held = new ArrayList<>();
            try {
                for (int i = 0; i < n; i++) {
                    held.add(new ServerSocket(first + i, 1, java.net.InetAddress.getLoopbackAddress()));
                }
                return first;
            } catch (IOException taken) {
                // try another range
            } finally {
                for (ServerSocket s : held) {
                    s.close();
                }
            }
        }
        throw new IOException("no " + n + " consecutive free ports");
    }
}
