package io.flinkrecurrent.testing;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/** A real Kafka broker (KRaft, broker and controller in one JVM) on 127.0.0.1, from Kafka's own jars. */
public final class KafkaBroker implements AutoCloseable {
    private final Path dir;
    private final int port;
    private Process process;

    public KafkaBroker(Path dir) throws IOException {
        this.dir = dir;
        this.port = Processes.freePort();
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    public void start() throws Exception {
        int controller = Processes.freePort();
        Path props = dir.resolve("server.properties");
        Files.writeString(props, String.join("\n",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.voters=1@127.0.0.1:" + controller,
                "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controller,
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                "controller.listener.names=CONTROLLER",
                "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                "inter.broker.listener.name=PLAINTEXT",
                "log.dirs=" + dir.resolve("data"),
                "num.partitions=2",
                "offsets.topic.replication.factor=1",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "") + "\n");
        Path log4j = dir.resolve("log4j2.properties");
        Files.writeString(log4j, "rootLogger.level = WARN\nrootLogger.appenderRef.c.ref = C\nappender.c.type = Console\n"
                + "appender.c.name = C\nappender.c.layout.type = PatternLayout\nappender.c.layout.pattern = %d %-5p %c{1} - %m%n\n");
        String cp = Processes.componentClasspath();
        String logOpt = "-Dlog4j2.configurationFile=" + log4j.toUri();
        Process format = Processes.start(List.of(Processes.java(), logOpt, "-cp", cp, "kafka.tools.StorageTool", "format",
                "-t", Uuid.randomUuid().toString(), "-c", props.toString()), dir.resolve("format.log"));
        if (!format.waitFor(60, TimeUnit.SECONDS) || format.exitValue() != 0) {
            throw new IllegalStateException("kafka storage format failed: " + Files.readString(dir.resolve("format.log")));
        }
        process = Processes.start(List.of(Processes.java(), "-Xmx512m", logOpt, "-cp", cp, "kafka.Kafka", props.toString()),
                dir.resolve("broker.log"));
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Exception last = null;
        while (System.nanoTime() < end) {
            try (Admin admin = admin()) {
                admin.describeCluster().nodes().get(2, TimeUnit.SECONDS);
                return;
            } catch (Exception e) {
                last = e;
                if (!process.isAlive()) {
                    break;
                }
                Thread.sleep(250);
            }
        }
        throw new IllegalStateException("kafka broker not up: " + last + "\n" + Files.readString(dir.resolve("broker.log")));
    }

    private Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000));
    }

    public void createTopic(String name, int partitions) throws Exception {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
    }

    public void produce(String topic, List<String> values) throws Exception {
        try (KafkaProducer<String, String> producer = producer()) {
            produce(producer, topic, values);
        }
    }

    /** Sends {@code values} to partition 0 of {@code topic} (the file's order) and waits until the broker has them all. */
    public static void produce(KafkaProducer<String, String> producer, String topic, List<String> values) {
        for (String v : values) {
            producer.send(new ProducerRecord<>(topic, 0, null, v));
        }
        producer.flush();
    }

    /** An idempotent producer of strings, for {@link #produce(KafkaProducer, String, List)} again and again. */
    public KafkaProducer<String, String> producer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        return new KafkaProducer<>(p);
    }

    /** Reads committed records until {@code expected} have come or {@code timeout} passes. */
    public List<String> consumeCommitted(String topic, int expected, Duration timeout) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + System.nanoTime());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        List<String> out = new ArrayList<>();
        long end = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p)) {
            c.subscribe(List.of(topic));
            while (out.size() < expected && System.nanoTime() < end) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
                    out.add(r.value());
                }
            }
            // a little longer: anything beyond the expected count would be a duplicate
            for (ConsumerRecord<String, String> r : c.poll(Duration.ofSeconds(1))) {
                out.add(r.value());
            }
        }
        return out;
    }

    /**
     * The distinct records written to a topic so far, committed or not ({@code isolation.level=read_uncommitted}):
     * what a transactional writer has put into a transaction that is still open, or that was aborted,
     * counts here, and not for a {@code read_committed} reader. A record written again (the same value)
     * counts once. One consumer, read on from where it stopped.
     */
    public Written written(String topic) {
        return new Written(topic);
    }

    /** See {@link #written}. */
    public final class Written implements AutoCloseable {
        private final KafkaConsumer<String, String> consumer;
        private final List<org.apache.kafka.common.TopicPartition> partitions;
        private final java.util.Set<String> seen = new java.util.HashSet<>();

        private Written(String topic) {
            Properties p = new Properties();
            p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
            p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
            p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
            p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
            consumer = new KafkaConsumer<>(p);
            partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(i -> new org.apache.kafka.common.TopicPartition(topic, i.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
        }

        /** The distinct records written so far: read up to each partition's end as it is now. */
        public int distinct() {
            Map<org.apache.kafka.common.TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(10));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + partitions + " up to " + end);
                }
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(50))) {
                    seen.add(r.value());
                }
            }
            return seen.size();
        }

        @Override
        public void close() {
            consumer.close();
        }
    }

    /**
     * A broker for a test class: {@code @RegisterExtension static final KafkaBroker.PerClass KAFKA = new
     * KafkaBroker.PerClass();} starts one in a temporary folder before the class's tests and stops it
     * and removes the folder after them.
     */
    public static final class PerClass implements org.junit.jupiter.api.extension.BeforeAllCallback,
            org.junit.jupiter.api.extension.AfterAllCallback {
        private Path dir;
        private KafkaBroker broker;

        public KafkaBroker broker() {
            return broker;
        }

        @Override
        public void beforeAll(org.junit.jupiter.api.extension.ExtensionContext context) throws Exception {
            dir = Files.createTempDirectory("kafka-");
            broker = new KafkaBroker(dir);
            broker.start();
        }

        @Override
        public void afterAll(org.junit.jupiter.api.extension.ExtensionContext context) throws Exception {
            broker.close();
            try (var files = Files.walk(dir)) {
                for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null) {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor();
            }
        }
    }
}
