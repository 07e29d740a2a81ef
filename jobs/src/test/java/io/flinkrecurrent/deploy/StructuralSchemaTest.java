package io.flinkrecurrent.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The validator on small schemas: each rule rejects what it must and keeps what it must. */
class StructuralSchemaTest {
    static final JsonNode SCHEMA = StructuralSchema.yaml("""
            type: object
            required: [name]
            properties:
              name: {type: string, minLength: 1}
              mode: {type: string, enum: [a, b]}
              count: {type: integer, minimum: 1}
              ratio: {type: number}
              enabled: {type: boolean}
              labels:
                type: object
                additionalProperties: {type: string}
              quantity:
                anyOf: [{type: integer}, {type: string}]
                x-kubernetes-int-or-string: true
              free:
                x-kubernetes-preserve-unknown-fields: true
              freeObject:
                type: object
                x-kubernetes-preserve-unknown-fields: true
                properties:
                  known: {type: integer}
              empty:
                type: object
              items:
                type: array
                maxItems: 2
                items:
                  type: object
                  properties:
                    port: {type: integer}
              maybe: {type: string, nullable: true}
            """);

    static List<String> errors(String doc) {
        return StructuralSchema.validate(SCHEMA, StructuralSchema.yaml(doc));
    }

    static void rejects(String doc, String expected) {
        List<String> e = errors(doc);
        assertEquals(1, e.size(), doc + " -> " + e);
        assertTrue(e.get(0).contains(expected), e.get(0) + " should say " + expected);
    }

    @Test
    void aValidDocumentPasses() {
        assertEquals(List.of(), errors("""
                name: x
                mode: b
                count: 3
                ratio: 2
                enabled: true
                labels: {a: "1", b: c}
                quantity: 2Gi
                free: {anything: [1, {deep: null}]}
                freeObject: {known: 1, other: {x: y}}
                empty: {}
                items: [{port: 1}, {port: 2}]
                maybe: null
                """));
        assertEquals(List.of(), errors("name: x\nquantity: 3\nfree: just a string\n"));
    }

    @Test
    void anUnknownFieldIsAnError() {
        rejects("name: x\nmod: a\n", "mod: unknown field");
        rejects("name: x\nmod: a\n", "did you mean 'mode'?");
        rejects("name: x\nitems: [{port: 1}, {prot: 2}]\n", "items[1].prot: unknown field");
        rejects("name: x\nfreeObject: {known: 1}\nempty: {x: 1}\n", "empty.x: unknown field (this object's schema names no field)");
    }

    @Test
    void wrongTypesAreErrors() {
        rejects("name: x\ncount: \"3\"\n", "count: the string \"3\", expected integer");
        rejects("name: x\ncount: 2.5\n", "count: the number 2.5, expected integer");
        rejects("name: 7\n", "name: the integer 7, expected string");
        rejects("name: x\nenabled: \"true\"\n", "enabled: the string \"true\", expected boolean");
        rejects("name: x\nlabels: [a]\n", "labels: an array, expected object");
        rejects("name: x\nratio: \"1.5\"\n", "ratio: the string \"1.5\", expected number");
        rejects("name: x\nquantity: 1.5\n", "quantity: the number 1.5, expected an integer or a string");
    }

    @Test
    void enumsRequiredFieldsAndBounds() {
        rejects("name: x\nmode: c\n", "mode: the string \"c\" is not one of [\"a\",\"b\"]");
        rejects("mode: a\n", "name: missing required field");
        rejects("name: x\ncount: 0\n", "count: 0 is below the minimum 1");
        rejects("name: \"\"\n", "name: shorter than 1 characters");
        rejects("name: x\nitems: [{}, {}, {}]\n", "items: more than 2 items");
    }

    @Test
    void additionalPropertiesCheckEachValue() {
        rejects("name: x\nlabels: {a: b, c: 1}\n", "labels.c: the integer 1, expected string");
    }

    @Test
    void preserveUnknownFieldsStillChecksTheFieldsItNames() {
        rejects("name: x\nfreeObject: {known: one, other: 1}\n", "freeObject.known: the string \"one\", expected integer");
    }

    @Test
    void nullIsAnErrorUnlessNullable() {
        rejects("name: x\nmode: null\n", "mode: null, and the schema does not allow null");
        assertEquals(List.of(), errors("name: x\nmaybe: null\n"));
    }

    @Test
    void everyErrorIsReported() {
        assertEquals(3, errors("mod: a\ncount: x\n").size(), "missing name, unknown mod, count's type");
    }

    @Test
    void anUnimplementedKeywordIsRefusedNotSkipped() {
        JsonNode schema = StructuralSchema.yaml("type: object\nproperties:\n  t: {type: string, format: date-time}\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StructuralSchema.validate(schema, StructuralSchema.yaml("t: yesterday\n")));
        assertTrue(e.getMessage().contains("'format'"), e.getMessage());
    }

    @Test
    void anUnquotedDateIsAString() {
        assertEquals(List.of(), errors("name: 2026-12-07\n"));
        rejects("name: x\ncount: 2026-12-07\n", "count: the string \"2026-12-07\", expected integer");
    }

    @Test
    void duplicateKeysAreRefused() {
        assertThrows(RuntimeException.class, () -> StructuralSchema.readYaml("name: x\nname: y\n"));
    }

    @Test
    void oneOfAndNot() {
        JsonNode schema = StructuralSchema.yaml("""
                type: object
                properties:
                  v:
                    oneOf: [{type: integer}, {type: number}]
                  w:
                    type: string
                    not: {enum: [forbidden]}
                """);
        List<String> e = StructuralSchema.validate(schema, StructuralSchema.yaml("v: 1\nw: forbidden\n"));
        assertEquals(2, e.size(), e.toString());
        assertTrue(e.get(0).startsWith("v: the integer 1 matches 2 of the oneOf schemas"), e.get(0));
        assertTrue(e.get(1).startsWith("w: the string \"forbidden\" must not match"), e.get(1));
        assertEquals(List.of(), StructuralSchema.validate(schema, StructuralSchema.yaml("v: 1.5\nw: fine\n")));
    }
}
