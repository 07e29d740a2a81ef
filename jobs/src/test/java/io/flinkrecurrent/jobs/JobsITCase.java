package io.flinkrecurrent.jobs;

import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.flink.RejectedEvent;
import io.flinkrecurrent.testing.FlinkTesting;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The example jobs as functions of streams on a mini-cluster: they give the article's answers. */
class JobsITCase {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = FlinkTesting.miniCluster();

    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path dir;

    static List<SymbolResult> run(Jobs.Job job, List<SymbolEvent> events) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(FlinkTesting.jobConfig("hashmap", null));
        env.setParallelism(2);
        RecurrentModel model = JobOptions.model(job.optionSet().parse(job.name(), new String[0]), job.modelResource());
        DataStream<SymbolEvent> in = env.fromData(TypeInformation.of(SymbolEvent.class), events.toArray(new SymbolEvent[0]))
                .setParallelism(1);
        SymbolJobs.Streams s = job instanceof RepetitionJob ? RepetitionJob.apply(in, model) : NextCharJob.apply(in, model);
        List<SymbolResult> out = new ArrayList<>();
        try (CloseableIterator<SymbolResult> it = s.results().executeAndCollect()) {
            it.forEachRemaining(out::add);
        }
        out.sort(Comparator.comparing((SymbolResult r) -> r.key).thenComparingLong(r -> r.seq));
        return out;
    }

    static List<SymbolEvent> word(String key, String letters) {
        List<SymbolEvent> l = new ArrayList<>();
        for (int i = 0; i < letters.length(); i++) {
            l.add(new SymbolEvent(key, String.valueOf(letters.charAt(i)), i == 0));
        }
        return l;
    }

    @Test
    void repetitionSaysZeroTheFirstTimeAndOneTheSecond() throws Exception {
        List<SymbolEvent> events = new ArrayList<>(word("article", "313"));
        events.addAll(word("other", "3"));                 // another key: its own history
        events.addAll(word("article", "3"));               // a reset: a new sequence, 3 is new again
        events.add(new SymbolEvent("article", "3", false)); // and now seen
        List<SymbolResult> r = run(new RepetitionJob(), events);
        List<String> article = r.stream().filter(x -> x.key.equals("article")).map(x -> x.prediction).toList();
        assertEquals(List.of("new", "new", "seen", "new", "seen"), article);
        assertTrue(r.get(0).probability < 0.05f && r.get(2).probability > 0.95f,
                "F(3) near 0 the first time, near 1 the second: " + r.get(0).probability + ", " + r.get(2).probability);
        assertEquals("new", r.stream().filter(x -> x.key.equals("other")).findFirst().orElseThrow().prediction);
    }

    @Test
    void nextCharSaysEAfterHousAndTAfterLis() throws Exception {
        List<SymbolEvent> events = new ArrayList<>(word("u1", "hous"));
        events.addAll(word("u2", "lis"));
        List<SymbolResult> r = run(new NextCharJob(), events);
        SymbolResult hous = r.stream().filter(x -> x.key.equals("u1") && x.seq == 3).findFirst().orElseThrow();
        SymbolResult lis = r.stream().filter(x -> x.key.equals("u2") && x.seq == 2).findFirst().orElseThrow();
        assertEquals("e", hous.prediction, "after h,o,u,s");
        assertEquals("t", lis.prediction, "after l,i,s");
    }

    /**
     * The anomaly job on its bundled sample, every score printed ({@code --alert 0}): each equals the score of
     * the detector that {@code --detector} names, stepped here directly over the key's values (so the option
     * is not only accepted but obeyed), and the sample's jump raises an alarm on its day.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"windowed", "compact-1", "compact"})
    void anomalyRunsEndToEndWithTheDetectorItNamesAndFlagsTheJump(String detector) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Jobs.run(new AnomalyJob(), new String[] {"--detector", detector, "--alert", "0"}, true,
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("anomaly: 8064 results, 0 rejected events"), text);
        assertEquals("", err.toString(StandardCharsets.UTF_8));

        // the same detector, stepped over each key's values in order
        var params = switch (detector) {
            case "windowed" -> io.flinkrecurrent.anomaly.DetectorParams.WINDOWED;
            case "compact-1" -> io.flinkrecurrent.anomaly.DetectorParams.COMPACT_1;
            default -> io.flinkrecurrent.anomaly.DetectorParams.COMPACT;
        };
        var model = new io.flinkrecurrent.anomaly.AnomalyDetector(JobOptions.model(
                new AnomalyJob().optionSet().parse("anomaly", new String[0]), AnomalyJob.MODEL), params);
        java.util.Map<String, float[]> states = new java.util.HashMap<>();
        java.util.Map<String, java.util.Map<Integer, String>> want = new java.util.HashMap<>();
        var scratch = model.newScratch();
        float[] o = new float[model.outputSize()];
        String sample = new String(JobOptions.resource("jobs/anomaly/sample.csv"), StandardCharsets.UTF_8);
        for (String line : sample.split("\n")) {
            if (line.startsWith("#") || line.startsWith("key,")) {
                continue;
            }
            String[] f = line.split(",");
            float[] st = states.computeIfAbsent(f[0], k -> new float[model.stateSize()]);
            model.step(o, st, new float[] {Float.parseFloat(f[2])}, scratch);
            var byKey = want.computeIfAbsent(f[0], k -> new java.util.HashMap<>());
            byKey.put(byKey.size(), String.format(java.util.Locale.ROOT, "%.4f %s", o[0],
                    io.flinkrecurrent.anomaly.Cause.of(o).label()));
        }
        int compared = 0;
        boolean jumpFlagged = false;
        for (String l : text.lines().filter(l -> l.contains("  ALERT  ")).toList()) {
            // art_daily_jumpsup #2881   2014-04-11 00:05:00  score 0.5000  ALERT  none
            String[] f = l.trim().split("\\s+");
            String score = f[f.length - 3];
            assertEquals(want.get(f[0]).get(Integer.parseInt(f[1].substring(1))), score + " " + f[f.length - 1], detector + ": " + l);
            compared++;
            jumpFlagged |= f[0].equals("art_daily_jumpsup") && f[2].equals("2014-04-11")
                    && Float.parseFloat(score) >= params.alarmScore() && !f[f.length - 1].equals("none");
        }
        assertEquals(8064, compared, "every event's score compared");
        // the sample's jump comes on 2014-04-11 09:00; an alarm falls on that day
        assertTrue(jumpFlagged, text);
    }

    @Test
    void theBundledSampleRunsEndToEndAndBadSymbolsAreRejected() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Jobs.run(new RepetitionJob(), new String[0], true, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("repetition: 45 results, 0 rejected events"), text);
        assertTrue(text.contains("article      #2    3   -> seen"), text);

        java.nio.file.Path f = dir.resolve("symbols.csv");
        java.nio.file.Files.writeString(f, "a,1,true\na,x\nb\na,1\n");
        out.reset();
        Jobs.run(new RepetitionJob(), new String[] {"--source", "file", "--input", f.toString()}, true,
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        String e = err.toString(StandardCharsets.UTF_8);
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("repetition: 2 results, 2 rejected events"), out.toString());
        assertTrue(e.contains(RejectedEvent.Reason.MALFORMED + ", key=a: symbol 'x' is not one of '0123456789'"), e);
        assertTrue(e.contains("line 3: expected key,symbol[,reset], got 'b'"), e);
    }
}
