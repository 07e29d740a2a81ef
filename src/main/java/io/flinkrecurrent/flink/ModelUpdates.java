package io.flinkrecurrent.flink;

import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.annotation.PublicEvolving;
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
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;

/**
 * Ready-made sources of {@link ModelUpdate}s for {@code updates(...)}.
 *
 * <p>{@link #watchDirectory}: a folder (any Flink file system: a local or shared path, {@code s3://}...)
 * watched for new model files; each new {@code .safetensors} or {@code .onnx} file becomes a
 * {@link ModelUpdate.Kind#SWAP} to it, with the file's SHA-256 as read, its name without the extension
 * as the version, and the policy given here. Files whose names start with {@code .} or {@code _} are
 * ignored, so write a model under such a name and rename it when complete (a rename is atomic; a file
 * seen half-written would be refused by its hash when the operator reads it). The files seen are in
 * the source's checkpoint: after a restore, only new files are updates. Files found in one scan are
 * applied in no particular order: put one new model in at a time.
 *
 * <pre>{@code
 * DataStream<ModelUpdate> updates = env.fromSource(
 *         ModelUpdates.watchDirectory("s3://models/fraud", Duration.ofSeconds(10), ModelUpdate.Policy.WARM_UP, 20),
 *         WatermarkStrategy.noWatermarks(), "model-updates").uid("model-updates").setParallelism(1);
 * Recurrent.of(model).keyBy(...).updates(updates).options(o -> o.keepInputs(20))...
 * }</pre>
 */
@PublicEvolving
public final class ModelUpdates {
    private ModelUpdates() {}

    /** New model files in {@code directory}, checked every {@code interval}, as swaps with {@code policy}. */
    public static FileSource<ModelUpdate> watchDirectory(String directory, Duration interval, ModelUpdate.Policy policy,
                                                         int warmUp) {
        Objects.requireNonNull(policy, "policy");
        if (policy == ModelUpdate.Policy.WARM_UP && warmUp < 1) {
            throw new IllegalArgumentException("WARM_UP needs the number of inputs to replay, got " + warmUp);
        }
        return FileSource.forBulkFileFormat(new ModelFileFormat(policy, warmUp), new Path(directory))
                .monitorContinuously(interval)
                .setFileEnumerator(() -> new NonSplittingRecursiveEnumerator(ModelUpdates::isModelFile))
                .build();
    }

    /** A model file's name: ends in .safetensors or .onnx, and does not start with . or _ (not yet complete). */
    static boolean isModelFile(Path p) {
        String name = p.getName();
        String lower = name.toLowerCase(Locale.ROOT);
        if (name.startsWith(".") || name.startsWith("_")) {
            return false;
        }
        // folders are walked into: the enumerator asks for them too
        return !lower.contains(".") || lower.endsWith(".safetensors") || lower.endsWith(".onnx");
    }

    /** Reads a whole model file into its update: the reference, the SHA-256 of its bytes, the version. */
    @Internal
    static final class ModelFileFormat implements BulkFormat<ModelUpdate, FileSourceSplit> {
        private static final long serialVersionUID = 1L;
        private final ModelUpdate.Policy policy;
        private final int warmUp;

        ModelFileFormat(ModelUpdate.Policy policy, int warmUp) {
            this.policy = policy;
            this.warmUp = warmUp;
        }

        @Override
        public Reader<ModelUpdate> createReader(Configuration config, FileSourceSplit split) {
            return new OneRecord(split, false);
        }

        @Override
        public Reader<ModelUpdate> restoreReader(Configuration config, FileSourceSplit split) {
            // a split restored with a position has given its one record already
            return new OneRecord(split, split.getReaderPosition().map(p -> p.getRecordsAfterOffset() > 0).orElse(false));
        }

        @Override
        public boolean isSplittable() {
            return false;
        }

        @Override
        public TypeInformation<ModelUpdate> getProducedType() {
            return TypeInformation.of(ModelUpdate.class);
        }

        private final class OneRecord implements Reader<ModelUpdate> {
            private final FileSourceSplit split;
            private boolean done;

            OneRecord(FileSourceSplit split, boolean done) {
                this.split = split;
                this.done = done;
            }

            @Override
            public RecordIterator<ModelUpdate> readBatch() throws IOException {
                if (done) {
                    return null;
                }
                done = true;
                Path p = split.path();
                MessageDigest sha;
                try {
                    sha = MessageDigest.getInstance("SHA-256");
                } catch (NoSuchAlgorithmException e) {
                    throw new IllegalStateException(e);
                }
                byte[] buf = new byte[1 << 16];
                try (FSDataInputStream in = p.getFileSystem().open(p)) {
                    for (int n; (n = in.read(buf)) > 0; ) {
                        sha.update(buf, 0, n);
                    }
                }
                java.net.URI uri = p.toUri();
                String reference = uri.getScheme() == null || "file".equals(uri.getScheme()) ? uri.getPath() : uri.toString();
                ModelUpdate u = ModelUpdate.swap(reference, HexFormat.of().formatHex(sha.digest()), ModelUpdate.versionOf(reference), policy);
                u.warmUp = warmUp;
                SingletonResultIterator<ModelUpdate> it = new SingletonResultIterator<>();
                it.set(u, 0, 1);
                return it;
            }

            @Override
            public void close() {}
        }
    }
}
