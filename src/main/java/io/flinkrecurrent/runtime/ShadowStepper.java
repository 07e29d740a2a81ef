package io.flinkrecurrent.runtime;

import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.cell.Kernels;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.cell.Scratch;
import io.flinkrecurrent.flink.KeyState;

import java.util.Arrays;

/**
 * The shadow model's step: a model run beside the live one on the same inputs, on its own per-key
 * state (the keyed state {@value #STATE}), its outputs compared, never emitted as the live ones. A
 * key's shadow state starts at its first event under the shadow (zeros, or a warm-up over the key's
 * kept inputs before this one), is reset with the live state's resets, and restarts from zeros when a
 * step overflows (the live output is not affected).
 */
@Internal
public final class ShadowStepper {
    /** The keyed state of the shadow's per-key states (in every savepoint, never renamed). */
    public static final String STATE = "recurrent-shadow-state";

    private final ModelChain chain;
    private ModelChain.Generation gen;
    private RecurrentModel model;
    private Scratch scratch;
    private float[] out;

    public ShadowStepper(ModelChain chain) {
        this.chain = chain;
    }

    /** The chain's shadow, if any, from now on (at open and after each accepted update). */
    public void install() {
        gen = chain.shadow();
        model = gen == null ? null : gen.model();
        if (model != null) {
            scratch = model.newScratch();
            out = new float[model.outputSize()];
        }
    }

    public boolean running() {
        return model != null;
    }

    /** The shadow's version name. */
    public String version() {
        return gen.version();
    }

    /**
     * The key's shadow state {@code s} (null before its first event under the shadow) stepped with the
     * live step's input; returns the state to write back. The output is in {@link #output()}.
     *
     * <pre>// x (inputSize); ring: the key's kept inputs before x, or null; -> output() (shadow's outputSize)</pre>
     *
     * @param fromZero the live step started from zeros (the shadow is reset with it)
     * @param seq the live output's seq
     */
    public KeyState step(KeyState s, float[] x, boolean fromZero, float[] ring, long seq) {
        if (s == null || s.fingerprint != gen.tag()) {
            s = new KeyState();
            chain.startShadow(s, fromZero ? null : ring);
        } else if (fromZero) {
            Arrays.fill(s.state, 0f);
        }
        model.step(out, s.state, x, scratch);
        if (!Kernels.allFinite(s.state) || !Kernels.allFinite(out)) {
            Arrays.fill(s.state, 0f);
        }
        s.seq = seq + 1;
        return s;
    }

    /** The last step's output (the stepper's buffer: copy it to keep it). */
    public float[] output() {
        return out;
    }
}
