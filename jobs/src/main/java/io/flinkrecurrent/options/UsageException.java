package io.flinkrecurrent.options;

/** A command line that cannot be run as given: the message says why; the command's usage follows it. */
public final class UsageException extends RuntimeException {
    private final String command;

    public UsageException(String command, String message) {
        super(message, null, false, false);
        this.command = command;
    }

    /** The command whose usage applies, or null for the top level. */
    public String command() {
        return command;
    }
}
