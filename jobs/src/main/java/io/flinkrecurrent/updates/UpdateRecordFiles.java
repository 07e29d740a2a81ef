package io.flinkrecurrent.updates;

import io.flinkrecurrent.flink.ModelUpdate;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.connector.file.src.enumerate.NonSplittingRecursiveEnumerator;
import org.apache.flink.connector.file.src.reader.BulkFormat;
import org.apache.flink.connector.file.src.util.SingletonResultIterator;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.Path;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

/**
 * Model updates as {@code .json} files in a watched folder, each file one record read by
 * {@link ModelUpdateJson}: what a model file dropped into the folder cannot say (a shadow, a promotion,
 * a policy of its own, a model kept elsewhere). Names that start with {@code .} or {@code _} are
 * ignored: write a record under such a name and rename it. A file that is not a record becomes an
 * {@link UnusableUpdate} naming the file, which every subtask refuses. The files seen are in the
 * source's checkpoint: after a restore, only new files are updates.
 */
public final class UpdateRecordFiles {
    private UpdateRecordFiles() {}

    /** New record files in {@code directory} (any Flink file system), checked every {@code interval}. */
    public static FileSource<ModelUpdate> watch(String directory, Duration interval) {
        return FileSource.forBulkFileFormat(new RecordFormat(), new Path(directory))
                .monitorContinuously(interval)
                .setFileEnumerator(() -> new NonSplittingRecursiveEnumerator(UpdateRecordFiles::isRecordFile))
                .build();
    }

    /** A record file's name: ends in .json and does not start with . or _; folders (no extension) are walked into. */
    static boolean isRecordFile(Path p) {
        String name = p.getName();
        return !name.startsWith(".") && !name.startsWith("_")
                && (!name.contains(".") || name.toLowerCase(Locale.ROOT).endsWith(".json"));
    }

    /** A whole file, one record. */
    static final class RecordFormat implements BulkFormat<ModelUpdate, FileSourceSplit> {
        private static final long serialVersionUID = 1L;

        @Override
        public Reader<ModelUpdate> createReader(Configuration config, FileSourceSplit split) {
            return new OneRecord(split.path(), false);
        }

        @Override
        public Reader<ModelUpdate> restoreReader(Configuration config, FileSourceSplit split) {
            // restored with a position: its one record was given before the checkpoint
            return new OneRecord(split.path(), split.getReaderPosition().isPresent()
                    && split.getReaderPosition().get().getRecordsAfterOffset() > 0);
        }

        @Override
        public boolean isSplittable() {
            return false;
        }

        @Override
        public TypeInformation<ModelUpdate> getProducedType() {
            return TypeInformation.of(ModelUpdate.class);
        }
    }

    /** The update a record file asks for, or an {@link UnusableUpdate} naming the file. */
    static ModelUpdate read(Path file) throws IOException {
        try (FSDataInputStream in = file.getFileSystem().open(file)) {
            return ModelUpdateJson.decodeOrUnusable(new String(in.readAllBytes(), StandardCharsets.UTF_8), "file " + file.getPath());
        }
    }

    /** A file's one record, then the end. */
    private static final class OneRecord implements BulkFormat.Reader<ModelUpdate> {
        private Path unread; // null once the record is given

        OneRecord(Path file, boolean given) {
            unread = given ? null : file;
        }

        @Override
        public BulkFormat.RecordIterator<ModelUpdate> readBatch() throws IOException {
            if (unread == null) {
                return null;
            }
            SingletonResultIterator<ModelUpdate> it = new SingletonResultIterator<>();
            it.set(read(unread), 0, 1);
            unread = null;
            return it;
        }

        @Override
        public void close() {}
    }
}
