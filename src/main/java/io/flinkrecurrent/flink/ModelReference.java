package io.flinkrecurrent.flink;

import io.flinkrecurrent.annotation.PublicEvolving;
import io.flinkrecurrent.model.LoadedModel;
import io.flinkrecurrent.model.ModelFileException;
import io.flinkrecurrent.model.ModelFiles;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads a model (safetensors, or ONNX when its name ends in {@code .onnx}) named by a path or a URI
 * through Flink's {@link FileSystem}: a plain path or
 * {@code file://} is the local file system, and {@code s3://}, {@code hdfs://} and the like work with
 * Flink's file system plugins installed, as for checkpoints. Models are cached per JVM by their
 * reference, so every function instance of a TaskManager shares one copy of the weights.
 */
@PublicEvolving
public final class ModelReference {
    private static final ConcurrentHashMap<String, LoadedModel> CACHE = new ConcurrentHashMap<>();

    private ModelReference() {}

    /** The model at {@code reference} (a path, or a URI with a scheme), loaded once per JVM. */
    public static LoadedModel load(String reference) {
        if (reference == null || reference.isBlank()) {
            throw new IllegalArgumentException("no model: the model reference is empty");
        }
        return CACHE.computeIfAbsent(reference, ModelReference::read);
    }

    private static LoadedModel read(String reference) {
        if (!reference.contains("://")) {
            return ModelFiles.load(Path.of(reference));
        }
        URI uri;
        try {
            uri = new URI(reference);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("the model reference " + reference + " is not a valid URI: " + e.getMessage(), e);
        }
        if ("file".equals(uri.getScheme())) {
            return ModelFiles.load(Path.of(uri));
        }
        Path name = Path.of(uri.getPath() == null || uri.getPath().isEmpty() ? "/" : uri.getPath());
        try {
            org.apache.flink.core.fs.Path p = new org.apache.flink.core.fs.Path(uri);
            FileSystem fs = p.getFileSystem();
            FileStatus st = fs.getFileStatus(p);
            if (st.isDir()) {
                throw new ModelFileException(name, null, "is a directory, not a model file (" + reference + ")");
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream((int) Math.min(st.getLen(), Integer.MAX_VALUE - 8));
            try (FSDataInputStream in = fs.open(p)) {
                in.transferTo(bytes);
            }
            return ModelFiles.load(name, bytes.toByteArray());
        } catch (IOException e) {
            throw new ModelFileException(name, null, "cannot be read from " + reference + ": " + e.getMessage(), e);
        }
    }
}
