package io.flinkrecurrent.runtime;

import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.cell.Kernels;
import io.flinkrecurrent.flink.KeyState;
import io.flinkrecurrent.flink.RecurrentOptions.NonFinitePolicy;
import io.flinkrecurrent.flink.ResetReason;

/**
 * The one non-finite guard of both forms of the operator (DataStream and SQL): a step that made the
 * key's state or the output NaN or infinite (an overflow) is never emitted and never poisons the key.
 * Under {@link NonFinitePolicy#REJECT} the key keeps its state from before the step; under
 * {@link NonFinitePolicy#RESET} it restarts from zeros.
 */
@Internal
public final class StepGuard {
    private final NonFinitePolicy policy;
    private final OperatorMetrics metrics;
    private final String refusal;

    /** @param noun what the form calls an input: "event" or "row" (the refusal's words) */
    public StepGuard(NonFinitePolicy policy, OperatorMetrics metrics, String noun) {
        this.policy = policy;
        this.metrics = metrics;
        this.refusal = "the step made the key's state or the output NaN or infinite (an overflow); the " + noun
                + " is not applied and the key " + (policy == NonFinitePolicy.RESET
                        ? "restarts from zeros" : "keeps its state from before it");
    }

    /**
     * After a step: null when the key's state and the output are finite; otherwise the refusal's
     * message, with the key's state put back as {@code before} held it (or zeroed, as the policy says).
     *
     * <pre>// y (outputSize), ks.state (stateSize), before (stateSize): the state before the step</pre>
     */
    public String check(float[] y, KeyState ks, float[] before) {
        if (Kernels.allFinite(ks.state) && Kernels.allFinite(y)) {
            return null;
        }
        if (policy == NonFinitePolicy.RESET) {
            KeyStates.reset(ks, ResetReason.NON_FINITE, metrics);
        } else {
            System.arraycopy(before, 0, ks.state, 0, ks.state.length);
        }
        return refusal;
    }
}
