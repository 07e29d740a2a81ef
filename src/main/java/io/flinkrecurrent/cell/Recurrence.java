package io.flinkrecurrent.cell;

import java.util.Objects;

/**
 * The general recurrence {@code H = f(H, X)}, {@code Y = g(H)}, with f and g given as Java functions
 * over a flat float[] state. The article's example:
 *
 * <pre>{@code
 * RecurrentModel article = Recurrence.of("article", 1, 1, 1, 1,
 *         (next, h, x) -> next[0] = 2 * h[0] + x[0],   // f(H, X) = 2H + X
 *         (y, h) -> y[0] = 5 - h[0]);                  // g(H) = 5 - H
 * }</pre>
 *
 * Feeding X = 3 three times gives Y = 2, -4, -16; after a reset to zero, X = 3 gives 2 again.
 *
 * <p>f and g are code, which has no stable hash: the recurrence carries an identity the user gives, a
 * name and a version, and its fingerprint is made of them and the sizes. Change the version whenever f
 * or g changes, so that a key's state restored from a savepoint is reset (and counted as
 * {@code model_changed}) instead of being continued by other functions.
 */
@io.flinkrecurrent.annotation.PublicEvolving
public final class Recurrence implements RecurrentModel {

    /** The state update f: writes the new state into {@code next} from the old {@code state} and {@code x}. */
    @FunctionalInterface
    public interface Update extends java.io.Serializable {
        /** {@code // state (S), x (I) -> next (S); next is a distinct buffer} */
        void apply(float[] next, float[] state, float[] x);
    }

    /** The readout g: writes the output for the (new) state. */
    @FunctionalInterface
    public interface Readout extends java.io.Serializable {
        /** {@code // state (S) -> y (O)} */
        void apply(float[] y, float[] state);
    }

    private final String name;
    private final int version;
    private final int inputSize;
    private final int stateSize;
    private final int outputSize;
    private final Update f;
    private final Readout g;
    private final long fingerprint;

    private Recurrence(String name, int version, int inputSize, int stateSize, int outputSize, Update f, Readout g) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a recurrence needs a name (its identity in savepoints)");
        }
        this.name = name;
        this.version = version;
        if (inputSize < 1 || stateSize < 1 || outputSize < 1) {
            throw new IllegalArgumentException("sizes must be positive: input " + inputSize
                    + ", state " + stateSize + ", output " + outputSize);
        }
        this.inputSize = inputSize;
        this.stateSize = stateSize;
        this.outputSize = outputSize;
        this.f = Objects.requireNonNull(f, "f");
        this.g = Objects.requireNonNull(g, "g");
        this.fingerprint = Fingerprint.of(describe());
    }

    /**
     * A recurrence with the given identity (name and version: change the version when f or g changes),
     * sizes, state update f and readout g.
     */
    public static Recurrence of(String name, int version, int inputSize, int stateSize, int outputSize, Update f, Readout g) {
        return new Recurrence(name, version, inputSize, stateSize, outputSize, f, g);
    }

    @Override public int inputSize() { return inputSize; }
    @Override public int outputSize() { return outputSize; }
    @Override public int stateSize() { return stateSize; }
    @Override public Scratch newScratch() { return new Scratch(stateSize, 0, 0); }

    @Override
    public void step(float[] out, float[] state, float[] x, Scratch scratch) {
        f.apply(scratch.gates, state, x);
        System.arraycopy(scratch.gates, 0, state, 0, stateSize);
        g.apply(out, state);
    }

    /** From the name, the version and the sizes (f and g are code, which has no stable hash). */
    @Override
    public long fingerprint() {
        return fingerprint;
    }

    @Override
    public String describe() {
        return "recurrence " + name + " v" + version + "(input=" + inputSize + ", state=" + stateSize + ", output=" + outputSize + ")";
    }
}
