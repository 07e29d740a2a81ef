package io.flinkrecurrent.io;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.reader.SimpleStreamFormat;
import org.apache.flink.connector.file.src.reader.StreamFormat;
import org.apache.flink.core.fs.FSDataInputStream;

import java.io.IOException;

/**
 * UTF-8 text lines with their line numbers, for {@code FileSource.forRecordStreamFormat}. Files are
 * not split, so each file is read from its first line by one reader and the numbers are exact. Each
 * line is decoded on its own: one that is not UTF-8 has null text ({@link Utf8Lines}).
 */
public class NumberedLineFormat extends SimpleStreamFormat<NumberedLine> {
    private static final long serialVersionUID = 1L;

    @Override
    public StreamFormat.Reader<NumberedLine> createReader(Configuration config, FSDataInputStream stream) {
        Utf8Lines in = new Utf8Lines(stream);
        return new StreamFormat.Reader<>() {
            private long line;

            @Override
            public NumberedLine read() throws IOException {
                String text = in.next();
                // a line that is not UTF-8 comes with null text, for the parser to reject with its number
                return text == null ? null : new NumberedLine(++line, in.malformed() ? null : text);
            }

            @Override
            public void close() throws IOException {
                in.close();
            }
        };
    }

    @Override
    public TypeInformation<NumberedLine> getProducedType() {
        return TypeInformation.of(NumberedLine.class);
    }
}
