package io.flinkrecurrent.cell;

import io.flinkrecurrent.annotation.PublicEvolving;

/**
 * Per-key online learning: a linear readout over any recurrent model's output that forecasts the key's
 * next input and is trained on the key's own events as they come, its weights part of the key's state
 * (so checkpointed, restored and reset with the hidden state). The recurrent model can be a trained one
 * or a fixed random reservoir.
 *
 * <p>At every event x of a key, with f the inner model's output at the key's previous event and
 * φ = [f; 1]:
 * <ol>
 *   <li>the forecast made then, ŷ = W φ, is compared with x: e = x − ŷ;</li>
 *   <li>W learns from e: normalised LMS, W += μ e φᵀ / (ε + φᵀφ); or recursive least squares with
 *       forgetting factor λ (it follows drift: the weight of an event halves after ln 2 / (1 − λ) events),
 *       with P starting at I / δ;</li>
 *   <li>the inner model steps with x, giving the new f, and the forecast of the next input, W [f; 1].</li>
 * </ol>
 * The output is {@code [e (inputSize) | next forecast (inputSize)]}.
 *
 * <p>State per key: the inner model's, then W (inputSize × (F + 1), F the inner model's output size,
 * kept by columns),
 * then f; for RLS also P, (F + 1)² floats, and one float saying P is set (a zero state, a fresh or
 * reset key, starts P at I / δ).
 * A step allocates nothing and reads W twice: for the forecast made at the last event, then for the
 * learning step and the next forecast in one pass ({@link Kernels#rankOneThenAcc}); with the Vector API
 * these loops run a vector of rows at a time, to the same floats.
 */
@PublicEvolving
public final class OnlineReadout implements RecurrentModel {
    private static final long serialVersionUID = 1L;
    private static final float EPS = 1e-6f;

    /** The NLMS step size {@link #parse} takes when none is given. */
    public static final float DEFAULT_MU = 0.5f;
    /** The RLS forgetting factor {@link #parse} takes when none is given (an event's weight halves after 693 events). */
    public static final float DEFAULT_LAMBDA = 0.999f;

    /** How the readout learns. */
    @PublicEvolving
    public enum Rule { NLMS, RLS }

    private final RecurrentModel inner;
    private final Rule rule;
    /** NLMS: the step size μ; RLS: the forgetting factor λ. */
    private final float rate;
    /** RLS: P starts at I / delta. */
    private final float delta;
    private final int d;
    private final int f;
    private final int phi;
    private final int innerState;
    private final int wOff;
    private final int fOff;
    private final int pOff;
    private final int stateSize;
    private final int work;

    private OnlineReadout(RecurrentModel inner, Rule rule, float rate, float delta) {
        this.inner = inner;
        this.rule = rule;
        this.rate = rate;
        this.delta = delta;
        this.d = inner.inputSize();
        this.f = inner.outputSize();
        this.phi = f + 1;
        this.innerState = inner.stateSize();
        this.wOff = innerState;
        this.fOff = wOff + d * phi;
        this.pOff = fOff + f;
        // RLS: P, then a flag that P is set (a zero state, a fresh or reset key, starts P at I / delta)
        this.stateSize = pOff + (rule == Rule.RLS ? phi * phi + 1 : 0);
        this.work = inner.newScratch().workCount();
    }

    /** Normalised LMS with step size {@code mu} in (0, 2): cheap (O(inputSize × F) a step), small state. */
    public static OnlineReadout nlms(RecurrentModel inner, float mu) {
        if (!(mu > 0 && mu < 2)) {
            throw new IllegalArgumentException("NLMS step size must be in (0, 2), got " + mu);
        }
        return new OnlineReadout(inner, Rule.NLMS, mu, 0);
    }

    /**
     * Recursive least squares with forgetting factor {@code lambda} in (0, 1] and P starting at I / delta:
     * faster to converge, O(F²) a step and (F + 1)² floats of state per key.
     */
    public static OnlineReadout rls(RecurrentModel inner, float lambda, float delta) {
        if (!(lambda > 0 && lambda <= 1) || !(delta > 0)) {
            throw new IllegalArgumentException("RLS needs 0 < lambda <= 1 and delta > 0, got " + lambda + ", " + delta);
        }
        return new OnlineReadout(inner, Rule.RLS, lambda, delta);
    }

