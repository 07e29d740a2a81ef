package io.flinkrecurrent.options;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The options of one command, in the order its help lists them: the one parser of
 * {@code --name value}, {@code --name=value} and {@code --flag} arguments, and the one writer of
 * their help text.
 */
public final class OptionSet {
    private final Map<String, Option<?>> byName = new LinkedHashMap<>();

    private OptionSet(List<Option<?>> options) {
        for (Option<?> o : options) {
            if (byName.put(o.name(), o) != null) {
                throw new IllegalArgumentException("option --" + o.name() + " declared twice");
            }
        }
    }

    public static OptionSet of(Option<?>... options) {
        return new OptionSet(List.of(options));
    }

    public static OptionSet of(List<? extends Option<?>> options) {
        return new OptionSet(new ArrayList<>(options));
    }

    /** These options and those (a later one of the same name replaces the earlier: a job's own default). */
    public OptionSet with(List<? extends Option<?>> more) {
        List<Option<?>> all = new ArrayList<>(byName.values());
        for (Option<?> o : more) {
            all.removeIf(x -> x.name().equals(o.name()));
            all.add(o);
        }
        return new OptionSet(all);
    }

    public List<Option<?>> options() {
        return Collections.unmodifiableList(new ArrayList<>(byName.values()));
    }

    /**
     * Parses {@code args[from..]}; every value is parsed at once, so a bad value is reported before
     * anything runs.
     *
     * @throws UsageException naming the command and the option: unknown, missing value, bad value, a stray word
     */
    public ParsedOptions parse(String command, String[] args, int from) {
        Map<Option<?>, Object> values = new LinkedHashMap<>();
        for (int i = from; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                throw new UsageException(command, "unexpected argument '" + arg + "'");
            }
            String name = arg.substring(2);
            String text = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                text = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            Option<?> o = byName.get(name);
            if (o == null) {
                throw new UsageException(command, "unknown option --" + name);
            }
            if (o.isFlag()) {
                if (text != null) {
                    throw new UsageException(command, "option --" + name + " takes no value");
                }
                text = "";
            } else if (text == null) {
                if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
                    throw new UsageException(command, "option --" + name + " needs a value (" + o.valueName() + ")");
                }
                text = args[++i];
            }
            if (values.containsKey(o)) {
                throw new UsageException(command, "option --" + name + " is given twice");
            }
            try {
                values.put(o, o.parser().parse(text));
            } catch (IllegalArgumentException e) {
                throw new UsageException(command, "option --" + name + ": " + e.getMessage());
            }
        }
        return new ParsedOptions(command, values);
    }

    public ParsedOptions parse(String command, String[] args) {
        return parse(command, args, 0);
    }

    /** The help lines: {@code --name VALUE   help (default: x)}, aligned. */
    public String help() {
        int width = 0;
        List<String> heads = new ArrayList<>();
        for (Option<?> o : byName.values()) {
            String head = "--" + o.name() + (o.isFlag() ? "" : " " + o.valueName());
            heads.add(head);
            width = Math.max(width, head.length());
        }
        width = Math.min(width, 26);
        StringBuilder sb = new StringBuilder();
        int i = 0;
        for (Option<?> o : byName.values()) {
            String head = heads.get(i++);
            String text = o.help() + (o.defaultText() != null ? " (default: " + o.defaultText() + ")" : "");
            sb.append("  ").append(head);
            if (head.length() > width) {
                sb.append('\n').append(" ".repeat(width + 2));
            } else {
                sb.append(" ".repeat(width - head.length()));
            }
            String[] lines = text.split("\n");
            for (int l = 0; l < lines.length; l++) {
                if (l > 0) {
                    sb.append(" ".repeat(width + 2));
                }
                sb.append("   ").append(lines[l]).append('\n');
            }
        }
        return sb.toString();
    }
}
