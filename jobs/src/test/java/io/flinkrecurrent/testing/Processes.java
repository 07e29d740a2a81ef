package io.flinkrecurrent.testing;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Starting real components in their own JVMs, from the jars Maven resolved for the tests. */
public final class Processes {
    private Processes() {}

    /** The test class path without the project's own classes and jar: what the Kafka broker runs on. */
    public static String componentClasspath() {
        return classpath(false);
    }

    /**
     * What a Flink distribution has: the test class path without the project's classes and jar, and
     * without Kafka, which a job brings in its own jar (one copy per class loader, or casts fail).
     */
    public static String flinkClasspath() {
        return classpath(true);
    }

    private static String classpath(boolean withoutKafka) {
        List<String> keep = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (e.endsWith("target/classes") || e.endsWith("target/test-classes") || e.endsWith("flink-recurrent.jar")
                    || e.contains(File.separator + "io" + File.separator + "flinkrecurrent" + File.separator)) { // the library, from the Maven repository
                continue;
            }
            if (withoutKafka && (e.contains("/org/apache/kafka/") || e.contains("flink-connector-kafka"))) {
                continue;
            }
            keep.add(e);
        }
        return String.join(File.pathSeparator, keep);
    }

    public static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** A free TCP port on the loopback interface. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Starts a JVM, its output appended to {@code log}. */
    public static Process start(List<String> command, Path log) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        return pb.start();
    }

    /** The --add-opens list of Flink's distribution (env.java.opts.all in its config.yaml). */
    public static List<String> flinkJvmOpens() {
        List<String> l = new ArrayList<>();
        for (String p : new String[] {"java.base/java.lang", "java.base/java.net", "java.base/java.io", "java.base/java.nio",
                "java.base/sun.nio.ch", "java.base/java.lang.reflect", "java.base/java.text", "java.base/java.time",
                "java.base/java.util", "java.base/java.util.concurrent", "java.base/java.util.concurrent.atomic",
                "java.base/java.util.concurrent.locks"}) {
            l.add("--add-opens=" + p + "=ALL-UNNAMED");
        }
        for (String p : new String[] {"java.base/sun.net.util", "java.rmi/sun.rmi.registry", "java.security.jgss/sun.security.krb5"}) {
            l.add("--add-exports=" + p + "=ALL-UNNAMED");
        }
        return l;
    }
}
