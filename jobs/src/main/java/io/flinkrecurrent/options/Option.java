package io.flinkrecurrent.options;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One command-line option, declared once: its name, what its value looks like, its parser, its
 * default and its help line. A command lists its options in an {@link OptionSet}, which parses the
 * arguments against them and writes the help text from them.
 *
 * <pre>{@code
 * static final Option<Integer> PARALLELISM = Option.integer("parallelism", "N", "Flink's parallelism", 2, 1);
 * ...
 * int p = OptionSet.of(PARALLELISM, ...).parse("nab", args).get(PARALLELISM);
 * }</pre>
 *
 * @param name         the option's name, without the dashes
 * @param valueName    what the value looks like in the help (FILE, N, a|b|c), or null for a flag
 * @param help         one line (or a few) of help
 * @param defaultValue the value when the option is absent, or null (then {@link ParsedOptions#get}
 *                     returns null and {@link ParsedOptions#require} refuses)
 * @param defaultText  how the help shows the default, or null for none
 */
public record Option<T>(String name, String valueName, String help, T defaultValue, String defaultText, Parser<T> parser) {

    /** Turns an option's text into its value; throws {@link IllegalArgumentException} with what is wrong. */
    @FunctionalInterface
    public interface Parser<T> {
        T parse(String text);
    }

    public Option {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(help, "help");
        Objects.requireNonNull(parser, "parser");
    }

    /** Whether the option takes no value. */
    public boolean isFlag() {
        return valueName == null;
    }

    /** The same option with another default (a job's own default for a shared option). */
    public Option<T> withDefault(T value, String text) {
        return new Option<>(name, valueName, help, value, text, parser);
    }

    /** A flag: present or not. */
    public static Option<Boolean> flag(String name, String help) {
        return new Option<>(name, null, help, Boolean.FALSE, null, t -> Boolean.TRUE);
    }

    /** Any text. */
    public static Option<String> text(String name, String valueName, String help, String dflt) {
        return new Option<>(name, valueName, help, dflt, dflt, t -> t);
    }

    /** A path. */
    public static Option<Path> path(String name, String valueName, String help) {
        return new Option<>(name, valueName, help, null, null, Path::of);
    }

    /** One of the given words (case-insensitive), the first the default unless {@code dflt} is null. */
    public static Option<String> choice(String name, String help, String dflt, String... words) {
        List<String> allowed = Arrays.asList(words);
        return new Option<>(name, String.join("|", words), help, dflt, dflt, t -> {
            String w = t.toLowerCase(Locale.ROOT);
            if (!allowed.contains(w)) {
                throw new IllegalArgumentException("expected " + String.join(", ", allowed) + ", got '" + t + "'");
            }
            return w;
        });
    }

    /** An integer of at least {@code min}. */
    public static Option<Integer> integer(String name, String valueName, String help, Integer dflt, int min) {
        return new Option<>(name, valueName, help, dflt, dflt == null ? null : String.valueOf(dflt), t -> {
            long v = parseLong(t);
            if (v < min || v > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("expected an integer of at least " + min + ", got '" + t + "'");
            }
            return (int) v;
        });
    }

    /** A long of at least {@code min}. */
    public static Option<Long> longInteger(String name, String valueName, String help, Long dflt, long min) {
        return new Option<>(name, valueName, help, dflt, dflt == null ? null : String.valueOf(dflt), t -> {
            long v = parseLong(t);
            if (v < min) {
                throw new IllegalArgumentException("expected an integer of at least " + min + ", got '" + t + "'");
            }
            return v;
        });
    }

    /** A finite number above {@code above}. */
    public static Option<Double> number(String name, String valueName, String help, Double dflt, double above) {
        return new Option<>(name, valueName, help, dflt, dflt == null ? null : String.valueOf(dflt).replaceAll("\\.0$", ""), t -> {
            double v;
            try {
                v = Double.parseDouble(t.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("expected a number, got '" + t + "'");
            }
            if (!Double.isFinite(v) || v <= above) {
                throw new IllegalArgumentException("expected a number above " + above + ", got '" + t + "'");
            }
            return v;
        });
    }

    private static long parseLong(String t) {
        try {
            return Long.parseLong(t.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected an integer, got '" + t + "'");
        }
    }
}
