package io.flinkrecurrent.cli;

import io.flinkrecurrent.cell.Activation;
import io.flinkrecurrent.cell.CellType;
import io.flinkrecurrent.model.LoadedModel;
import io.flinkrecurrent.model.ModelLoader;

import java.nio.file.Path;
import java.util.Set;

/** The options every command that reads a model file shares. */
final class ModelOptions {
    static final Set<String> NAMES = Set.of("model", "prefix", "cell", "nonlinearity", "head-activation", "head-prefix");

    static final String USAGE = """
              --model FILE              safetensors file written from a PyTorch state_dict (required)
              --prefix NAME             the recurrent module's tensor prefix (default: found in the file, e.g. rnn)
              --cell rnn|gru|lstm       cell type (default: metadata, else from the gate count)
              --nonlinearity tanh|relu|identity   RNN only (default: metadata, else tanh)
              --head-activation none|sigmoid|softmax|tanh   (default: metadata, else none)
              --head-prefix NAME        the output head's prefix, a torch.nn.Linear (default: head, or the one Linear found)
            """;

    private ModelOptions() {}

    static LoadedModel load(String command, Args a) {
        String file = a.require("model");
        ModelLoader.Options o;
        try {
            o = new ModelLoader.Options(
                    a.get("prefix"),
                    a.has("cell") ? CellType.parse(a.get("cell")) : null,
                    a.has("nonlinearity") ? Activation.parse(a.get("nonlinearity")) : null,
                    a.has("head-activation") ? Activation.parse(a.get("head-activation")) : null,
                    a.get("head-prefix"));
        } catch (IllegalArgumentException e) {
            throw new UsageException(command, e.getMessage());
        }
        return ModelLoader.load(Path.of(file), o);
    }
}
