package io.flinkrecurrent.sqlrunner;

import java.util.ArrayList;
import java.util.List;

/**
 * A SQL script split into its statements at the semicolons that end them: not those inside
 * 'string literals' (with '' for a quote), `quoted identifiers`, "quoted identifiers", -- line
 * comments or block comments. Each statement keeps the line it starts on, for errors.
 */
public final class SqlScript {
    /** One statement, without its semicolon, and the 1-based line it starts on. */
    public record Statement(String sql, int line) {}

    private SqlScript() {}

    public static List<Statement> split(String script) {
        List<Statement> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        int line = 1;
        int startLine = -1;
        int n = script.length();
        for (int i = 0; i < n; i++) {
            char c = script.charAt(i);
            char next = i + 1 < n ? script.charAt(i + 1) : 0;
            if (c == '-' && next == '-') { // a line comment: skipped to the end of the line
                while (i < n && script.charAt(i) != '\n') {
                    i++;
                }
                if (i < n) {
                    line++;
                    cur.append('\n');
                }
                continue;
            }
            if (c == '/' && next == '*') {
                int end = script.indexOf("*/", i + 2);
                if (end < 0) {
                    throw new IllegalArgumentException("line " + line + ": a comment /* is not closed");
                }
                for (int j = i; j < end; j++) {
                    if (script.charAt(j) == '\n') {
                        line++;
                    }
                }
                cur.append(' ');
                i = end + 1;
                continue;
            }
            if (c == ';') {
                add(out, cur, startLine);
                cur.setLength(0);
                startLine = -1;
                continue;
            }
            if (!Character.isWhitespace(c) && startLine < 0) {
                startLine = line;
            }
            if (c == '\'' || c == '`' || c == '"') {
                int start = line;
                cur.append(c);
                i++;
                while (true) {
                    if (i >= n) {
                        throw new IllegalArgumentException("line " + start + ": the quote " + c + " is not closed");
                    }
                    char d = script.charAt(i);
                    cur.append(d);
                    if (d == '\n') {
                        line++;
                    }
                    if (d == c) { // ('' inside a literal closes and reopens it: the same for splitting)
                        break;
                    }
                    i++;
                }
                continue;
            }
            if (c == '\n') {
                line++;
            }
            cur.append(c);
        }
        add(out, cur, startLine);
        return out;
    }

    private static void add(List<Statement> out, StringBuilder cur, int line) {
        String s = cur.toString().strip();
        if (!s.isEmpty()) {
            out.add(new Statement(s, line));
        }
    }
}
