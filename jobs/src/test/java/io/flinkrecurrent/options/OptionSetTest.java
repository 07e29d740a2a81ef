package io.flinkrecurrent.options;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One declaration per option gives its parser, its default and its help line. */
class OptionSetTest {
    static final Option<Integer> N = Option.integer("parallelism", "N", "Flink's parallelism", 2, 1);
    static final Option<String> ENGINE = Option.choice("engine", "where it runs", "local", "local", "flink");
    static final Option<Path> FILE = Option.path("events", "FILE", "the input");
    static final Option<Boolean> FLAG = Option.flag("bounded", "stop at the end");
    static final OptionSet SET = OptionSet.of(N, ENGINE, FILE, FLAG);

    @Test
    void valuesDefaultsAndFlags() {
        ParsedOptions p = SET.parse("cmd", new String[] {"--parallelism", "3", "--engine=FLINK", "--bounded"});
        assertEquals(3, p.get(N));
        assertEquals("flink", p.get(ENGINE));
        assertTrue(p.get(FLAG));
        assertNull(p.get(FILE));
        ParsedOptions none = SET.parse("cmd", new String[0]);
        assertEquals(2, none.get(N), "the declared default");
        assertEquals("local", none.get(ENGINE));
        assertFalse(none.get(FLAG));
        assertFalse(none.has(N));
    }

    @Test
    void everyMistakeNamesTheCommandAndTheOption() {
        assertEquals("unknown option --colour", error("--colour", "red"));
        assertEquals("option --parallelism: expected an integer of at least 1, got '0'", error("--parallelism", "0"));
        assertEquals("option --parallelism: expected an integer, got 'two'", error("--parallelism", "two"));
        assertEquals("option --engine: expected local, flink, got 'spark'", error("--engine", "spark"));
        assertEquals("option --events needs a value (FILE)", error("--events"));
        assertEquals("option --bounded takes no value", error("--bounded=yes"));
        assertEquals("option --parallelism is given twice", error("--parallelism", "2", "--parallelism", "3"));
        assertEquals("unexpected argument 'stray'", error("stray"));
        UsageException e = assertThrows(UsageException.class, () -> SET.parse("cmd", new String[0]).require(FILE, "with --x"));
        assertEquals("option --events is required with --x", e.getMessage());
        assertEquals("cmd", e.command());
    }

    static String error(String... args) {
        return assertThrows(UsageException.class, () -> SET.parse("cmd", args)).getMessage();
    }

    @Test
    void helpIsWrittenFromTheDeclarations() {
        String help = SET.help();
        assertTrue(help.contains("--parallelism N"), help);
        assertTrue(help.contains("Flink's parallelism (default: 2)"), help);
        assertTrue(help.contains("--engine local|flink"), help);
        assertTrue(help.contains("where it runs (default: local)"), help);
        assertTrue(help.contains("--bounded"), help);
        assertEquals(4, help.lines().filter(l -> l.startsWith("  --")).count(), help);
    }

    @Test
    void aLaterDeclarationReplacesAnEarlierOneOfTheSameName() {
        Option<Integer> eight = N.withDefault(8, "8");
        OptionSet s = SET.with(java.util.List.of(eight));
        assertEquals(4, s.options().size());
        assertEquals(8, s.parse("cmd", new String[0]).get(eight));
        assertTrue(s.help().contains("Flink's parallelism (default: 8)"), s.help());
        assertThrows(IllegalArgumentException.class, () -> OptionSet.of(N, N));
    }
}
