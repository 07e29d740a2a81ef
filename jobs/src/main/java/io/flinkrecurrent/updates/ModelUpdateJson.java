package io.flinkrecurrent.updates;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import io.flinkrecurrent.flink.ModelReference;
import io.flinkrecurrent.flink.ModelUpdate;

import java.io.IOException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The model-update JSON record, and the one way to read it, whatever brings it: a control line of
 * {@code replay}'s events, a {@code .json} file in a watched folder ({@link UpdateRecordFiles}), a record
 * of a Kafka topic ({@link ModelUpdateRecords}):
 * <pre>{"kind": "swap", "model": "s3://models/r2.safetensors", "sha256": "...", "version": "r2",
 *  "policy": "warm_up", "warm_up": 20}</pre>
 * The rules:
 * <ul>
 *   <li>one JSON object, each field once, nothing after it; no fields but these six;</li>
 *   <li>{@code kind}: swap (the default), shadow, promote or stop_shadow; promote and stop_shadow take
 *       no other field;</li>
 *   <li>{@code model} (swap and shadow, required): the model file's path or URI, not empty;</li>
 *   <li>{@code policy}: reset (the default), keep or warm_up; {@code warm_up}, a positive integer, goes
 *       with warm_up and only with it;</li>
 *   <li>{@code version}: not empty; by default the file's name without its extension;</li>
 *   <li>{@code sha256}: 64 hex digits; by default the file's, as it is read when the record is.</li>
 * </ul>
 * Names of kinds and policies are read in any case. A record that breaks a rule is refused with the
 * rule it breaks ({@link BadRecordException}), or becomes an {@link UnusableUpdate} that every subtask
 * refuses ({@link #decodeOrUnusable}).
 */
public final class ModelUpdateJson {
    /** Refuses a field given twice (the second would otherwise silently win). */
    private static final JsonFactory JSON = JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    private static final String FIELDS = "kind, model, sha256, version, policy, warm_up";

    private ModelUpdateJson() {}

    /** A record that is not a model update; the message is the rule it breaks. */
    public static final class BadRecordException extends Exception {
        public BadRecordException(String reason) {
            super(reason, null, false, false);
        }
    }

    /** Whether a line of events is a model-update record rather than an event: it has a field {@code model} or {@code kind}. */
    public static boolean isRecord(String line) {
        return line.contains("\"model\"") || line.contains("\"kind\"");
    }

    /** The update a record asks for, or an {@link UnusableUpdate} at {@code where} (which every subtask refuses). */
    public static ModelUpdate decodeOrUnusable(String text, String where) {
        try {
            return decode(text);
        } catch (BadRecordException e) {
            return new UnusableUpdate(where, e.getMessage());
        }
    }

    /**
     * The update a record asks for.
     *
     * @throws BadRecordException naming the rule the record breaks (the field and what is wrong with it,
     *                            or the model file that cannot be read)
     */
    public static ModelUpdate decode(String text) throws BadRecordException {
        String kind = null;
        String model = null;
        String sha256 = null;
        String version = null;
        String policy = null;
        int warmUp = 0;
        String other = null; // a field that promote and stop_shadow do not take
        try (JsonParser p = JSON.createParser(text)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new BadRecordException("not a JSON object");
            }
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken v = p.nextToken();
                switch (field) {
                    case "kind" -> kind = string(p, v, field);
                    case "model" -> model = string(p, v, field);
                    case "sha256" -> sha256 = string(p, v, field);
                    case "version" -> version = string(p, v, field);
                    case "policy" -> policy = string(p, v, field);
                    case "warm_up" -> {
                        if (v != JsonToken.VALUE_NUMBER_INT || p.getValueAsLong() < 1 || p.getValueAsLong() > Integer.MAX_VALUE) {
                            throw new BadRecordException("field 'warm_up' must be a positive integer, got " + p.getText());
                        }
                        warmUp = p.getIntValue();
                    }
                    default -> throw new BadRecordException("'" + field + "' is not a field of a model update (" + FIELDS + ")");
                }
                if (!field.equals("kind") && other == null) {
                    other = field;
                }
            }
            if (t != JsonToken.END_OBJECT) {
                throw new BadRecordException("not a JSON object");
            }
            if (p.nextToken() != null) {
                throw new BadRecordException("not one JSON object: something follows it");
            }
        } catch (JsonProcessingException e) {
            throw new BadRecordException("not JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new BadRecordException("unreadable: " + e.getMessage());
        }
        ModelUpdate.Kind k = kind == null ? ModelUpdate.Kind.SWAP : named(ModelUpdate.Kind.class, "kind", kind);
        if (k == ModelUpdate.Kind.PROMOTE || k == ModelUpdate.Kind.STOP_SHADOW) {
            if (other != null) {
                throw new BadRecordException("kind " + k.name().toLowerCase(Locale.ROOT) + " takes no other field, got '" + other + "'");
            }
            return k == ModelUpdate.Kind.PROMOTE ? ModelUpdate.promote() : ModelUpdate.stopShadow();
        }
        if (model == null) {
            throw new BadRecordException("field 'model' (the file's path or URI) is missing");
        }
        if (model.isBlank()) {
            throw new BadRecordException("field 'model' is empty");
        }
        ModelUpdate.Policy pol = policy == null ? ModelUpdate.Policy.RESET : named(ModelUpdate.Policy.class, "policy", policy);
        if (pol == ModelUpdate.Policy.WARM_UP && warmUp == 0) {
            throw new BadRecordException("policy warm_up needs 'warm_up': the number of inputs to replay");
        }
        if (pol != ModelUpdate.Policy.WARM_UP && warmUp > 0) {
            throw new BadRecordException("field 'warm_up' goes with policy warm_up, not " + pol.name().toLowerCase(Locale.ROOT));
        }
        if (version != null && version.isBlank()) {
            throw new BadRecordException("field 'version' is empty");
        }
        if (sha256 != null) {
            if (sha256.length() != 64 || !sha256.chars().allMatch(HexFormat::isHexDigit)) {
                throw new BadRecordException("field 'sha256' must be the file's SHA-256, 64 hex digits, got '" + sha256 + "'");
            }
            sha256 = sha256.toLowerCase(Locale.ROOT);
        } else {
            try {
                sha256 = ModelReference.sha256(model);
            } catch (RuntimeException e) {
                throw new BadRecordException("the model " + e.getMessage());
            }
        }
        ModelUpdate u = k == ModelUpdate.Kind.SHADOW
                ? ModelUpdate.shadow(model, sha256, version != null ? version : ModelUpdate.versionOf(model), pol, warmUp)
                : ModelUpdate.swap(model, sha256, version != null ? version : ModelUpdate.versionOf(model), pol);
        u.warmUp = warmUp;
        return u;
    }

    private static String string(JsonParser p, JsonToken v, String field) throws IOException, BadRecordException {
        if (v != JsonToken.VALUE_STRING) {
            throw new BadRecordException("field '" + field + "' must be a string, got " + (v.isScalarValue() ? p.getText()
                    : v == JsonToken.START_ARRAY ? "an array" : "an object"));
        }
        return p.getText();
    }

    private static <E extends Enum<E>> E named(Class<E> type, String field, String value) throws BadRecordException {
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(value)) {
                return e;
            }
        }
        throw new BadRecordException("field '" + field + "' is '" + value + "', not one of "
                + java.util.Arrays.toString(type.getEnumConstants()).toLowerCase(Locale.ROOT));
    }
}
