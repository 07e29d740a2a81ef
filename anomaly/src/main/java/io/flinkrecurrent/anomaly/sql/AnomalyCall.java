package io.flinkrecurrent.anomaly.sql;

import io.flinkrecurrent.anomaly.Combination;
import io.flinkrecurrent.anomaly.DetectorModels;
import io.flinkrecurrent.anomaly.DetectorParams;
import io.flinkrecurrent.anomaly.Forecasters;
import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.flink.ModelReference;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What one call of {@link AnomalyFunction} asks of its detector: which detector, its forecaster, the
 * feature columns (the key's metrics, in order) and the alert threshold. The library's SQL code keeps
 * a call's model as a string (a key with rows waiting for the watermark holds it in its state, so that
 * its timers find the same model after a restore): {@link #encode()} is that string and
 * {@link #decode} reads it back.
 */
@Internal
final class AnomalyCall {
    /** The detectors by their SQL names. */
    enum Detector {
        COMPACT("compact", DetectorParams.COMPACT),
        COMPACT_1("compact-1", DetectorParams.COMPACT_1),
        WINDOWED("windowed", DetectorParams.WINDOWED);

        final String sqlName;
        final DetectorParams params;

        Detector(String sqlName, DetectorParams params) {
            this.sqlName = sqlName;
            this.params = params;
        }

        static Detector named(String name) {
            if (name == null) {
                return COMPACT;
            }
            for (Detector d : values()) {
                if (d.sqlName.equals(name.toLowerCase(Locale.ROOT))) {
                    return d;
                }
            }
            throw new IllegalArgumentException("the argument 'detector' is 'compact', 'compact-1' or 'windowed', not '" + name + "'");
        }
    }

    private static final String FORM = "anomaly/1";

    final Detector detector;
    /** The forecaster's path or URI; null: the bundled one ({@link Forecasters#bundled()}). */
    final String forecaster;
    /** The threshold the call gives, or null: the detector's alarm score. */
    final Double givenThreshold;
    /** A row alerts when its score (a FLOAT) is at least this, as a float: as the typed API's {@code alertAt}. */
    final float threshold;
    /** The combination of several metrics as the call names it ({@code max}, {@code top=K,range_metrics=R}), or null: the default. */
    final String combinationName;
    final Combination combination;
    /** The feature columns' names: the metrics, in the order the detector reads them. */
    final List<String> features;
    /** The list the call was made from: the function's features argument, the same object on every row. */
    private final List<String> givenFeatures;
    private final String encoded;

    AnomalyCall(String detector, Double threshold, String forecaster, List<String> features) {
        this(detector, threshold, forecaster, features, null);
    }

    AnomalyCall(String detector, Double threshold, String forecaster, List<String> features, String combination) {
        this.detector = Detector.named(detector);
        this.combinationName = combination;
        this.combination = combination(combination);
        if (threshold != null && !(threshold >= 0 && threshold <= 1)) {
            throw new IllegalArgumentException("the argument 'threshold' is a score in [0, 1], not " + threshold);
        }
        if (forecaster != null && forecaster.isBlank()) {
            throw new IllegalArgumentException("the argument 'forecaster' is empty (leave it out for the bundled forecaster)");
        }
        if (features == null || features.isEmpty()) {
            throw new IllegalArgumentException("the argument 'features' must name the metric columns: features => DESCRIPTOR(cpu, mem)");
        }
        this.givenThreshold = threshold;
        this.threshold = threshold != null ? threshold.floatValue() : this.detector.params.alarmScore();
        this.forecaster = forecaster;
        this.features = List.copyOf(features);
        this.givenFeatures = features;
        StringBuilder b = new StringBuilder(FORM).append(";detector=").append(this.detector.sqlName)
                .append(";threshold=").append(threshold == null ? "" : Double.toString(threshold))
                .append(";forecaster=").append(forecaster == null ? "" : escape(forecaster))
                .append(";combination=").append(combination == null ? "" : escape(combination))
                .append(";features=");
        for (int i = 0; i < features.size(); i++) {
            b.append(i == 0 ? "" : ",").append(escape(features.get(i)));
        }
        this.encoded = b.toString();
    }

    /** The call in one string, every name and path escaped: what the library's SQL code keeps as the model's reference. */
    String encode() {
        return encoded;
    }

    /** The call {@link #encode()} wrote. */
    static AnomalyCall decode(String s) {
        String[] f = s.split(";", -1);
        if (f.length != 6 || !f[0].equals(FORM)) {
            throw new IllegalStateException("the anomaly call '" + s + "' is not of this version's form");
        }
        String detector = value(f[1], "detector");
        String threshold = value(f[2], "threshold");
        String forecaster = value(f[3], "forecaster");
        String combination = value(f[4], "combination");
        List<String> features = new ArrayList<>();
        for (String name : value(f[5], "features").split(",", -1)) {
            features.add(unescape(name));
        }
        return new AnomalyCall(detector, threshold.isEmpty() ? null : Double.valueOf(threshold),
                forecaster.isEmpty() ? null : unescape(forecaster), features, combination.isEmpty() ? null : unescape(combination));
    }

    /**
     * Whether the arguments are this call's (they are literals, the same on every row; compared without
     * allocating).
     */
    boolean sameAs(String detector, Double threshold, String forecaster, List<String> features) {
        return sameAs(detector, threshold, forecaster, features, null);
    }

    boolean sameAs(String detector, Double threshold, String forecaster, List<String> features, String combination) {
        return Objects.equals(combination, combinationName) && (detector == null ? this.detector == Detector.COMPACT : detector.equalsIgnoreCase(this.detector.sqlName))
                && Objects.equals(threshold, givenThreshold) && Objects.equals(forecaster, this.forecaster)
                && (features == givenFeatures || this.features.equals(features));
    }

    /**
     * The detector over the call's features, with its forecaster.
     *
     * @throws IllegalArgumentException when the forecaster cannot be loaded or does not fit the detector
     */
    RecurrentModel model() {
        RecurrentNetwork net = forecaster();
        try {
            return DetectorModels.detector(net, detector.params, features.size(), combination);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException((forecaster == null ? "" : "the forecaster '" + forecaster + "': ") + e.getMessage(), e);
        }
    }

    private RecurrentNetwork forecaster() {
        if (forecaster == null) {
            try {
                return Forecasters.bundled();
            } catch (RuntimeException e) { // the module's jar without its resource: a planning error, not a crash
                throw new IllegalArgumentException("the bundled forecaster cannot be loaded: " + e.getMessage(), e);
            }
        }
        try {
            return ModelReference.load(forecaster).network();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the forecaster '" + forecaster + "' cannot be loaded: " + e.getMessage(), e);
        }
    }

    /**
     * The combination a call names: null, the default ({@link Combination#DEFAULT}); {@code 'max'}; or
     * {@code 'top=K,range_metrics=R'} ({@link Combination#top}).
     */
    static Combination combination(String name) {
        if (name == null) {
            return Combination.DEFAULT;
        }
        String n = name.trim().toLowerCase(Locale.ROOT).replace(" ", "");
        if (n.equals("max")) {
            return Combination.max();
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("top=(\\d{1,4}),range_metrics=(\\d{1,4})").matcher(n);
        if (m.matches() && Integer.parseInt(m.group(1)) >= 1 && Integer.parseInt(m.group(2)) >= 1) {
            return Combination.top(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
        }
        throw new IllegalArgumentException("the argument 'combination' is 'max' or 'top=K,range_metrics=R' (K, R at least 1; "
                + "the default: top=3,range_metrics=3), not '" + name + "'");
    }

    private static String value(String field, String name) {
        if (!field.startsWith(name + "=")) {
            throw new IllegalStateException("the anomaly call's field '" + field + "' is not " + name);
        }
        return field.substring(name.length() + 1);
    }

    private static String escape(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String unescape(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }
}
