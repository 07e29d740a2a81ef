package io.flinkrecurrent.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.api.dag.Pipeline;
import org.apache.flink.client.program.PackagedProgram;
import org.apache.flink.client.program.PackagedProgramUtils;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * deploy/kubernetes/ against the Flink Kubernetes Operator's own CRD schemas (strictly: an unknown field
 * is an error, as with {@code kubectl apply --validate=strict}), against the rules the operator's
 * admission checks (its {@code DefaultValidator}) apply before it deploys anything, and against the
 * build: the image and jar the Dockerfile makes, the Flink version, the job and arguments the jar runs.
 * Every failure names the file, the document and the path in it. No cluster runs here.
 */
class KubernetesManifestsTest {
    /** Paths are from jobs/, where Maven runs the tests. */
    static final Path DEPLOY = Path.of("../deploy/kubernetes");
    static final Path DOCKERFILE = DEPLOY.resolve("Dockerfile");
    static final Path CRDS = Path.of("src/test/resources/kubernetes/crds");
    static final String[] CRD_FILES = {"flinkdeployments.flink.apache.org-v1.yml", "flinksessionjobs.flink.apache.org-v1.yml"};

    static final String PROMETHEUS_FACTORY = "org.apache.flink.metrics.prometheus.PrometheusReporterFactory";
    static final String PROMETHEUS_PORT = "9249";

    /** One document of one manifest file. */
    record Manifest(Path file, int index, JsonNode doc) {
        String kind() {
            return doc.path("kind").asText("?");
        }

        String name() {
            return doc.path("metadata").path("name").asText("?");
        }

        /** How errors name it: the file, and the document when the file holds several. */
        String where() {
            return DEPLOY.getParent().getParent().relativize(file).toString().replace('\\', '/')
                    + " (document " + (index + 1) + ", " + kind() + " " + name() + ")";
        }
    }

    /** A schema per apiVersion and kind: the CRDs' served versions, and the plain objects deploy/ uses. */
    static Map<String, JsonNode> schemas() throws IOException {
        Map<String, JsonNode> schemas = new LinkedHashMap<>();
        for (String f : CRD_FILES) {
            JsonNode crd = StructuralSchema.yaml(Files.readString(CRDS.resolve(f)));
            assertEquals("CustomResourceDefinition", crd.path("kind").asText(), f);
            String group = crd.path("spec").path("group").asText();
            String kind = crd.path("spec").path("names").path("kind").asText();
            for (JsonNode v : crd.path("spec").path("versions")) {
                if (v.path("served").asBoolean()) {
                    schemas.put(group + "/" + v.path("name").asText() + " " + kind, v.path("schema").path("openAPIV3Schema"));
                }
            }
        }
        // A strict subset of core/v1 PersistentVolumeClaim: a field of the API outside it is reported too.
        schemas.put("v1 PersistentVolumeClaim", StructuralSchema.yaml("""
                type: object
                properties:
                  spec:
                    type: object
                    required: [accessModes, resources]
                    properties:
                      accessModes:
                        type: array
                        minItems: 1
                        items: {type: string, enum: [ReadWriteOnce, ReadOnlyMany, ReadWriteMany, ReadWriteOncePod]}
                      resources:
                        type: object
                        required: [requests]
                        properties:
                          requests:
                            type: object
                            required: [storage]
                            additionalProperties: {x-kubernetes-int-or-string: true}
                          limits:
                            type: object
                            additionalProperties: {x-kubernetes-int-or-string: true}
                      storageClassName: {type: string}
                      volumeMode: {type: string, enum: [Filesystem, Block]}
                      volumeName: {type: string}
                required: [spec]
                """));
        return schemas;
    }

