package io.flinkrecurrent.io;

import io.flinkrecurrent.flink.Recurrent;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * What every reader of numbered lines does around its own parsing: a line that is not UTF-8 and a
 * line that does not parse go to {@link Recurrent#REJECTED} as MALFORMED, with where they came from
 * and why; blank lines and those {@link #skip} names (comments, headers) are passed over; the stream
 * goes on.
 */
public abstract class LineParser<T> extends ProcessFunction<NumberedLine, T> {
    private static final long serialVersionUID = 1L;

    /** Whether a line (trimmed, not empty) is passed over, as a comment or a header. None by default. */
    protected boolean skip(String line) {
        return false;
    }

    /**
     * The event of one line (trimmed, not empty).
     *
     * @throws IllegalArgumentException or {@link JsonEvents.MalformedEventException} saying what is
     *         wrong: the line is rejected with that message
     */
    protected abstract T parse(String line, NumberedLine where) throws JsonEvents.MalformedEventException;

    @Override
    public final void processElement(NumberedLine l, Context ctx, Collector<T> out) {
        if (l.text == null) {
            ctx.output(Recurrent.REJECTED, l.malformed(NumberedLine.NOT_UTF8));
            return;
        }
        String t = l.text.trim();
        if (t.isEmpty() || skip(t)) {
            return;
        }
        T event;
        try {
            event = parse(t, l);
        } catch (IllegalArgumentException | JsonEvents.MalformedEventException e) {
            ctx.output(Recurrent.REJECTED, l.malformed(e.getMessage()));
            return;
        }
        out.collect(event);
    }
}
