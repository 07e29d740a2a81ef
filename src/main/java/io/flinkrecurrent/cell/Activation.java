package io.flinkrecurrent.cell;

import java.util.Locale;

/** An elementwise (or, for softmax, vector-wise) activation, named as in PyTorch and the model files. */
@io.flinkrecurrent.annotation.PublicEvolving
public enum Activation {
    /** Identity; the model files also call it {@code none} or {@code linear}. */
    IDENTITY("identity"),
    TANH("tanh"),
    RELU("relu"),
    SIGMOID("sigmoid"),
    /** Over the whole vector: {@code exp(v - max) / sum}. */
    SOFTMAX("softmax");

    private final String fileName;

    Activation(String fileName) {
        this.fileName = fileName;
    }

    /** The name used in model files and on the command line. */
    public String fileName() {
        return fileName;
    }

    /** {@code // v[off..off+n) = act(v[off..off+n))} */
    public void applyInPlace(float[] v, int off, int n) {
        switch (this) {
            case IDENTITY -> { }
            case TANH -> Kernels.tanhInPlace(v, off, n);
            case RELU -> Kernels.reluInPlace(v, off, n);
            case SIGMOID -> Kernels.sigmoidInPlace(v, off, n);
            case SOFTMAX -> Kernels.softmaxInPlace(v, off, n);
        }
    }

    /**
     * Parses a name as written in model metadata or on the command line: {@code none}, {@code linear}
     * and {@code identity} are synonyms.
     *
     * @throws IllegalArgumentException naming the value and the accepted ones
     */
    public static Activation parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        return switch (n) {
            case "none", "linear", "identity" -> IDENTITY;
            case "tanh" -> TANH;
            case "relu" -> RELU;
            case "sigmoid" -> SIGMOID;
            case "softmax" -> SOFTMAX;
            default -> throw new IllegalArgumentException(
                    "unknown activation '" + name + "' (expected none, linear, identity, tanh, relu, sigmoid or softmax)");
        };
    }
}
