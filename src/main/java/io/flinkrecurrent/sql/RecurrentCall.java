package io.flinkrecurrent.sql;

import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.cell.OnlineReadout;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.flink.ModelReference;
import io.flinkrecurrent.flink.RecurrentOptions;
import org.apache.flink.streaming.api.TimeDomain;

import java.time.Duration;
import java.util.Objects;

/**
 * What one call of {@link RecurrentFunction} asks for, its scalar arguments resolved once per function
 * instance: the model, the operator's options, and whether rows wait to be applied in event-time
 * order. A key with rows waiting for the watermark keeps {@link #encode()} in its state, so that its
 * timers, which see no arguments, find the same call again after a restore ({@link #decode}).
 */
@Internal
final class RecurrentCall {
    /** The defaults of the optional arguments. */
    static final int DEFAULT_MAX_BUFFERED = 10_000;

    final String modelReference;
    /** The {@code online} argument: a per-key readout over the model ({@link OnlineReadout#parse}), or null. */
    final String online;
    final RecurrentModel model;
    final RecurrentOptions options;
    /** Rows wait for the watermark and are applied in event-time order (the call has {@code on_time}). */
    final boolean ordered;
    final long latenessMs;
    final int maxBuffered;
    final long resetAfter;
    final long idleMs;
    final boolean resetOnNonFinite;
    /** {@link #encode()}, made once: a timer compares it with the key's saved call. */
    private final String encoded;

    /** What makes the model a call names: {@link RecurrentCall#model} for {@code recurrent}, a function's own otherwise. */
    @FunctionalInterface
    interface ModelSource {
        RecurrentModel load(String modelReference, String online);
    }

    RecurrentCall(String modelReference, String online, Integer resetAfter, Duration idleGap, Duration lateness,
                  Integer maxBuffered, String onNonFinite, boolean ordered) {
        this(modelReference, online, resetAfter, idleGap, lateness, maxBuffered, onNonFinite, ordered, RecurrentCall::model);
    }

    RecurrentCall(String modelReference, String online, Integer resetAfter, Duration idleGap, Duration lateness,
                  Integer maxBuffered, String onNonFinite, boolean ordered, ModelSource source) {
        this.modelReference = Objects.requireNonNull(modelReference, "the argument 'model' is required");
        this.online = online;
        this.model = source.load(modelReference, online);
        this.resetAfter = positive("reset_after", resetAfter == null ? 0 : resetAfter);
        this.idleMs = positive("idle_reset", idleGap == null ? 0 : idleGap.toMillis());
        this.latenessMs = positive("lateness", lateness == null ? 0 : lateness.toMillis());
        this.maxBuffered = (int) positive("max_buffered", maxBuffered == null ? DEFAULT_MAX_BUFFERED : maxBuffered);
        this.resetOnNonFinite = parsePolicy(onNonFinite);
        this.ordered = ordered;
        RecurrentOptions.Builder b = RecurrentOptions.builder()
                .onNonFiniteState(resetOnNonFinite ? RecurrentOptions.NonFinitePolicy.RESET : RecurrentOptions.NonFinitePolicy.REJECT);
        if (this.resetAfter > 0) {
            b.resetAfterSteps(this.resetAfter);
        }
        if (idleMs > 0) {
            b.resetWhenIdle(Duration.ofMillis(idleMs), ordered ? TimeDomain.EVENT_TIME : TimeDomain.PROCESSING_TIME);
        }
        this.options = b.build();
        this.encoded = this.resetAfter + "," + idleMs + "," + latenessMs + "," + this.maxBuffered + "," + (resetOnNonFinite ? "reset" : "reject")
                + "," + ordered + "," + (online == null ? "" : ONLINE + online + ",") + modelReference;
    }

    /** Marks the {@code online} argument in {@link #encode()} (a model reference does not start with it). */
    private static final String ONLINE = "online=";

    /** The model the reference names, under a per-key online readout when {@code online} is given. */
    static RecurrentModel model(String modelReference, String online) {
        RecurrentModel m = ModelReference.load(modelReference).network();
        if (online == null) {
            return m;
        }
        try {
            return OnlineReadout.parse(m, online);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the argument 'online': " + e.getMessage(), e);
        }
    }

    /**
     * What is wrong with the options' arguments (a NULL one is not given), or null: the constructor's own
     * checks, for the planner ({@link RecurrentTypeInference}).
     */
    static String optionsProblem(Integer resetAfter, Duration idleGap, Duration lateness, Integer maxBuffered, String onNonFinite) {
        try {
            positive("reset_after", resetAfter == null ? 0 : resetAfter);
            positive("idle_reset", idleGap == null ? 0 : idleGap.toMillis());
            positive("lateness", lateness == null ? 0 : lateness.toMillis());
            positive("max_buffered", maxBuffered == null ? 0 : maxBuffered);
            parsePolicy(onNonFinite);
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    private static long positive(String name, long v) {
        if (v < 0) {
            throw new IllegalArgumentException("the argument '" + name + "' must not be negative, it is " + v);
        }
        return v;
    }

    private static boolean parsePolicy(String p) {
        if (p == null || p.equalsIgnoreCase("reject")) {
            return false;
        }
        if (p.equalsIgnoreCase("reset")) {
            return true;
        }
        throw new IllegalArgumentException("the argument 'on_non_finite' is 'reject' or 'reset', not '" + p + "'");
    }

    /** Whether a call with these arguments is this one (the arguments are literals: the same every row). */
    boolean sameAs(String modelReference, String online, Integer resetAfter, Duration idleGap, Duration lateness,
                   Integer maxBuffered, String onNonFinite, boolean ordered) {
        return this.modelReference.equals(modelReference)
                && Objects.equals(this.online, online)
                && this.resetAfter == (resetAfter == null ? 0 : resetAfter)
                && this.idleMs == (idleGap == null ? 0 : idleGap.toMillis())
                && this.latenessMs == (lateness == null ? 0 : lateness.toMillis())
                && this.maxBuffered == (maxBuffered == null ? DEFAULT_MAX_BUFFERED : maxBuffered)
                && this.resetOnNonFinite == parsePolicy(onNonFinite)
                && this.ordered == ordered;
    }

    /**
     * The call in one string: the numbers, then {@code online=SPEC,} when there is a readout (a spec has no
     * comma), then the model reference (which may hold any character). A call saved before the
     * {@code online} argument existed reads the same.
     */
    String encode() {
        return encoded;
    }

    static RecurrentCall decode(String s) {
        return decode(s, RecurrentCall::model);
    }

    /** The call {@link #encode()} wrote, its model made by {@code source}. */
    static RecurrentCall decode(String s, ModelSource source) {
        String[] f = s.split(",", 7);
        if (f.length != 7) {
            throw new IllegalStateException("a key's saved call '" + s + "' is not of this version's form");
        }
        String model = f[6];
        String online = null;
        if (model.startsWith(ONLINE) && model.indexOf(',') > 0) {
            online = model.substring(ONLINE.length(), model.indexOf(','));
            model = model.substring(model.indexOf(',') + 1);
        }
        return new RecurrentCall(model, online, Integer.parseInt(f[0]), Duration.ofMillis(Long.parseLong(f[1])),
                Duration.ofMillis(Long.parseLong(f[2])), Integer.parseInt(f[3]), f[4], Boolean.parseBoolean(f[5]), source);
    }
}
