package io.flinkrecurrent.options;

import io.flinkrecurrent.cell.Activation;
import io.flinkrecurrent.cell.CellType;
import io.flinkrecurrent.model.LoadedModel;
import io.flinkrecurrent.model.ModelFiles;
import io.flinkrecurrent.model.ModelLoader;

import java.nio.file.Path;
import java.util.List;

/** The options every command that reads a model file shares. */
public final class ModelOptions {
    public static final Option<Path> MODEL = Option.path("model", "FILE",
            "safetensors file written from a PyTorch state_dict, or an ONNX file from torch.onnx.export (.onnx) (required)");
    public static final Option<String> PREFIX = Option.text("prefix", "NAME",
            "the recurrent module's tensor prefix (default: found in the file, e.g. rnn)", null);
    public static final Option<CellType> CELL = new Option<>("cell", "rnn|gru|lstm",
            "cell type (default: metadata, else from the gate count)", null, null, CellType::parse);
    public static final Option<Activation> NONLINEARITY = new Option<>("nonlinearity", "tanh|relu|identity",
            "RNN only (default: metadata, else tanh)", null, null, Activation::parse);
    public static final Option<Activation> HEAD_ACTIVATION = new Option<>("head-activation", "none|sigmoid|softmax|tanh",
            "the head's activation (default: metadata, else none)", null, null, Activation::parse);
    public static final Option<String> HEAD_PREFIX = Option.text("head-prefix", "NAME",
            "the output head's prefix, a torch.nn.Linear (default: head, or the one Linear found)", null);

    public static final List<Option<?>> ALL = List.of(MODEL, PREFIX, CELL, NONLINEARITY, HEAD_ACTIVATION, HEAD_PREFIX);

    private ModelOptions() {}

    public static LoadedModel load(ParsedOptions o) {
        Path file = o.require(MODEL, "");
        return ModelFiles.load(file, new ModelLoader.Options(o.get(PREFIX), o.get(CELL), o.get(NONLINEARITY),
                o.get(HEAD_ACTIVATION), o.get(HEAD_PREFIX)));
    }
}
