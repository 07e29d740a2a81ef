package io.flinkrecurrent.flink;

import io.flinkrecurrent.annotation.PublicEvolving;

import java.util.Objects;

/**
 * A change of model for a running recurrent operator, sent on its update stream
 * ({@link RecurrentBuilder#updates}, {@link Recurrent.Builder#updates}). The update names the model
 * file (a path or URI read through Flink's {@code FileSystem}), its SHA-256 and a version name; the
 * weights never travel in the stream or the checkpoint, only this record. Every subtask reads the
 * file, checks the hash, and switches; what each key's state does is the update's {@link Policy},
 * applied lazily at the key's next event. A Flink POJO.
 *
 * <p>Kinds:
 * <ul>
 *   <li>{@link Kind#SWAP}: the live model becomes this one;</li>
 *   <li>{@link Kind#SHADOW}: this model runs beside the live one on the same events, with its own
 *       per-key state, its outputs on {@link Recurrent#SHADOW}; the live outputs are unchanged;</li>
 *   <li>{@link Kind#PROMOTE}: the shadow becomes the live model, each key keeping the shadow's state
 *       (no reference: the shadow's is used);</li>
 *   <li>{@link Kind#STOP_SHADOW}: the shadow is dropped.</li>
 * </ul>
 */
@PublicEvolving
public class ModelUpdate implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    /** What the update does. */
    @PublicEvolving
    public enum Kind { SWAP, SHADOW, PROMOTE, STOP_SHADOW }

    /** What each key's state does under the new model. */
    @PublicEvolving
    public enum Policy {
        /** The key starts from zeros at its next event. */
        RESET,
        /** The key's state carries over unchanged; refused when the two models' state layouts differ. */
        KEEP,
        /**
         * At the key's next event, its last {@link #warmUp} inputs (since its last reset; the operator keeps
         * them when {@link RecurrentOptions.Builder#keepInputs} is set) are replayed through the new model
         * from zeros, then the event is applied: the new model starts with the key's history.
         */
        WARM_UP
    }

    public Kind kind = Kind.SWAP;
    /** The model file: a path or a URI ({@code file://}, {@code s3://}...). */
    public String reference;
    /** The file's SHA-256, hex; the update is refused when the file's differs. */
    public String sha256;
    /** The name every output of this model carries ({@link StepContext#modelVersion()}). */
    public String version;
    public Policy policy = Policy.RESET;
    /** With {@link Policy#WARM_UP}: how many of the key's last inputs are replayed. */
    public int warmUp;

    public ModelUpdate() {}

    /** A {@link Kind#SWAP} to the model at {@code reference}. */
    public static ModelUpdate swap(String reference, String sha256, String version, Policy policy) {
        return of(Kind.SWAP, reference, sha256, version, policy, 0);
    }

    /** A {@link Kind#SWAP} with {@link Policy#WARM_UP} over the key's last {@code inputs} inputs. */
    public static ModelUpdate swapWarmingUp(String reference, String sha256, String version, int inputs) {
        return of(Kind.SWAP, reference, sha256, version, Policy.WARM_UP, inputs);
    }

    /** A {@link Kind#SHADOW} model; its per-key state starts as {@code policy} says (RESET or WARM_UP). */
    public static ModelUpdate shadow(String reference, String sha256, String version, Policy policy, int warmUp) {
        return of(Kind.SHADOW, reference, sha256, version, policy, warmUp);
    }

    /** The shadow becomes the live model, each key with the shadow's state. */
    public static ModelUpdate promote() {
        return of(Kind.PROMOTE, null, null, null, Policy.KEEP, 0);
    }

    /** The shadow is dropped. */
    public static ModelUpdate stopShadow() {
        return of(Kind.STOP_SHADOW, null, null, null, Policy.RESET, 0);
    }

    private static ModelUpdate of(Kind kind, String reference, String sha256, String version, Policy policy, int warmUp) {
        ModelUpdate u = new ModelUpdate();
        u.kind = kind;
        u.reference = reference;
        u.sha256 = sha256;
        u.version = version;
        u.policy = policy;
        u.warmUp = warmUp;
        return u;
    }

    /**
     * The version a model file gives when an update names none: its file name without the extension
     * ({@code s3://models/r2.safetensors} gives {@code r2}). The same for every source of updates.
     */
    public static String versionOf(String reference) {
        String path = reference.replaceFirst("^[a-zA-Z][a-zA-Z0-9+.-]*:(//[^/]*)?", "");
        String name = path.substring(path.lastIndexOf('/') + 1);
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    public ModelUpdate copy() {
        return of(kind, reference, sha256, version, policy, warmUp);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelUpdate u && kind == u.kind && Objects.equals(reference, u.reference)
                && Objects.equals(sha256, u.sha256) && Objects.equals(version, u.version) && policy == u.policy
                && warmUp == u.warmUp;
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, reference, sha256, version, policy, warmUp);
    }

    @Override
    public String toString() {
        if (kind == null) {
            return "an update without a kind (" + version + ")";
        }
        return switch (kind) {
            case PROMOTE, STOP_SHADOW -> kind.name();
            default -> kind + " " + version + " (" + reference + ", " + policy
                    + (policy == Policy.WARM_UP ? " " + warmUp : "") + ")";
        };
    }
}
