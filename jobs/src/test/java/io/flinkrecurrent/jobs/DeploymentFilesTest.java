package io.flinkrecurrent.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** docker-compose.yml parses, its Flink images are the poms' Flink version, and it uses Flink 2.x keys. */
class DeploymentFilesTest {

    static String flinkVersion(String pom) throws Exception {
        Matcher m = Pattern.compile("<flink.version>([^<]+)</flink.version>").matcher(Files.readString(Path.of(pom)));
        assertTrue(m.find(), "flink.version in " + pom);
        return m.group(1);
    }

    static String flinkVersion() throws Exception {
        String library = flinkVersion("../pom.xml");
        assertEquals(library, flinkVersion("pom.xml"), "the jobs are built for the library's Flink");
        return library;
    }

    @Test
    void composeFileMatchesThePom() throws Exception {
        // SnakeYAML resolves the anchors and aliases the file uses, as docker compose does
        Object yaml = new org.yaml.snakeyaml.Yaml().load(Files.readString(Path.of("../docker-compose.yml")));
        JsonNode compose = new ObjectMapper().valueToTree(yaml);
        JsonNode services = compose.get("services");
        String version = flinkVersion();
        for (String s : new String[] {"jobmanager", "taskmanager", "submit", "sql-client", "sql-anomaly"}) {
            JsonNode svc = services.get(s);
            assertTrue(svc != null, "service " + s);
            assertTrue(svc.get("image").asText().startsWith("flink:" + version + "-java17"),
                    s + " runs " + svc.get("image").asText() + ", the pom builds for Flink " + version);
            String props = svc.get("environment").get("FLINK_PROPERTIES").asText();
            for (String key : new String[] {"execution.checkpointing.dir:", "execution.checkpointing.savepoint-dir:",
                    "state.backend.type:", "jobmanager.rpc.address:"}) {
                assertTrue(props.contains(key), s + " sets " + key);
            }
            for (String old : new String[] {"state.checkpoints.dir", "state.savepoints.dir", "state.backend:"}) {
                assertFalse(props.contains(old), s + " uses the Flink 1.x key " + old);
            }
        }
        assertEquals("jobmanager", services.get("jobmanager").get("command").asText());
        assertEquals("taskmanager", services.get("taskmanager").get("command").asText());
        assertTrue(services.get("jobmanager").get("ports").toString().contains("8081:8081"), "Web UI on :8081");
        assertTrue(services.get("jobmanager").get("volumes").toString().contains("./jobs/target/flink-recurrent.jar:"), "the jar is mounted");
        assertTrue(services.get("submit").get("command").asText().contains("flink run"), "a service submits a job");
        // the model-update demo: the folder the job watches is mounted where its enumerator and readers run
        String submit = services.get("submit").get("command").asText();
        java.util.regex.Matcher watched = java.util.regex.Pattern.compile("--model-updates ([^\\s\"]+)").matcher(submit);
        assertTrue(watched.find(), "the submitted job watches a folder for model updates");
        for (String s : new String[] {"jobmanager", "taskmanager"}) {
            boolean mounted = false;
            for (JsonNode v : services.get(s).get("volumes")) {
                String[] parts = v.asText().split(":");
                mounted |= watched.group(1).startsWith(parts[1] + "/")
                        && Files.isDirectory(Path.of("..").resolve(parts[0]).resolve(watched.group(1).substring(parts[1].length() + 1)));
            }
            assertTrue(mounted, s + " mounts the watched folder " + watched.group(1) + " from a folder of the repository");
        }
        // the SQL Client services: each runs a script of jobs/sql with the job jar, the script's function from the jar
        for (String[] svc : new String[][] {{"sql-client", "recurrent(", "io.flinkrecurrent.sql.RecurrentFunction"},
                {"sql-anomaly", "anomaly(", "io.flinkrecurrent.anomaly.sql.AnomalyFunction"}}) {
            String sqlClient = services.get(svc[0]).get("command").asText();
            assertTrue(sqlClient.contains("sql-client.sh -j /opt/flink/usrlib/flink-recurrent.jar -f /opt/flink-recurrent/jobs/sql/"),
                    svc[0] + ": the SQL Client runs a script of jobs/sql with the job jar");
            String script = sqlClient.substring(sqlClient.indexOf("/opt/flink-recurrent/jobs/sql/") + "/opt/flink-recurrent/".length(),
                    sqlClient.lastIndexOf(".sql") + 4);
            assertTrue(Files.isRegularFile(Path.of("..").resolve(script)), script + " exists");
            String sql = Files.readString(Path.of("..").resolve(script));
            assertTrue(sql.contains("CREATE TEMPORARY SYSTEM FUNCTION IF NOT EXISTS " + svc[1].replace("(", "") + " AS '" + svc[2] + "'")
                    && sql.contains("FROM " + svc[1]), script + " registers the function from the job jar and calls it");
            Class.forName(svc[2]); // on the jobs' class path: in the job jar
            assertTrue(services.get(svc[0]).get("volumes").toString().contains("./jobs:/opt/flink-recurrent/jobs"),
                    svc[0] + ": the scripts (and the models they read) are mounted where the script reads them");
            assertTrue(services.get(svc[0]).get("volumes").toString().contains("./jobs/target/flink-recurrent.jar:/opt/flink/usrlib/flink-recurrent.jar"),
                    svc[0] + ": the job jar is mounted");
        }
        JsonNode kafka = services.get("kafka").get("environment");
        assertEquals("broker,controller", kafka.get("KAFKA_PROCESS_ROLES").asText(), "Kafka in KRaft mode");
        for (String v : new String[] {"flink-data", "kafka-data"}) {
            assertTrue(compose.get("volumes").has(v), "volume " + v);
        }
    }
}
