package io.flinkrecurrent.io;

import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.flink.Recurrent;
import io.flinkrecurrent.flink.RejectedEvent;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Parses JSON Lines events ({@code {"key":...,"input":[...],"reset":...}}) into {@link KeyedEvent}s
 * whose id is the line number; a line that does not parse goes to {@link Recurrent#REJECTED} as
 * MALFORMED with its line number and the reason, and the stream goes on. Blank lines are skipped.
 */
public class JsonLineParser extends ProcessFunction<NumberedLine, KeyedEvent> {
    private static final long serialVersionUID = 1L;
    private final int inputSize;

    /** @param inputSize the width every input must have, or -1 to leave that check to the operator */
    public JsonLineParser(int inputSize) {
        this.inputSize = inputSize;
    }

    @Override
    public void processElement(NumberedLine l, Context ctx, Collector<KeyedEvent> out) {
        if (l.text == null) {
            ctx.output(Recurrent.REJECTED, l.malformed(NumberedLine.NOT_UTF8));
            return;
        }
        if (l.text.isBlank()) {
            return;
        }
        try {
            Event e = JsonEvents.parse(l.text, inputSize);
            KeyedEvent k = new KeyedEvent(e.key(), e.input());
            k.reset = e.reset();
            k.id = l.line;
            out.collect(k);
        } catch (JsonEvents.MalformedEventException ex) {
            ctx.output(Recurrent.REJECTED, l.malformed(ex.getMessage()));
        }
    }
}
