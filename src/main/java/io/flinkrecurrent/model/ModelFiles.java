package io.flinkrecurrent.model;

import java.nio.file.Path;

/**
 * A model file of either format, told apart by its name: {@code .onnx} is read by {@link OnnxLoader},
 * anything else as safetensors by {@link ModelLoader}. The options apply to safetensors files (an
 * ONNX graph says itself what it is).
 */
@io.flinkrecurrent.annotation.PublicEvolving
public final class ModelFiles {
    private ModelFiles() {}

    public static boolean isOnnx(Path file) {
        return file.getFileName() != null && file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".onnx");
    }

    public static LoadedModel load(Path file) {
        return load(file, ModelLoader.Options.defaults());
    }

    public static LoadedModel load(Path file, ModelLoader.Options options) {
        return isOnnx(file) ? OnnxLoader.load(file) : ModelLoader.load(file, options);
    }

    /** A model file held in memory; {@code name} tells its format and names it in errors. */
    public static LoadedModel load(Path name, byte[] content) {
        return isOnnx(name) ? OnnxLoader.load(name, content) : ModelLoader.load(name, content, ModelLoader.Options.defaults());
    }
}
