package io.flinkrecurrent.flink;

/** A line of a text file with its 1-based line number. A Flink POJO. */
public class NumberedLine {
    public long line;
    public String text;

    public NumberedLine() {}

    public NumberedLine(long line, String text) {
        this.line = line;
        this.text = text;
    }
}
