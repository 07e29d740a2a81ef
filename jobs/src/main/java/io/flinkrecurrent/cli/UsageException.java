package io.flinkrecurrent.cli;

/** A command line that cannot be run as given: the message says why; the command's usage follows it. */
final class UsageException extends RuntimeException {
    private final String command;

    UsageException(String command, String message) {
        super(message, null, false, false);
        this.command = command;
    }

    /** The command whose usage applies, or null for the top level. */
    String command() {
        return command;
    }
}
