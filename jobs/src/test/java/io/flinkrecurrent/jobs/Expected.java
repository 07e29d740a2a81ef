package io.flinkrecurrent.jobs;

import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.Scratch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** What a symbol job must output, computed with the plain cells in one thread (same kernels: bit for bit). */
final class Expected {
    private Expected() {}

    /** The JSON result lines of a symbol job over the given CSV lines (key,symbol,reset), in input order. */
    static List<String> symbolJob(RecurrentModel model, String alphabet, SymbolJobs.Decoder decoder, List<String> lines) {
        Map<String, float[]> states = new HashMap<>();
        Map<String, Long> seqs = new HashMap<>();
        Scratch scratch = model.newScratch();
        float[] y = new float[model.outputSize()];
        List<String> out = new ArrayList<>();
        for (String line : lines) {
            SymbolEvent e = SymbolJobs.ParseSymbols.fromCsv(line);
            float[] st = states.computeIfAbsent(e.key, k -> model.newState());
            if (e.reset) {
                Arrays.fill(st, 0f);
            }
            float[] x = new float[alphabet.length()];
            x[alphabet.indexOf(e.symbol)] = 1f;
            model.step(y, st, x, scratch);
            SymbolResult r = new SymbolResult();
            r.key = e.key;
            r.seq = seqs.merge(e.key, 1L, Long::sum) - 1;
            r.symbol = e.symbol;
            decoder.decode(y, r);
            out.add(r.toJson());
        }
        return out;
    }

    /**
     * The JSON result lines of a symbol job whose model changes while it runs, with RESET: each key's
     * events through the model of the version {@code versionOf} says made its output (key, seq), from
     * zeros at the key's first event of a new version.
     */
    static List<String> symbolJobSwapped(Map<String, RecurrentModel> models, String alphabet, SymbolJobs.Decoder decoder,
                                         List<String> lines, java.util.function.BiFunction<String, Long, String> versionOf) {
        Map<String, float[]> states = new HashMap<>();
        Map<String, String> versions = new HashMap<>();
        Map<String, Long> seqs = new HashMap<>();
        List<String> out = new ArrayList<>();
        for (String line : lines) {
            SymbolEvent e = SymbolJobs.ParseSymbols.fromCsv(line);
            long seq = seqs.merge(e.key, 1L, Long::sum) - 1;
            String version = versionOf.apply(e.key, seq);
            if (version == null) {
                continue; // no output for it (yet)
            }
            RecurrentModel model = models.get(version);
            float[] st = states.computeIfAbsent(e.key, k -> model.newState());
            if (!version.equals(versions.put(e.key, version)) && versions.size() > 0 && seq > 0) {
                Arrays.fill(st, 0f);
            }
            if (e.reset) {
                Arrays.fill(st, 0f);
            }
            float[] x = new float[alphabet.length()];
            x[alphabet.indexOf(e.symbol)] = 1f;
            float[] y = new float[model.outputSize()];
            model.step(y, st, x, model.newScratch());
            SymbolResult r = new SymbolResult();
            r.key = e.key;
            r.seq = seq;
            r.symbol = e.symbol;
            r.model = version;
            decoder.decode(y, r);
            out.add(r.toJson());
        }
        return out;
    }

    /** The first n lines of a job's generator. */
    static List<String> generated(Jobs.Job job, long n) {
        List<String> l = new ArrayList<>();
        for (long i = 0; i < n; i++) {
            l.add(job.generate(i));
        }
        return l;
    }
}
