package io.flinkrecurrent.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** {@code --name value} and {@code --flag} options of one command, checked against the names it knows. */
final class Args {
    private final String command;
    private final Map<String, String> values = new LinkedHashMap<>();

    private Args(String command) {
        this.command = command;
    }

    /**
     * @param valued the options that take a value
     * @param flags  the options that take none
     * @throws UsageException for an unknown option, a missing value or a stray word
     */
    static Args parse(String command, String[] argv, int from, Set<String> valued, Set<String> flags) {
        Args a = new Args(command);
        for (int i = from; i < argv.length; i++) {
            String arg = argv[i];
            if (!arg.startsWith("--")) {
                throw new UsageException(command, "unexpected argument '" + arg + "'");
            }
            String name = arg.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (flags.contains(name)) {
                if (value != null) {
                    throw new UsageException(command, "option --" + name + " takes no value");
                }
                a.values.put(name, "true");
            } else if (valued.contains(name)) {
                if (value == null) {
                    if (i + 1 >= argv.length || argv[i + 1].startsWith("--")) {
                        throw new UsageException(command, "option --" + name + " needs a value");
                    }
                    value = argv[++i];
                }
                a.values.put(name, value);
            } else {
                throw new UsageException(command, "unknown option --" + name);
            }
        }
        return a;
    }

    String get(String name) {
        return values.get(name);
    }

    String get(String name, String dflt) {
        return values.getOrDefault(name, dflt);
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    String require(String name) {
        String v = values.get(name);
        if (v == null) {
            throw new UsageException(command, "option --" + name + " is required");
        }
        return v;
    }

    int intValue(String name, int dflt, int min) {
        String v = values.get(name);
        if (v == null) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n < min) {
                throw new UsageException(command, "option --" + name + " must be at least " + min + ", got " + v);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new UsageException(command, "option --" + name + " must be an integer, got '" + v + "'");
        }
    }
}