    /**
     * Kubernetes' ObjectMeta, for every object's metadata: the schema the FlinkDeployment CRD itself
     * gives it under spec.podTemplate.metadata (a CRD's own root schema leaves metadata to the server).
     */
    static JsonNode objectMeta() throws IOException {
        JsonNode crd = StructuralSchema.yaml(Files.readString(CRDS.resolve(CRD_FILES[0])));
        JsonNode meta = crd.path("spec").path("versions").get(0).path("schema").path("openAPIV3Schema")
                .path("properties").path("spec").path("properties").path("podTemplate").path("properties").path("metadata");
        assertTrue(meta.path("properties").has("annotations"), "ObjectMeta's schema in the CRD");
        return meta;
    }

    static List<Manifest> manifests() throws IOException {
        List<Manifest> all = new ArrayList<>();
        try (Stream<Path> files = Files.walk(DEPLOY)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList()) {
                List<JsonNode> docs = StructuralSchema.readYaml(Files.readString(f));
                for (int i = 0; i < docs.size(); i++) {
                    all.add(new Manifest(f, i, docs.get(i)));
                }
            }
        }
        return all;
    }

    /** The schema errors of one manifest document, each "where: path: problem". */
    static List<String> validate(Manifest m, Map<String, JsonNode> schemas, JsonNode objectMeta) {
        List<String> errors = new ArrayList<>();
        JsonNode doc = m.doc();
        if (!doc.isObject()) {
            return List.of(m.where() + ": (the document): not an object");
        }
        String apiVersion = doc.path("apiVersion").asText("");
        String kind = doc.path("kind").asText("");
        JsonNode schema = schemas.get(apiVersion + " " + kind);
        if (schema == null) {
            return List.of(m.where() + ": apiVersion/kind: '" + apiVersion + "' '" + kind
                    + "' is none of the kinds this test has a schema for " + schemas.keySet());
        }
        if (!doc.path("metadata").isObject()) {
            errors.add("metadata: missing required field");
        } else {
            if (!doc.path("metadata").path("name").isTextual()) {
                errors.add("metadata.name: missing required field");
            }
            for (String e : StructuralSchema.validate(objectMeta, doc.get("metadata"))) {
                errors.add("metadata." + e);
            }
        }
        ObjectNode rest = doc.deepCopy();
        rest.remove(List.of("apiVersion", "kind", "metadata"));
        errors.addAll(StructuralSchema.validate(schema, rest));
        if (doc.has("status")) {
            errors.add("status: a manifest does not set the status (the operator writes it)");
        }
        return errors.stream().map(e -> m.where() + ": " + e).toList();
    }

    static List<String> validateAll() throws IOException {
        Map<String, JsonNode> schemas = schemas();
        JsonNode meta = objectMeta();
        List<String> errors = new ArrayList<>();
        for (Manifest m : manifests()) {
            errors.addAll(validate(m, schemas, meta));
        }
        return errors;
    }

    static void assertNoErrors(List<String> errors) {
        if (!errors.isEmpty()) {
            fail(errors.size() + " error(s) in deploy/kubernetes:\n  " + String.join("\n  ", errors));
        }
    }

    @Test
    void everyManifestValidatesStrictlyAgainstTheOperatorsSchemas() throws IOException {
        List<Manifest> all = manifests();
        assertTrue(all.stream().filter(m -> m.kind().equals("FlinkDeployment")).count() >= 2, "the application and the session cluster");
        assertTrue(all.stream().anyMatch(m -> m.kind().equals("FlinkSessionJob")), "a session job");
        assertTrue(all.stream().anyMatch(m -> m.kind().equals("PersistentVolumeClaim")), "the volume of the state");
        assertNoErrors(validateAll());
    }

    /** The check above is not vacuous: the application's manifest, broken in one place at a time. */
    @Test
    void aBrokenManifestIsReportedWithItsFileAndPath() throws IOException {
        Map<String, JsonNode> schemas = schemas();
        JsonNode meta = objectMeta();
        Manifest app = application();
        assertEquals(List.of(), validate(app, schemas, meta));
        record Breakage(String what, java.util.function.Consumer<ObjectNode> change, String expected) {}
        List<Breakage> breakages = List.of(
                new Breakage("misspelled field", d -> rename((ObjectNode) d.get("spec").get("job"), "upgradeMode", "upgradeMod"),
                        "deploy/kubernetes/application.yaml (document 1, FlinkDeployment flink-recurrent): spec.job.upgradeMod: unknown field"),
                new Breakage("enum", d -> ((ObjectNode) d.get("spec").get("job")).put("upgradeMode", "savepoints"),
                        "spec.job.upgradeMode: the string \"savepoints\" is not one of [\"last-state\",\"savepoint\",\"stateless\"]"),
                new Breakage("Flink version", d -> ((ObjectNode) d.get("spec")).put("flinkVersion", "v2_9"),
                        "spec.flinkVersion: the string \"v2_9\" is not one of"),
                new Breakage("type", d -> ((ObjectNode) d.get("spec").get("job")).put("parallelism", "2"),
                        "spec.job.parallelism: the string \"2\", expected integer"),
                new Breakage("deep unknown field", d -> ((ObjectNode) d.at("/spec/podTemplate/spec/containers/0")).put("port", 9249),
                        "spec.podTemplate.spec.containers[0].port: unknown field"),
                new Breakage("map of strings", d -> ((ObjectNode) d.at("/spec/podTemplate/metadata/annotations")).put("prometheus.io/port", 9249),
                        "spec.podTemplate.metadata.annotations.prometheus.io/port: the integer 9249, expected string"),
                new Breakage("int-or-string", d -> ((ObjectNode) d.at("/spec/taskManager")).putObject("resources").putObject("limits").put("memory", true),
                        "spec.taskManager.resources.limits.memory: the boolean true, expected an integer or a string"),
                new Breakage("metadata", d -> ((ObjectNode) d.get("metadata")).put("labelz", "x"),
                        "metadata.labelz: unknown field"),
                new Breakage("root", d -> d.putObject("specs"),
                        "specs: unknown field"),
                new Breakage("null", d -> ((ObjectNode) d.get("spec")).putNull("image"),
                        "spec.image: null"));
        for (Breakage b : breakages) {
            ObjectNode broken = app.doc().deepCopy();
            b.change().accept(broken);
            List<String> errors = validate(new Manifest(app.file(), app.index(), broken), schemas, meta);
            assertEquals(1, errors.size(), b.what() + ": " + errors);
            assertTrue(errors.get(0).contains(b.expected()), b.what() + ": " + errors.get(0));
        }
        // flinkConfiguration keeps any key (x-kubernetes-preserve-unknown-fields): Flink's keys are not in the schema
        ObjectNode anyKey = app.doc().deepCopy();
        ((ObjectNode) anyKey.at("/spec/flinkConfiguration")).put("some.key.flink.may.have", "x");
        assertEquals(List.of(), validate(new Manifest(app.file(), 0, anyKey), schemas, meta));
        // a key twice in one mapping, which YAML readers otherwise resolve to the last one
        RuntimeException dup = assertThrows(RuntimeException.class,
                () -> StructuralSchema.readYaml("spec:\n  job:\n    upgradeMode: savepoint\n    upgradeMode: stateless\n"));
        assertTrue(dup.getMessage().contains("upgradeMode"), dup.getMessage());
    }

    private static void rename(ObjectNode o, String from, String to) {
        JsonNode v = o.remove(from);
        assertTrue(v != null, from);
        o.set(to, v);
    }

    /**
     * The operator's files at commit 6e9caeb, by their SHA-256 (as {@code ../shared/kubernetes/crds} holds
     * them): the copies in the test resources are checked against these on every machine, with or
     * without the shared folder beside the clone.
     */
    static final Map<String, String> OPERATOR_FILES = Map.of(
            "flinkdeployments.flink.apache.org-v1.yml", "e3f4c40707fd3e0db9676eddcbb2b80de79c5f743ec5fcff4a6c3d27bca05f0d",
            "flinksessionjobs.flink.apache.org-v1.yml", "eb008700770c568cd1533a58f0151859c8769d0e2c7e2e34cdf810b89d8a1095",
            "LICENSE", "c71d239df91726fc519c6eb72d318ec65820627232b2f796219e87dcf35d0ab4");

    /** The CRDs in the test resources are the operator's own, byte for byte. */
    @Test
    void theCrdsAreTheOperatorsOwn() throws Exception {
        assertTrue(Files.readString(CRDS.resolve("NOTICE")).contains("6e9caeb48118934f4311534725196c52159eaa21"), "NOTICE names the commit");
        assertTrue(Files.readString(CRDS.resolve("LICENSE")).contains("Apache License"), "the operator's licence");
        for (Map.Entry<String, String> f : OPERATOR_FILES.entrySet()) {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(CRDS.resolve(f.getKey())));
            assertEquals(f.getValue(), java.util.HexFormat.of().formatHex(digest), f.getKey() + " is not the operator's file at 6e9caeb");
        }
    }

    // ---------------------------------------------------------------- the build

    /** What jobs/pom.xml builds. */
    record Build(String flinkVersion, String projectVersion, String jarName, String mainClass) {
        static Build read() throws IOException {
            String pom = Files.readString(Path.of("pom.xml"));
            String top = Files.readString(Path.of("../pom.xml"));
            String flink = tag(pom, "flink.version");
            assertEquals(tag(top, "flink.version"), flink, "the jobs and the library are built for one Flink");
            // the project's own version: the first <version> after its artifactId
            Matcher v = Pattern.compile("<artifactId>flink-recurrent-jobs</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
            assertTrue(v.find(), "jobs/pom.xml's version");
            Matcher main = Pattern.compile("ManifestResourceTransformer\">\\s*<mainClass>([^<]+)</mainClass>").matcher(pom);
            assertTrue(main.find(), "the job jar's Main-Class in jobs/pom.xml");
            return new Build(flink, v.group(1), tag(pom, "finalName") + ".jar", main.group(1));
        }

        /** The operator's name of this Flink version: 2.3.0 is v2_3. */
        String operatorFlinkVersion() {
            String[] p = flinkVersion.split("\\.");
            return "v" + p[0] + "_" + p[1];
        }

        String flinkImage() {
            return "flink:" + flinkVersion + "-java17";
        }
    }

    private static String tag(String xml, String name) {
        Matcher m = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</" + Pattern.quote(name) + ">").matcher(xml);
        assertTrue(m.find(), "<" + name + ">");
        return m.group(1).trim();
    }

    /** The Dockerfile's base image and the destination of the jar it copies. */
    record Dockerfile(String from, String copySource, String copyDestination) {
        static Dockerfile read() throws IOException {
            String from = null;
            String src = null;
            String dst = null;
            for (String line : Files.readAllLines(DOCKERFILE)) {
                String[] w = line.trim().split("\\s+");
                if (w[0].equalsIgnoreCase("FROM")) {
                    assertTrue(from == null, "one stage in " + DOCKERFILE);
                    from = w[1];
                } else if (w[0].equalsIgnoreCase("COPY") || w[0].equalsIgnoreCase("ADD")) {
                    List<String> args = Stream.of(w).skip(1).filter(a -> !a.startsWith("--")).toList();
                    assertEquals(2, args.size(), DOCKERFILE + ": " + line);
                    assertTrue(src == null, "one COPY in " + DOCKERFILE);
                    src = args.get(0);
                    dst = args.get(1);
                }
            }
            assertTrue(from != null && src != null, DOCKERFILE + " has a FROM and a COPY");
            return new Dockerfile(from, src, dst);
        }
    }

    static Manifest application() throws IOException {
        return only(m -> m.kind().equals("FlinkDeployment") && m.doc().path("spec").has("job"), "FlinkDeployment with a job");
    }

    static Manifest sessionCluster() throws IOException {
        return only(m -> m.kind().equals("FlinkDeployment") && !m.doc().path("spec").has("job"), "FlinkDeployment without a job");
    }

    static Manifest sessionJob() throws IOException {
        return only(m -> m.kind().equals("FlinkSessionJob"), "FlinkSessionJob");
    }

    static Manifest only(java.util.function.Predicate<Manifest> which, String what) throws IOException {
        List<Manifest> found = manifests().stream().filter(which).toList();
        assertEquals(1, found.size(), "one " + what + " in deploy/kubernetes");
        return found.get(0);
    }

    @Test
    void theImageAndTheJarAreTheOnesTheBuildMakes() throws IOException {
        Build build = Build.read();
        Dockerfile docker = Dockerfile.read();
        assertEquals(build.flinkImage(), docker.from(), DOCKERFILE + ": FROM follows jobs/pom.xml's Flink version, Java 17");
        assertEquals("jobs/target/" + build.jarName(), docker.copySource(), DOCKERFILE + ": COPY takes the jar `mvn -f jobs package` builds");
        assertEquals("/opt/flink/usrlib/" + build.jarName(), docker.copyDestination(), DOCKERFILE + ": the jar goes to usrlib");
        String ignore = Files.readString(DEPLOY.resolve("Dockerfile.dockerignore"));
        assertTrue(ignore.contains("!" + docker.copySource()), "Dockerfile.dockerignore lets the jar into the build context");
        // compose runs the same Flink image (DeploymentFilesTest checks compose against the pom)
        assertTrue(Files.readString(Path.of("../docker-compose.yml")).contains("image: " + docker.from()), "docker-compose.yml runs " + docker.from());

        Manifest app = application();
        JsonNode spec = app.doc().path("spec");
        assertEquals("local://" + docker.copyDestination(), spec.at("/job/jarURI").asText(), app.where() + ": spec.job.jarURI");
        assertEquals(build.operatorFlinkVersion(), spec.path("flinkVersion").asText(), app.where() + ": spec.flinkVersion");
        String image = "flink-recurrent:" + build.projectVersion();
        String specImage = spec.path("image").asText();
        assertTrue(specImage.equals(image) || specImage.endsWith("/" + image),
                app.where() + ": spec.image " + specImage + " is the Dockerfile's image " + image
                        + " (tagged with jobs/pom.xml's version, as docs/kubernetes.md builds it; a registry before it is fine)");
        assertTrue(Files.readString(DOCKERFILE).contains("-t " + image + " "), DOCKERFILE + " shows the build of " + image);

        Manifest session = sessionCluster();
        assertEquals(build.flinkImage(), session.doc().at("/spec/image").asText(), session.where() + ": spec.image");
        assertEquals(build.operatorFlinkVersion(), session.doc().at("/spec/flinkVersion").asText(), session.where() + ": spec.flinkVersion");

        Manifest job = sessionJob();
        URI jar = URI.create(job.doc().at("/spec/job/jarURI").asText());
        assertTrue(jar.getPath().endsWith("/" + build.projectVersion() + "/" + build.jarName()),
                job.where() + ": spec.job.jarURI names " + build.projectVersion() + "/" + build.jarName() + ": " + jar);

        for (Manifest m : List.of(app, job)) {
            assertEquals(build.mainClass(), m.doc().at("/spec/job/entryClass").asText(),
                    m.where() + ": spec.job.entryClass is the jar's Main-Class");
        }
    }

    /**
     * Each job's entry class and arguments, run as the JobManager runs them: the jar's main on Flink's
     * plan environment (what {@code flink run} and the REST API's {@code /jars/<id>/plan} use), with the
     * manifest's flinkConfiguration, up to the job graph it would submit. An unknown job, a misspelt
     * option or a missing one ({@code --source kafka} without its brokers) fails here.
     */
    @Test
    void theJobsArgumentsBuildAJobGraphAsTheJarsMainWould() throws Exception {
        Map<String, JsonNode> clusters = new LinkedHashMap<>();
        for (Manifest m : manifests()) {
            if (m.kind().equals("FlinkDeployment")) {
                clusters.put(m.name(), m.doc());
            }
        }
        for (Manifest m : List.of(application(), sessionJob())) {
            JsonNode job = m.doc().at("/spec/job");
            JsonNode cluster = m.kind().equals("FlinkSessionJob") ? clusters.get(m.doc().at("/spec/deploymentName").asText()) : m.doc();
            assertTrue(cluster != null, m.where() + ": spec.deploymentName names a FlinkDeployment of deploy/kubernetes");
            List<String> args = new ArrayList<>();
            job.path("args").forEach(a -> args.add(a.asText()));
            Configuration conf = Configuration.fromMap(flinkConfiguration(cluster));
            PackagedProgram program = PackagedProgram.newBuilder()
                    .setEntryPointClassName(job.path("entryClass").asText())
                    .setArguments(args.toArray(new String[0]))
                    .setConfiguration(conf)
                    .build();
            Pipeline pipeline;
            try {
                pipeline = PackagedProgramUtils.getPipelineFromProgram(program, conf, job.path("parallelism").asInt(1), true);
            } catch (Exception e) {
                Throwable root = e;
                while (root.getCause() != null) {
                    root = root.getCause();
                }
                throw new AssertionError(m.where() + ": spec.job.args " + args + ": the jar's main refuses them: " + root.getMessage(), e);
            }
            StreamGraph graph = (StreamGraph) pipeline;
            assertEquals(args.get(0), graph.getJobName(), m.where() + ": the job graph is the job spec.job.args[0] names");
            // upgradeMode: savepoint maps state back by uid: every source and every keyed operator has one
            int keyed = 0;
            for (StreamNode node : graph.getStreamNodes()) {
                boolean stateful = node.getInEdges().isEmpty() || node.getStateKeySerializer() != null;
                keyed += node.getStateKeySerializer() != null ? 1 : 0;
                if (stateful) {
                    assertTrue(node.getTransformationUID() != null,
                            m.where() + ": operator '" + node.getOperatorName() + "' has no uid, its state would not map back from a savepoint");
                }
            }
            assertTrue(keyed > 0, m.where() + ": the job graph has a keyed (recurrent) operator");
        }
    }

    /** flinkConfiguration as Flink's flat keys (the operator also accepts nested YAML). */
    static Map<String, String> flinkConfiguration(JsonNode deployment) {
        Map<String, String> flat = new LinkedHashMap<>();
        flatten("", deployment.at("/spec/flinkConfiguration"), flat);
        return flat;
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> out) {
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                flatten(prefix.isEmpty() ? f.getKey() : prefix + "." + f.getKey(), f.getValue(), out);
            }
        } else if (!node.isMissingNode()) {
            out.put(prefix, node.asText());
        }
    }

    // ---------------------------------------------------------------- what the operator checks before deploying

    /**
     * The rules of the operator's admission checks ({@code DefaultValidator} at the CRDs' commit) that
     * the schema cannot express, for what these manifests use.
     */
    @Test
    void theOperatorsAdmissionRulesHold() throws IOException {
        List<String> errors = new ArrayList<>();
        Map<String, Manifest> deployments = new LinkedHashMap<>();
        for (Manifest m : manifests()) {
            if (m.kind().equals("FlinkDeployment")) {
                deployments.put(m.name(), m);
            }
        }
        for (Manifest m : deployments.values()) {
            JsonNode spec = m.doc().path("spec");
            Map<String, String> conf = flinkConfiguration(m.doc());
            if (!m.name().matches("[a-z]([-a-z\\d]{0,43}[a-z\\d])?")) {
                errors.add(m.where() + ": metadata.name: not a valid FlinkDeployment name (lower case, '-', at most 45)");
            }
            if (!spec.has("flinkVersion")) {
                errors.add(m.where() + ": spec.flinkVersion: Flink Version must be defined");
            }
            if (!spec.path("serviceAccount").isTextual()) {
                errors.add(m.where() + ": spec.serviceAccount: must be defined");
            }
            for (String key : new String[] {"kubernetes.namespace", "kubernetes.cluster-id", "high-availability.cluster-id"}) {
                if (conf.containsKey(key)) {
                    errors.add(m.where() + ": spec.flinkConfiguration." + key + ": forbidden (the operator sets it)");
                }
            }
            for (String c : new String[] {"jobManager", "taskManager"}) {
                if (!spec.path(c).path("resource").path("memory").isTextual()
                        && !spec.path(c).path("resources").path("requests").has("memory")
                        && !spec.path(c).path("resources").path("limits").has("memory")) {
                    errors.add(m.where() + ": spec." + c + ".resource.memory: must be defined");
                }
            }
            if (spec.has("job")) {
                errors.addAll(jobRules(m, spec.path("job"), conf));
            }
        }
        for (Manifest m : manifests()) {
            if (!m.kind().equals("FlinkSessionJob")) {
                continue;
            }
            Manifest cluster = deployments.get(m.doc().at("/spec/deploymentName").asText());
            if (cluster == null) {
                errors.add(m.where() + ": spec.deploymentName: names no FlinkDeployment of deploy/kubernetes");
                continue;
            }
            if (cluster.doc().path("spec").has("job")) {
                errors.add(m.where() + ": spec.deploymentName: " + cluster.name() + " is an application cluster");
            }
            Map<String, String> conf = new LinkedHashMap<>(flinkConfiguration(cluster.doc()));
            conf.putAll(flinkConfiguration(m.doc()));
            errors.addAll(jobRules(m, m.doc().at("/spec/job"), conf));
            // the operator fetches the jar itself; by default only https (kubernetes.operator.user.artifacts.allowed-schemes)
            URI jar = URI.create(m.doc().at("/spec/job/jarURI").asText());
            if (!"https".equals(jar.getScheme()) || jar.getHost() == null) {
                errors.add(m.where() + ": spec.job.jarURI: the operator fetches session jobs' jars over https only (by default): " + jar);
            }
        }
        assertNoErrors(errors);
    }

    private static List<String> jobRules(Manifest m, JsonNode job, Map<String, String> conf) {
        List<String> errors = new ArrayList<>();
        String mode = job.path("upgradeMode").asText("stateless");
        if (!mode.equals("stateless") && conf.getOrDefault("execution.checkpointing.dir", "").isBlank()) {
            errors.add(m.where() + ": spec.job.upgradeMode " + mode + ": execution.checkpointing.dir must be defined");
        }
        if (mode.equals("savepoint") && conf.getOrDefault("execution.checkpointing.savepoint-dir", "").isBlank()) {
            errors.add(m.where() + ": spec.job.upgradeMode savepoint: execution.checkpointing.savepoint-dir must be set");
        }
        if (job.path("parallelism").asInt(0) < 1) {
            errors.add(m.where() + ": spec.job.parallelism: must be larger than 0");
        }
        if (!job.path("jarURI").isTextual()) {
            errors.add(m.where() + ": spec.job.jarURI: missing");
        }
        return errors;
    }

    // ---------------------------------------------------------------- state and metrics

    /** Checkpoints, savepoints and HA on a path every pod mounts from the claim state-pvc.yaml defines (or an object store). */
    @Test
    void stateGoesToTheMountedVolume() throws IOException {
        List<String> claims = manifests().stream().filter(m -> m.kind().equals("PersistentVolumeClaim")).map(Manifest::name).toList();
        List<String> errors = new ArrayList<>();
        for (Manifest m : manifests()) {
            if (!m.kind().equals("FlinkDeployment")) {
                continue;
            }
            Map<String, String> conf = flinkConfiguration(m.doc());
            JsonNode pod = m.doc().at("/spec/podTemplate/spec");
            for (String key : new String[] {"execution.checkpointing.dir", "execution.checkpointing.savepoint-dir", "high-availability.storageDir"}) {
                URI dir = URI.create(conf.getOrDefault(key, ""));
                if (!"file".equals(dir.getScheme())) {
                    if (dir.getScheme() == null) {
                        errors.add(m.where() + ": spec.flinkConfiguration." + key + ": not set (a URI: file:// on the volume, or s3:// ...)");
                    }
                    continue;
                }
                boolean mounted = false;
                for (JsonNode c : pod.path("containers")) {
                    if (!c.path("name").asText().equals("flink-main-container")) {
                        continue;
                    }
                    for (JsonNode vm : c.path("volumeMounts")) {
                        if (dir.getPath().startsWith(vm.path("mountPath").asText() + "/")) {
                            for (JsonNode v : pod.path("volumes")) {
                                mounted |= v.path("name").asText().equals(vm.path("name").asText())
                                        && claims.contains(v.at("/persistentVolumeClaim/claimName").asText());
                            }
                        }
                    }
                }
                if (!mounted) {
                    errors.add(m.where() + ": spec.flinkConfiguration." + key + ": " + dir
                            + " is not on a volume from a PersistentVolumeClaim of deploy/kubernetes " + claims
                            + " mounted in spec.podTemplate's flink-main-container");
                }
            }
        }
        assertNoErrors(errors);
    }

    /**
     * Every cluster runs the Prometheus reporter (issue 26: the one docker-compose.yml runs too), and its
     * pods say where to scrape it. Once docker-compose.yml configures a {@code prom} reporter, its
     * factory and port must be these.
     */
    @Test
    void everyClusterExposesThePrometheusReporter() throws IOException {
        List<String> errors = new ArrayList<>();
        JsonNode compose = StructuralSchema.readYaml(Files.readString(Path.of("../docker-compose.yml"))).get(0);
        for (Iterator<Map.Entry<String, JsonNode>> it = compose.path("services").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> service = it.next();
            String props = service.getValue().at("/environment/FLINK_PROPERTIES").asText("");
            for (String line : props.split("\n")) {
                String[] kv = line.split(":", 2);
                String key = kv[0].trim();
                String value = kv.length > 1 ? kv[1].trim().replaceAll("^\"|\"$", "") : "";
                if (key.equals("metrics.reporter.prom.factory.class") && !value.equals(PROMETHEUS_FACTORY)
                        || key.equals("metrics.reporter.prom.port") && !value.equals(PROMETHEUS_PORT)) {
                    errors.add("docker-compose.yml: services." + service.getKey() + ".environment.FLINK_PROPERTIES: " + key + " is " + value
                            + ", deploy/kubernetes has " + (key.endsWith("port") ? PROMETHEUS_PORT : PROMETHEUS_FACTORY));
                }
            }
        }
        for (Manifest m : manifests()) {
            if (!m.kind().equals("FlinkDeployment")) {
                continue;
            }
            Map<String, String> conf = flinkConfiguration(m.doc());
            if (!PROMETHEUS_FACTORY.equals(conf.get("metrics.reporter.prom.factory.class"))) {
                errors.add(m.where() + ": spec.flinkConfiguration.metrics.reporter.prom.factory.class: not " + PROMETHEUS_FACTORY);
            }
            if (!PROMETHEUS_PORT.equals(conf.get("metrics.reporter.prom.port"))) {
                errors.add(m.where() + ": spec.flinkConfiguration.metrics.reporter.prom.port: not " + PROMETHEUS_PORT);
            }
            JsonNode annotations = m.doc().at("/spec/podTemplate/metadata/annotations");
            if (!"true".equals(annotations.path("prometheus.io/scrape").asText()) || !PROMETHEUS_PORT.equals(annotations.path("prometheus.io/port").asText())) {
                errors.add(m.where() + ": spec.podTemplate.metadata.annotations: prometheus.io/scrape \"true\" and prometheus.io/port \"" + PROMETHEUS_PORT + "\"");
            }
            boolean port = false;
            for (JsonNode c : m.doc().at("/spec/podTemplate/spec/containers")) {
                for (JsonNode p : c.path("ports")) {
                    port |= c.path("name").asText().equals("flink-main-container") && p.path("containerPort").asText().equals(PROMETHEUS_PORT);
                }
            }
            if (!port) {
                errors.add(m.where() + ": spec.podTemplate.spec.containers[flink-main-container].ports: no containerPort " + PROMETHEUS_PORT);
            }
        }
        assertNoErrors(errors);
    }
}
