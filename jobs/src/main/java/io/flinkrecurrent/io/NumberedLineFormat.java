package io.flinkrecurrent.io;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.reader.SimpleStreamFormat;
import org.apache.flink.connector.file.src.reader.StreamFormat;
import org.apache.flink.core.fs.FSDataInputStream;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * UTF-8 text lines with their line numbers, for {@code FileSource.forRecordStreamFormat}. Files are
 * not split, so each file is read from its first line by one reader and the numbers are exact.
 */
public class NumberedLineFormat extends SimpleStreamFormat<NumberedLine> {
    private static final long serialVersionUID = 1L;

    @Override
    public StreamFormat.Reader<NumberedLine> createReader(Configuration config, FSDataInputStream stream) {
        BufferedReader in = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8));
        return new StreamFormat.Reader<>() {
            private long line;

            @Override
            public NumberedLine read() throws IOException {
                String text = in.readLine();
                return text == null ? null : new NumberedLine(++line, text);
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
