package io.flinkrecurrent.io;

import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.flink.Recurrent;

/**
 * Parses JSON Lines events ({@code {"key":...,"input":[...],"reset":...}}) into {@link KeyedEvent}s
 * whose id is the line number; a line that does not parse goes to {@link Recurrent#REJECTED} as
 * MALFORMED with its line number and the reason, and the stream goes on. Blank lines are skipped.
 */
public class JsonLineParser extends LineParser<KeyedEvent> {
    private static final long serialVersionUID = 1L;
    private final int inputSize;

    /** @param inputSize the width every input must have, or -1 to leave that check to the operator */
    public JsonLineParser(int inputSize) {
        this.inputSize = inputSize;
    }

    @Override
    protected KeyedEvent parse(String line, NumberedLine where) throws JsonEvents.MalformedEventException {
        Event e = JsonEvents.parse(line, inputSize);
        KeyedEvent k = new KeyedEvent(e.key(), e.input());
        k.reset = e.reset();
        k.id = where.line;
        return k;
    }
}
