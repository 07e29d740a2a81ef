package io.flinkrecurrent.model;

import java.nio.file.Path;

/**
 * A model file that cannot be used as it is. The message names the file and, where one is at fault,
 * the tensor: {@code model.safetensors: tensor 'rnn.weight_hh_l0': shape [256, 32], expected [256, 64]}.
 */
@io.flinkrecurrent.annotation.PublicEvolving
public class ModelFileException extends RuntimeException {
    private final transient Path file;
    private final String tensor;

    public ModelFileException(Path file, String tensor, String problem) {
        this(file, tensor, problem, null);
    }

    public ModelFileException(Path file, String tensor, String problem, Throwable cause) {
        super(format(file, tensor, problem), cause);
        this.file = file;
        this.tensor = tensor;
    }

    private static String format(Path file, String tensor, String problem) {
        return (file == null ? "<model>" : file.toString()) + ": "
                + (tensor == null ? "" : "tensor '" + tensor + "': ") + problem;
    }

    /** The file at fault, or null for a model built in memory. */
    public Path file() { return file; }

    /** The tensor at fault, or null when the problem is the file as a whole. */
    public String tensor() { return tensor; }
}
