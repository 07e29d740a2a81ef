package io.flinkrecurrent.options;

import java.util.Map;

/** The values a command line gave, by their declarations; an absent option has its default. */
/** (Read while the job graph is built; not shipped to the tasks.) */
public final class ParsedOptions {
    private final String command;
    private final Map<Option<?>, Object> values;

    ParsedOptions(String command, Map<Option<?>, Object> values) {
        this.command = command;
        this.values = values;
    }

    /** Whether the option was given. */
    public boolean has(Option<?> o) {
        return values.containsKey(o);
    }

    /** The option's value, or its default (null when it has none). */
    @SuppressWarnings("unchecked")
    public <T> T get(Option<T> o) {
        return values.containsKey(o) ? (T) values.get(o) : o.defaultValue();
    }

    /** The option's value; a usage error, with {@code why} ("with --source kafka"), when it has none. */
    public <T> T require(Option<T> o, String why) {
        T v = get(o);
        if (v == null) {
            throw new UsageException(command, "option --" + o.name() + " is required" + (why.isEmpty() ? "" : " " + why));
        }
        return v;
    }

    /** The command these options were given to. */
    public String command() {
        return command;
    }
}
