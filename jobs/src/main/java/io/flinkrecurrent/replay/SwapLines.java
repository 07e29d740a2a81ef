package io.flinkrecurrent.replay;

import io.flinkrecurrent.flink.ModelUpdate;
import io.flinkrecurrent.io.JsonEvents;
import io.flinkrecurrent.io.NumberedLine;
import io.flinkrecurrent.io.Utf8Lines;
import io.flinkrecurrent.updates.ModelUpdateJson;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiter;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.GeneratorFunction;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An events file with control lines, for the Flink engine: the updates its control lines make (each
 * with its line), the file's lines as a source that holds at each control line until every subtask
 * has received its update, and the updates as a source that sends each when the lines reach it.
 */
public final class SwapLines {
    /** A control line's update and where it is; {@code update} is null for a line that does not parse. */
    public record Control(long line, ModelUpdate update, String error, long eventsBefore) implements java.io.Serializable {}

    /** The gates between the two sources (the embedded cluster runs in this JVM). */
    private static final Map<Integer, CompletableFuture<Void>> REACHED = new ConcurrentHashMap<>();

    private SwapLines() {}

    static CompletableFuture<Void> reached(int k) {
        return REACHED.computeIfAbsent(k, i -> new CompletableFuture<>());
    }

    static void reset() {
        REACHED.clear();
        UpdateWatch.reset();
    }

    /**
     * The file's control lines, parsed, each with the number of events before it that reach the
     * operator (lines that parse as events of {@code inputSize} inputs). A file that cannot be read throws.
     */
    public static List<Control> controls(Path events, int inputSize) throws IOException {
        List<Control> out = new ArrayList<>();
        try (Utf8Lines in = new Utf8Lines(Files.newInputStream(events))) {
            long n = 0;
            long taken = 0;
            String line;
            while ((line = in.next()) != null) {
                n++;
                if (in.malformed() || line.isBlank()) {
                    continue;
                }
                if (ModelUpdateJson.isRecord(line)) {
                    try {
                        out.add(new Control(n, ModelUpdateJson.decode(line), null, taken));
                    } catch (ModelUpdateJson.BadRecordException e) {
                        out.add(new Control(n, null, e.getMessage(), taken));
                    }
                    continue;
                }
                try {
                    JsonEvents.parse(line, inputSize);
                    taken++;
                } catch (JsonEvents.MalformedEventException e) {
                    // rejected by the parser: it never reaches the operator
                }
            }
        }
        return out;
    }

    /** The file's lines in order, numbered from 1; read on, or skipped to a restored position. */
    static final class FileLines implements GeneratorFunction<Long, NumberedLine> {
        private final String file;
        private transient Utf8Lines in;
        private transient long next;

        FileLines(Path file) {
            this.file = file.toAbsolutePath().toString();
        }

        @Override
        public void open(SourceReaderContext context) throws IOException {
            in = new Utf8Lines(Files.newInputStream(Path.of(file)));
            next = 0;
        }

        @Override
        public NumberedLine map(Long index) throws IOException {
            String line = null;
            while (next <= index) {
                line = in.next();
                next++;
            }
            return new NumberedLine(index + 1, in.malformed() ? null : line);
        }

        @Override
        public void close() throws IOException {
            if (in != null) {
                in.close();
            }
        }
    }

    /**
     * The lines' pace: before the line after the k-th usable control line (one with a line after it), the
     * lines wait until the operator has taken in the events before it, then let its update go and wait
     * until {@code subtasks} subtasks have received k + 1 updates.
     */
    static <S extends SourceSplit> RateLimiterStrategy<S> holdAtControls(long[] controlLines, long[] eventsBefore, int subtasks) {
        return parallelism -> new RateLimiter<S>() {
            private long n;

            @Override
            public CompletionStage<Void> acquire(int permits) {
                long index = n; // the record about to be emitted: line index + 1
                n += permits;
                for (int k = 0; k < controlLines.length; k++) {
                    if (controlLines[k] == index) {
                        int update = k;
                        // the events before the line first (an update could overtake them on its own channel)
                        return UpdateWatch.eventsTaken(eventsBefore[k]).thenCompose(v -> {
                            reached(update).complete(null);
                            return UpdateWatch.received(subtasks, update + 1);
                        });
                    }
                }
                return CompletableFuture.completedFuture(null);
            }
        };
    }

    /** The number of lines in the file. */
    static long lines(Path events) throws IOException {
        long n = 0;
        try (Utf8Lines in = new Utf8Lines(Files.newInputStream(events))) {
            while (in.next() != null) {
                n++;
            }
        }
        return n;
    }

    /** The updates' pace: the k-th waits until the lines have reached its control line. */
    static <S extends SourceSplit> RateLimiterStrategy<S> updatesWhenReached(int updates) {
        return parallelism -> new RateLimiter<S>() {
            private int k;

            @Override
            public CompletionStage<Void> acquire(int permits) {
                int i = k;
                k += permits;
                // the reader asks once more after its last record, before it finds it has no more
                return i < updates ? reached(i) : CompletableFuture.completedFuture(null);
            }
        };
    }

    static void reportUnparsed(List<Control> controls, PrintStream stderr) {
        for (Control c : controls) {
            if (c.update() == null) {
                stderr.println("line " + c.line() + ": model update refused: " + c.error() + " (skipped)");
            }
        }
    }
}
