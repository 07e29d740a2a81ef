package io.flinkrecurrent.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.representer.Representer;
import org.yaml.snakeyaml.resolver.Resolver;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A strict validator of documents against a Kubernetes structural schema (the OpenAPI v3 subset of a
 * CustomResourceDefinition's {@code openAPIV3Schema}), as {@code kubectl apply --validate=strict}
 * makes the API server judge a manifest:
 * <ul>
 *   <li>a field that no {@code properties} names is an error ("unknown field"), unless the object's
 *       schema has {@code additionalProperties} (then each value is checked against it) or
 *       {@code x-kubernetes-preserve-unknown-fields: true}; an object schema without properties keeps
 *       no field at all (the API server would prune every one);</li>
 *   <li>{@code type} (object, array, string, integer, number, boolean), with
 *       {@code x-kubernetes-int-or-string};</li>
 *   <li>{@code required}, {@code enum}, {@code items}, {@code anyOf}/{@code oneOf}/{@code allOf}/{@code not},
 *       {@code nullable} (a null where the schema does not allow one is reported: the API server would
 *       drop the field silently), {@code minimum}, {@code maximum}, {@code minLength}, {@code maxLength},
 *       {@code pattern}, {@code minItems}, {@code maxItems}.</li>
 * </ul>
 * A schema keyword this class does not implement is not skipped: it throws, so that a newer schema that
 * uses one cannot pass unchecked. Errors are "path: problem", the path in the document's own terms
 * ({@code spec.job.upgradeMod}, {@code spec.job.args[3]}).
 */
final class StructuralSchema {
    /** Keywords that carry no constraint on a document. */
    private static final Set<String> ANNOTATIONS = Set.of("description", "title", "example", "default");
    private static final Set<String> KEYWORDS = Set.of("type", "properties", "additionalProperties", "items", "required",
            "enum", "anyOf", "oneOf", "allOf", "not", "nullable", "minimum", "maximum", "minLength", "maxLength", "pattern",
            "minItems", "maxItems", "x-kubernetes-preserve-unknown-fields", "x-kubernetes-int-or-string");

    private static final ObjectMapper JSON = new ObjectMapper();

    private StructuralSchema() {}

    /** Every error of {@code doc} against {@code schema}; empty when it validates. */
    static List<String> validate(JsonNode schema, JsonNode doc) {
        List<String> errors = new ArrayList<>();
        check(schema, doc, "", errors);
        return errors;
    }

    /**
     * The documents of a YAML stream as JSON trees, read as the API server's YAML reader does in strict
     * mode: a key twice in one mapping is an error.
     */
    static List<JsonNode> readYaml(String text) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        // an unquoted date stays a string, as Kubernetes' YAML reader leaves it (SnakeYAML would make it a Date)
        Resolver noTimestamps = new Resolver() {
            @Override
            public void addImplicitResolver(Tag tag, Pattern regexp, String first, int limit) {
                if (!Tag.TIMESTAMP.equals(tag)) {
                    super.addImplicitResolver(tag, regexp, first, limit);
                }
            }
        };
        List<JsonNode> docs = new ArrayList<>();
        Yaml yaml = new Yaml(new SafeConstructor(options), new Representer(new DumperOptions()), new DumperOptions(), options, noTimestamps);
        for (Object o : yaml.loadAll(text)) {
            docs.add(o == null ? JSON.nullNode() : JSON.valueToTree(o));
        }
        return docs;
    }

    /** The tree of one YAML document (a schema in a test). */
    static JsonNode yaml(String text) {
        List<JsonNode> docs = readYaml(text);
        if (docs.size() != 1) {
            throw new IllegalArgumentException("one YAML document expected, got " + docs.size());
        }
        return docs.get(0);
    }

    private static String at(String path) {
        return path.isEmpty() ? "(the document)" : path;
    }

    private static String child(String path, String field) {
        return path.isEmpty() ? field : path + "." + field;
    }

    private static void check(JsonNode schema, JsonNode value, String path, List<String> errors) {
        if (!schema.isObject()) {
            throw new IllegalArgumentException("schema at " + at(path) + " is not an object: " + schema);
        }
        for (Iterator<String> it = schema.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!KEYWORDS.contains(k) && !ANNOTATIONS.contains(k)) {
                throw new IllegalArgumentException("schema keyword '" + k + "' (at " + at(path)
                        + ") is not implemented by this validator: implement it rather than skip it");
            }
        }
        boolean preserve = schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
        if (value.isNull()) {
            if (!schema.path("nullable").asBoolean(false) && !(preserve && !schema.has("type"))) {
                errors.add(at(path) + ": null, and the schema does not allow null (the API server would drop the field)");
            }
            return;
        }
        String type = schema.path("type").asText(null);
        boolean intOrString = schema.path("x-kubernetes-int-or-string").asBoolean(false);
        if (intOrString) {
            if (!(value.isIntegralNumber() || value.isTextual())) {
                errors.add(at(path) + ": " + describe(value) + ", expected an integer or a string");
                return;
            }
        } else if (type != null && !hasType(value, type)) {
            errors.add(at(path) + ": " + describe(value) + ", expected " + type);
            return;
        }
        if (schema.has("enum")) {
            boolean found = false;
            for (JsonNode e : schema.get("enum")) {
                found |= e.equals(value);
            }
            if (!found) {
                errors.add(at(path) + ": " + describe(value) + " is not one of " + schema.get("enum"));
            }
        }
        checkBounds(schema, value, path, errors);
        if (value.isObject()) {
            checkObject(schema, (ObjectNode) value, path, preserve, errors);
        }
        if (value.isArray() && schema.has("items")) {
            for (int i = 0; i < value.size(); i++) {
                check(schema.get("items"), value.get(i), path + "[" + i + "]", errors);
            }
        }
        if (schema.has("allOf")) {
            for (JsonNode s : schema.get("allOf")) {
                check(s, value, path, errors);
            }
        }
        if (schema.has("anyOf") || schema.has("oneOf")) {
            String kw = schema.has("anyOf") ? "anyOf" : "oneOf";
            int matching = 0;
            List<String> first = null;
            for (JsonNode s : schema.get(kw)) {
                List<String> branch = new ArrayList<>();
                checkValue(s, value, path, branch);
                if (branch.isEmpty()) {
                    matching++;
                } else if (first == null) {
                    first = branch;
                }
            }
            if (matching == 0 || (kw.equals("oneOf") && matching > 1)) {
                errors.add(at(path) + ": " + describe(value) + " matches " + matching + " of the " + kw + " schemas "
                        + schema.get(kw) + (first == null ? "" : " (" + String.join("; ", first) + ")"));
            }
        }
        if (schema.has("not")) {
            List<String> branch = new ArrayList<>();
            checkValue(schema.get("not"), value, path, branch);
            if (branch.isEmpty()) {
                errors.add(at(path) + ": " + describe(value) + " must not match " + schema.get("not"));
            }
        }
    }

    /**
     * A branch of anyOf/oneOf/allOf/not: in a structural schema these constrain values only (the
     * fields a node may have are the ones its own properties name), so a branch is checked as if its
     * objects kept unknown fields.
     */
    private static void checkValue(JsonNode branch, JsonNode value, String path, List<String> errors) {
        ObjectNode relaxed = branch.deepCopy();
        if (!relaxed.has("properties") && !relaxed.has("additionalProperties")) {
            relaxed.put("x-kubernetes-preserve-unknown-fields", true);
        }
        check(relaxed, value, path, errors);
    }

    private static void checkObject(JsonNode schema, ObjectNode value, String path, boolean preserve, List<String> errors) {
        JsonNode props = schema.path("properties");
        JsonNode additional = schema.get("additionalProperties");
        if (schema.has("required")) {
            for (JsonNode r : schema.get("required")) {
                if (!value.has(r.asText())) {
                    errors.add(child(path, r.asText()) + ": missing required field");
                }
            }
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String p = child(path, f.getKey());
            if (props.has(f.getKey())) {
                check(props.get(f.getKey()), f.getValue(), p, errors);
            } else if (additional != null && additional.isObject()) {
                check(additional, f.getValue(), p, errors);
            } else if (preserve || (additional != null && additional.asBoolean(false))) {
                // kept as it is
            } else {
                errors.add(p + ": unknown field" + suggestion(f.getKey(), props));
            }
        }
    }

    private static String suggestion(String field, JsonNode props) {
        Set<String> known = new TreeSet<>();
        props.fieldNames().forEachRemaining(known::add);
        if (known.isEmpty()) {
            return " (" + "this object's schema names no field)";
        }
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : known) {
            int d = distance(field.toLowerCase(java.util.Locale.ROOT), k.toLowerCase(java.util.Locale.ROOT));
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        String near = bestDistance <= Math.max(2, field.length() / 4) ? "; did you mean '" + best + "'?" : "";
        return " (known here: " + String.join(", ", known) + near + ")";
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private static void checkBounds(JsonNode schema, JsonNode value, String path, List<String> errors) {
        if (value.isNumber()) {
            if (schema.has("minimum") && value.asDouble() < schema.get("minimum").asDouble()) {
                errors.add(at(path) + ": " + value + " is below the minimum " + schema.get("minimum"));
            }
            if (schema.has("maximum") && value.asDouble() > schema.get("maximum").asDouble()) {
                errors.add(at(path) + ": " + value + " is above the maximum " + schema.get("maximum"));
            }
        }
        if (value.isTextual()) {
            int n = value.asText().codePointCount(0, value.asText().length());
            if (schema.has("minLength") && n < schema.get("minLength").asInt()) {
                errors.add(at(path) + ": shorter than " + schema.get("minLength") + " characters");
            }
            if (schema.has("maxLength") && n > schema.get("maxLength").asInt()) {
                errors.add(at(path) + ": longer than " + schema.get("maxLength") + " characters");
            }
            if (schema.has("pattern") && !Pattern.compile(schema.get("pattern").asText()).matcher(value.asText()).find()) {
                errors.add(at(path) + ": " + describe(value) + " does not match the pattern " + schema.get("pattern"));
            }
        }
        if (value.isArray()) {
            if (schema.has("minItems") && value.size() < schema.get("minItems").asInt()) {
                errors.add(at(path) + ": fewer than " + schema.get("minItems") + " items");
            }
            if (schema.has("maxItems") && value.size() > schema.get("maxItems").asInt()) {
                errors.add(at(path) + ": more than " + schema.get("maxItems") + " items");
            }
        }
    }

    private static boolean hasType(JsonNode value, String type) {
        return switch (type) {
            case "object" -> value.isObject();
            case "array" -> value.isArray();
            case "string" -> value.isTextual();
            case "integer" -> value.isIntegralNumber();
            case "number" -> value.isNumber();
            case "boolean" -> value.isBoolean();
            default -> throw new IllegalArgumentException("unknown schema type '" + type + "'");
        };
    }

    private static String describe(JsonNode value) {
        String kind = value.isObject() ? "an object" : value.isArray() ? "an array" : value.isTextual() ? "the string"
                : value.isIntegralNumber() ? "the integer" : value.isNumber() ? "the number" : value.isBoolean() ? "the boolean" : "";
        return value.isContainerNode() ? kind : kind + " " + value;
    }
}
