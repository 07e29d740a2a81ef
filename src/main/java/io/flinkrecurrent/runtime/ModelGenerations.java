package io.flinkrecurrent.runtime;

import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.flink.KeyState;
import io.flinkrecurrent.flink.ModelUpdate;
import io.flinkrecurrent.flink.SwapRecord;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A swappable operator's models: the {@link ModelChain} of its accepted updates, checkpointed in
 * broadcast state (the same in every subtask) as {@link SwapRecord}s, and what a key's state does when
 * it meets a newer generation ({@link ModelChain#bringUpToDate}, with the key's kept inputs).
 *
 * <p>The broadcast state's name, {@value #STATE}, is in every savepoint and never changes.
 */
@Internal
public final class ModelGenerations {
    public static final String STATE = "recurrent-models";
    /** Where the operator keeps its chain of models. */
    public static final MapStateDescriptor<Long, SwapRecord> DESCRIPTOR =
            new MapStateDescriptor<>(STATE, Types.LONG, TypeInformation.of(SwapRecord.class));

    private final ModelChain chain;
    private BroadcastState<Long, SwapRecord> records;

    /** @param initial the job's own model, or null for an operator that starts from its updates */
    public ModelGenerations(RecurrentModel initial, String initialVersion, int keepInputs, int inputSize) {
        this.chain = new ModelChain(initial, initialVersion, keepInputs, inputSize);
    }

    /** The chain from the broadcast state of a restored subtask (its models loaded and checked now). */
    public void initialize(BroadcastState<Long, SwapRecord> records, boolean restored) throws Exception {
        this.records = records;
        if (restored) {
            List<SwapRecord> saved = new ArrayList<>();
            for (Map.Entry<Long, SwapRecord> e : records.entries()) {
                saved.add(e.getValue());
            }
            chain.restore(saved);
        }
    }

    /**
     * An update applied: null when accepted (the broadcast state rewritten), {@link ModelChain#DUPLICATE}
     * when it is in force already, else why it is refused.
     */
    public String apply(ModelUpdate u) throws Exception {
        String refused = chain.apply(u);
        if (refused == null) {
            records.clear();
            for (SwapRecord r : chain.records()) {
                records.put(r.generation, r);
            }
        }
        return refused;
    }

    /** The live model, or null before the first (an operator that starts from its updates). */
    public RecurrentModel model() {
        return chain.model();
    }

    public String version() {
        return chain.version();
    }

    /** The tag the live model's states carry. */
    public long tag() {
        return chain.tag();
    }

    public long generation() {
        return chain.generation();
    }

    public ModelChain chain() {
        return chain;
    }

    /**
     * The key's live state brought to the current generation, lazily at its next event (its kept
     * inputs for a warm-up, its shadow state for a promotion); what happened to it.
     */
    public ModelChain.Change bringUpToDate(KeyState ks, Supplier<float[]> keptInputs, Supplier<KeyState> shadowState) {
        if (ks.fingerprint == chain.tag()) {
            return ModelChain.Change.NONE;
        }
        return chain.bringUpToDate(ks, keptInputs.get(), shadowState);
    }
}
