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

    /** Where the line came from, for messages: "line 12" or "partition 3 offset 1200". */
    public String where() {
        return partition < 0 ? "line " + line : "partition " + partition + " offset " + line;
    }
}
