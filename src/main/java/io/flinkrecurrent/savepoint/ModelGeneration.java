package io.flinkrecurrent.savepoint;

import io.flinkrecurrent.annotation.PublicEvolving;
import io.flinkrecurrent.flink.SwapRecord;

/**
 * One model generation a swappable operator records in its broadcast state: the states its model wrote
 * carry {@link #tag} as their fingerprint. Generation 0 is the job's own model (no reference: it is in the
 * job's code) and tags with the model's fingerprint.
 *
 * @param generation its number, from 0
 * @param tag the fingerprint its keys' states carry
 * @param shadow whether it runs as the shadow (beside the live model) rather than live
 * @param version the version name outputs carry
 * @param reference the model file's path or URI (null for the job's own model)
 * @param sha256 the file's SHA-256 as the update named it (null for the job's own model)
 * @param kind the update's kind ({@code SWAP}, {@code SHADOW}, {@code PROMOTE}, ...)
 * @param policy how keys met it ({@code RESET}, {@code KEEP}, {@code WARM_UP})
 */
@PublicEvolving
public record ModelGeneration(long generation, long tag, boolean shadow, String version, String reference, String sha256,
                              String kind, String policy) {
    /** The generation whose model wrote a state with this fingerprint (a live one before a shadow), or null. */
    public static ModelGeneration of(long fingerprint, java.util.List<ModelGeneration> generations) {
        ModelGeneration found = null;
        for (ModelGeneration g : generations) {
            if (g.tag == fingerprint && (found == null || found.shadow && !g.shadow)) {
                found = g;
            }
        }
        return found;
    }

    /** The version name of the model that wrote a state with this fingerprint, or null when no generation has it. */
    public static String versionOf(long fingerprint, java.util.List<ModelGeneration> generations) {
        ModelGeneration g = of(fingerprint, generations);
        return g == null ? null : g.version;
    }

    /**
     * Whether a state with this fingerprint was written by the model {@code model} read from a file with
     * SHA-256 {@code sha256}: its fingerprint is the model's (the job's own model, or an operator that
     * never swapped), or the generation that wrote it was an update to that very file.
     */
    public static boolean writtenBy(long fingerprint, long modelFingerprint, String sha256, java.util.List<ModelGeneration> generations) {
        if (fingerprint == modelFingerprint) {
            return true;
        }
        ModelGeneration g = of(fingerprint, generations);
        return g != null && g.sha256 != null && g.sha256.equalsIgnoreCase(sha256);
    }

    static ModelGeneration of(SwapRecord r) {
        return new ModelGeneration(r.generation, r.tag, r.shadow, r.update == null ? null : r.update.version,
                r.update == null ? null : r.update.reference, r.update == null ? null : r.update.sha256,
                r.update == null ? null : String.valueOf(r.update.kind), r.update == null ? null : String.valueOf(r.update.policy));
    }
}
