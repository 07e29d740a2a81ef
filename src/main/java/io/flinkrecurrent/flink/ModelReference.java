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
    /** Verified models by SHA-256, the most recently used last; at most {@link #VERIFIED_CACHED} (swaps come and go). */
    private static final java.util.LinkedHashMap<String, LoadedModel> VERIFIED = new java.util.LinkedHashMap<>(16, 0.75f, true);
    static final int VERIFIED_CACHED = 8;

    private ModelReference() {}

    /** The model at {@code reference} (a path, or a URI with a scheme), loaded once per JVM. */
    public static LoadedModel load(String reference) {
        if (reference == null || reference.isBlank()) {
            throw new IllegalArgumentException("no model: the model reference is empty");
        }
        return CACHE.computeIfAbsent(reference, ModelReference::read);
    }

    /**
     * The model at {@code reference}, whose bytes must have the SHA-256 {@code sha256} (hex): the file is
     * read, hashed and parsed once per JVM for the last {@value #VERIFIED_CACHED} hashes asked for.
     *
     * @throws ModelFileException naming the reference when it cannot be read, does not parse, or its hash differs
     */
    public static LoadedModel load(String reference, String sha256) {
        if (reference == null || reference.isBlank()) {
            throw new IllegalArgumentException("no model: the model reference is empty");
        }
        if (sha256 == null || !sha256.matches("[0-9a-fA-F]{64}")) {
            throw new IllegalArgumentException("the model " + reference + " needs its SHA-256 as 64 hex digits, got " + sha256);
        }
        String hash = sha256.toLowerCase(java.util.Locale.ROOT);
        synchronized (VERIFIED) {
            LoadedModel m = VERIFIED.get(hash);
            if (m != null) {
                return m;
            }
        }
        byte[] bytes = bytes(reference);
        String actual = sha256(bytes);
        if (!actual.equals(hash)) {
            throw new ModelFileException(name(reference), null, "has SHA-256 " + actual + ", not " + hash
                    + " as its update says (" + reference + " changed, or the update is wrong)");
        }
        LoadedModel m = ModelFiles.load(name(reference), bytes);
        synchronized (VERIFIED) {
            VERIFIED.put(hash, m);
            while (VERIFIED.size() > VERIFIED_CACHED) {
                VERIFIED.remove(VERIFIED.keySet().iterator().next());
            }
        }
        return m;
    }

    /**
     * Reads the file at {@code reference} and checks that its SHA-256 is {@code sha256}, whatever is cached:
     * a restore asks this, so that a file that went missing or changed fails in every JVM alike.
     *
     * @throws ModelFileException naming the reference when it cannot be read or its hash differs
     */
    public static void verify(String reference, String sha256) {
        String actual = sha256(bytes(reference));
        if (!actual.equalsIgnoreCase(sha256)) {
            throw new ModelFileException(name(reference), null, "has SHA-256 " + actual + ", not " + sha256
                    + " as when the checkpoint was taken (" + reference + " changed since)");
        }
    }

    /** The SHA-256 (hex) of the file at {@code reference}, as a model update carries it. */
    public static String sha256(String reference) {
        return sha256(bytes(reference));
    }

    static String sha256(byte[] bytes) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path name(String reference) {
        if (!reference.contains("://")) {
            return Path.of(reference);
        }
        try {
            String p = new URI(reference).getPath();
            return Path.of(p == null || p.isEmpty() ? "/" : p);
        } catch (URISyntaxException e) {
            return Path.of(reference.replace("://", "/"));
        }
    }

    /** The file's bytes, through Flink's file systems. */
    private static byte[] bytes(String reference) {
        Path name = name(reference);
        try {
            if (!reference.contains("://")) {
                return java.nio.file.Files.readAllBytes(name);
            }
            org.apache.flink.core.fs.Path p = new org.apache.flink.core.fs.Path(new URI(reference));
            FileSystem fs = p.getFileSystem();
            FileStatus st = fs.getFileStatus(p);
            if (st.isDir()) {
                throw new ModelFileException(name, null, "is a directory, not a model file (" + reference + ")");
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(st.getLen(), Integer.MAX_VALUE - 8));
            try (FSDataInputStream in = fs.open(p)) {
                in.transferTo(out);
            }
            return out.toByteArray();
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("the model reference " + reference + " is not a valid URI: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new ModelFileException(name, null, "cannot be read from " + reference + ": " + e, e);
        }
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
        return ModelFiles.load(name(reference), bytes(reference));
    }
}
