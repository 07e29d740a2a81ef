package io.flinkrecurrent.model;

import io.flinkrecurrent.cell.Activation;
import io.flinkrecurrent.cell.CellType;

/**
 * The architecture of a loaded model, as PyTorch's constructor arguments name it.
 *
 * @param prefix     the recurrent module's tensor prefix, with its dot ({@code "rnn."}; empty for a bare module)
 * @param projSize   0 for none (LSTM only)
 * @param headSize   0 for no head
 * @param headPrefix the head's tensor prefix with its dot ({@code "head."}), or null without head
 */
@io.flinkrecurrent.annotation.PublicEvolving
public record ModelConfig(CellType cellType, Activation nonlinearity, int inputSize, int hiddenSize, int numLayers,
                          int projSize, boolean bias, int headSize, Activation headActivation,
                          String prefix, String headPrefix) {

    /** Size of each layer's h: proj_size if set, else hidden_size. */
    public int hOut() {
        return projSize > 0 ? projSize : hiddenSize;
    }

    /** Width of the model's output: the head's size, or h's without a head. */
    public int outputSize() {
        return headSize > 0 ? headSize : hOut();
    }
}
