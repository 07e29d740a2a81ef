package io.flinkrecurrent.sqlrunner;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SqlScriptTest {
    @Test
    void splitsAtTheSemicolonsThatEndStatements() {
        List<SqlScript.Statement> s = SqlScript.split("""
                -- a comment; not a statement
                CREATE TABLE t (a STRING) WITH ('path' = 'x;y', 'format' = 'it''s; fine');
                /* a block;
                   comment */ SELECT `weird;name`, "q;uoted" FROM t;

                SET 'parallelism.default' = '1'
                """);
        assertEquals(3, s.size(), s.toString());
        assertEquals("CREATE TABLE t (a STRING) WITH ('path' = 'x;y', 'format' = 'it''s; fine')", s.get(0).sql());
        assertEquals(2, s.get(0).line());
        assertTrue(s.get(1).sql().endsWith("SELECT `weird;name`, \"q;uoted\" FROM t"), s.get(1).sql());
        assertEquals(4, s.get(1).line());
        assertEquals("SET 'parallelism.default' = '1'", s.get(2).sql());
        assertEquals(6, s.get(2).line());
    }

    @Test
    void anUnclosedQuoteOrCommentNamesItsLine() {
        assertEquals("line 2: the quote ' is not closed",
                assertThrows(IllegalArgumentException.class, () -> SqlScript.split("SELECT 1;\nSELECT 'a;")).getMessage());
        assertEquals("line 1: a comment /* is not closed",
                assertThrows(IllegalArgumentException.class, () -> SqlScript.split("/* SELECT 1;")).getMessage());
    }
}
