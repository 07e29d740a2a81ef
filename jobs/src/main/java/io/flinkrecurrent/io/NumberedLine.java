package io.flinkrecurrent.io;

/**
 * A line of input with where it came from: a file's 1-based line number, or a Kafka record's
 * partition and offset. A Flink POJO.
 */
public class NumberedLine {
    /** The line number in a file, or the record's offset in its Kafka partition. */
    public long line;
    /** The Kafka partition, or -1 for a line of a file. */
    public int partition = -1;
    /** The line, or null for one that is not valid UTF-8 (to be rejected with its number). */
    public String text;

    public NumberedLine() {}

    public NumberedLine(long line, String text) {
        this.line = line;
        this.text = text;
    }

    /** A Kafka record's value, with its partition and offset. */
    public static NumberedLine record(int partition, long offset, String text) {
        NumberedLine l = new NumberedLine(offset, text);
        l.partition = partition;
        return l;
    }

    /** This line rejected as MALFORMED: where it came from, then why. */
    public io.flinkrecurrent.flink.RejectedEvent malformed(String why) {
        return new io.flinkrecurrent.flink.RejectedEvent(null, io.flinkrecurrent.flink.RejectedEvent.Reason.MALFORMED,
                where() + ": " + why, null, text).withId(line);
    }

    /** The text of a line that is not valid UTF-8 (see {@link Utf8Lines}). */
    public static final String NOT_UTF8 = "not valid UTF-8";

    /** Where the line came from, for messages: "line 12" or "partition 3 offset 1200". */
    public String where() {
        return partition < 0 ? "line " + line : "partition " + partition + " offset " + line;
    }
}
