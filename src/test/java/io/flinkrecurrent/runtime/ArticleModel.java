package io.flinkrecurrent.runtime;

import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.Scratch;

/**
 * The README's recurrence as a model of its own, for the collaborators' tests: H = 2H + X, Y = 5 - H
 * (X = 3 three times gives 2, -4, -16). One float of state, one input, one output.
 */
final class ArticleModel implements RecurrentModel {
    private static final long serialVersionUID = 1L;
    private final long fingerprint;

    ArticleModel() {
        this(0xA27C1EL);
    }

    ArticleModel(long fingerprint) {
        this.fingerprint = fingerprint;
    }

    @Override public int inputSize() { return 1; }
    @Override public int outputSize() { return 1; }
    @Override public int stateSize() { return 1; }
    @Override public Scratch newScratch() { return Scratch.of(); }
    @Override public long fingerprint() { return fingerprint; }
    @Override public String describe() { return "article H = 2H + X, Y = 5 - H"; }

    @Override
    public void step(float[] out, float[] state, float[] x, Scratch scratch) {
        state[0] = 2 * state[0] + x[0];
        out[0] = 5 - state[0];
    }
}