    /**
     * A readout from its spec, as SQL's {@code online} argument writes it:
     * {@code "nlms"} or {@code "nlms MU"} (step size, default {@value #DEFAULT_MU}), {@code "rls"},
     * {@code "rls LAMBDA"} or {@code "rls LAMBDA DELTA"} (forgetting factor, default {@value #DEFAULT_LAMBDA};
     * P starts at I / DELTA, default 1).
     *
     * @throws IllegalArgumentException naming the spec and what is wrong with it
     */
    public static OnlineReadout parse(RecurrentModel inner, String spec) {
        String[] f = spec == null ? new String[0] : spec.trim().split("\\s+");
        String rule = f.length == 0 ? "" : f[0].toLowerCase(java.util.Locale.ROOT);
        try {
            if (rule.equals("nlms") && f.length <= 2) {
                return nlms(inner, f.length > 1 ? Float.parseFloat(f[1]) : DEFAULT_MU);
            }
            if (rule.equals("rls") && f.length <= 3) {
                return rls(inner, f.length > 1 ? Float.parseFloat(f[1]) : DEFAULT_LAMBDA, f.length > 2 ? Float.parseFloat(f[2]) : 1f);
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("online readout '" + spec + "': " + e.getMessage() + " is not a number");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("online readout '" + spec + "': " + e.getMessage());
        }
        throw new IllegalArgumentException("online readout '" + spec + "' is not 'nlms [mu]' or 'rls [lambda [delta]]'");
    }

    @Override public int inputSize() { return d; }

    @Override public int outputSize() { return 2 * d; }

    @Override public int stateSize() { return stateSize; }

    /** The recurrent model under the readout. */
    public RecurrentModel inner() { return inner; }

    @Override
    public Scratch newScratch() {
        // the inner model's buffers, then ours: its state, its output, φ at the previous event, φ now, and for RLS P φ
        return inner.newScratch().withWork(innerState, f, phi, phi, phi);
    }

    // out (2 inputSize), state (stateSize), x (inputSize)
    @Override
    public void step(float[] out, float[] state, float[] x, Scratch scratch) {
        final float[] innerSt = scratch.work(work);
        final float[] feat = scratch.work(work + 1);
        final float[] p = scratch.work(work + 2);
        final float[] q = scratch.work(work + 3);
        final float[] pphi = scratch.work(work + 4);
        System.arraycopy(state, fOff, p, 0, f);
        p[f] = 1f;
        // 1. the forecast made at the previous event, ŷ = W φ (W kept by columns), and its error e = x − ŷ
        java.util.Arrays.fill(out, 0, 2 * d, 0f);
        Kernels.colsAcc(out, 0, state, wOff, p, phi, d);
        for (int i = 0; i < d; i++) {
            out[i] = x[i] - out[i];
        }
        // 2. the inner model steps: the new features φ' = [f'; 1]
        System.arraycopy(state, 0, innerSt, 0, innerState);
        inner.step(feat, innerSt, x, scratch);
        System.arraycopy(innerSt, 0, state, 0, innerState);
        System.arraycopy(feat, 0, state, fOff, f);
        System.arraycopy(feat, 0, q, 0, f);
        q[f] = 1f;
        // 3. W learns from e, and the next forecast W' φ' comes out of the same pass over W
        if (rule == Rule.NLMS) {
            float norm = EPS;
            for (int j = 0; j < phi; j++) {
                norm += p[j] * p[j];
            }
            // column j += (μ / (ε + |φ|²)) φ_j e
            Kernels.rankOneThenAcc(state, wOff, rate / norm, p, out, out, d, q, phi, d);
        } else {
            // column j += k_j e with k = P φ / (λ + φᵀ P φ); P updated first (W's update needs only P φ)
            Kernels.rankOneThenAcc(state, wOff, rlsUpdate(state, p, pphi), pphi, out, out, d, q, phi, d);
        }
    }

    /**
     * RLS: P φ into pphi, then P = (P − P φ φᵀ P / denom) / λ; returns 1 / denom, denom = λ + φᵀ P φ (the
     * gain is k = P φ / denom).
     */
    private float rlsUpdate(float[] state, float[] p, float[] pphi) {
        int set = pOff + phi * phi;
        if (state[set] == 0f) {
            float inv = 1f / delta;
            for (int i = 0; i < phi; i++) {
                for (int j = 0; j < phi; j++) {
                    state[pOff + i * phi + j] = i == j ? inv : 0f;
                }
            }
            state[set] = 1f;
        }
        // P φ, summing P's columns (P is symmetric)
        java.util.Arrays.fill(pphi, 0f);
        Kernels.colsAcc(pphi, 0, state, pOff, p, phi, phi);
        float denom = rate;
        for (int i = 0; i < phi; i++) {
            denom += p[i] * pphi[i];
        }
        float invDenom = 1f / denom;
        // P' = (P − P φ φᵀ P / denom) / λ, (P φ)_i (P φ)_j formed in the same order for ij and ji:
        // P stays symmetric to the bit (rounded otherwise, it drifts apart, and the 1 / λ grows the gap)
        Kernels.symRankOneScale(state, pOff, pphi, invDenom, 1f / rate, phi);
        return invDenom;
    }

    @Override
    public long fingerprint() {
        return new Fingerprint().add("online-readout").add(rule.name()).add(Float.floatToIntBits(rate))
                .add(Float.floatToIntBits(delta)).add(inner.fingerprint()).value();
    }

    @Override
    public String describe() {
        return (rule == Rule.NLMS ? "nlms(mu=" + rate : "rls(lambda=" + rate + ", delta=" + delta) + ") forecasting the "
                + d + " input(s) over " + inner.describe();
    }
}
