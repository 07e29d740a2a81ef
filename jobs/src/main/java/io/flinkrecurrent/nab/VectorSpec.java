package io.flinkrecurrent.nab;

import io.flinkrecurrent.anomaly.AnomalyDetector;
import io.flinkrecurrent.anomaly.Combination;
import io.flinkrecurrent.anomaly.DetectorParams;
import io.flinkrecurrent.anomaly.VectorDetector;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.RecurrentNetwork;

import java.util.ArrayList;
import java.util.List;

/**
 * How {@code nab} runs a key of several metrics ({@code --vectors}, and in a {@code --variants} variant): the
 * {@link VectorDetector} with a {@link Combination} ({@code top=K,rangeMetrics=R}, or {@code max}), or
 * {@code per-metric}, the univariate detector on each metric alone and the largest score per row
 * ({@link PerMetricMaximum}, anomaly-mv-dev's baseline). A key of one value runs the univariate detector
 * whatever this says.
 *
 * @param kind         {@code top}, {@code max} or {@code per-metric}
 * @param top          with {@code top}: how many of the largest metric z values the key's z averages
 * @param rangeMetrics with {@code top}: how many metrics beyond their range at once make the range rule
 */
record VectorSpec(String kind, int top, int rangeMetrics) implements java.io.Serializable {
    /** The vector detector with {@link Combination#DEFAULT}, {@code top(3, 3)}. */
    static final VectorSpec DEFAULT = new VectorSpec("top", 3, 3);
    /** The names a variant's changes may use for this spec, beside the detector's parameters. */
    static final List<String> NAMES = List.of("vectors", "top", "rangeMetrics");

    VectorSpec {
        if (!List.of("top", "max", "per-metric").contains(kind)) {
            throw new IllegalArgumentException("vectors is top, max or per-metric, not '" + kind + "'");
        }
        Combination.top(top, rangeMetrics); // refuses values below 1
    }

    /** {@code per-metric}, {@code max}, {@code top}, or {@code top=K,rangeMetrics=R,...} as {@link #with}. */
    static VectorSpec parse(String spec) {
        return DEFAULT.with(spec.contains("=") ? spec : "vectors=" + spec);
    }

    /** This spec with the changes named by {@link #NAMES}: {@code vectors=top|max|per-metric}, {@code top=K}, {@code rangeMetrics=R}. */
    VectorSpec with(String changes) {
        String kind = this.kind;
        int top = this.top;
        int range = this.rangeMetrics;
        for (String kv : changes.split(",")) {
            String[] f = kv.split("=", 2);
            if (f.length != 2 || !NAMES.contains(f[0].trim())) {
                throw new IllegalArgumentException("expected vectors=top|max|per-metric, top=K or rangeMetrics=R, got '" + kv + "'");
            }
            String v = f[1].trim();
            switch (f[0].trim()) {
                case "vectors" -> kind = v;
                case "top" -> top = Integer.parseInt(v);
                default -> range = Integer.parseInt(v);
            }
        }
        return new VectorSpec(kind, top, range);
    }

    /** The vector detector's combination (none for {@code per-metric}). */
    Combination combination() {
        return kind.equals("max") ? Combination.max() : Combination.top(top, rangeMetrics);
    }

    /**
     * Splits a variant's {@code name=value,...} into the detector's changes (the first element, "" if none) and
     * this spec's (the second).
     */
    static String[] split(String changes) {
        List<String> detector = new ArrayList<>();
        List<String> vectors = new ArrayList<>();
        for (String kv : changes.split(",")) {
            String name = kv.split("=", 2)[0].trim();
            (NAMES.contains(name) ? vectors : detector).add(kv.trim());
        }
        return new String[] {String.join(",", detector), String.join(",", vectors)};
    }

    String describe() {
        return kind.equals("per-metric") ? "per-metric" : combination().describe();
    }

    /** The model a key of {@code width} values a row runs. */
    RecurrentModel model(RecurrentNetwork forecaster, DetectorParams params, int width) {
        if (width == 1) {
            return new AnomalyDetector(forecaster, params);
        }
        return kind.equals("per-metric") ? new PerMetricMaximum(new AnomalyDetector(forecaster, params), width)
                : new VectorDetector(forecaster, params, width, combination());
    }
}
