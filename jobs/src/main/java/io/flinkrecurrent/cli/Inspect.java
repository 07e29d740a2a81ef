package io.flinkrecurrent.cli;

import io.flinkrecurrent.cell.RecurrentNetwork;
import io.flinkrecurrent.model.LoadedModel;
import io.flinkrecurrent.model.ModelFiles;
import io.flinkrecurrent.model.ModelConfig;
import io.flinkrecurrent.model.SafeTensors;
import io.flinkrecurrent.model.Tensor;
import io.flinkrecurrent.options.ModelOptions;
import io.flinkrecurrent.options.OptionSet;

import java.io.PrintStream;
import java.util.Map;

/** {@code inspect}: what a model file holds and how it will be run. */
final class Inspect {
    static final String USAGE = """
            inspect --model FILE [model options]       (FILE: .safetensors, or .onnx)

            Prints the architecture (cell, sizes, layers, projection, bias, head), the parameter count,
            the state each key keeps, the tensors and the file's metadata.

            """ + OptionSet.of(ModelOptions.ALL).help();

    private Inspect() {}

    static int run(String[] argv, PrintStream out) {
        LoadedModel m = ModelOptions.load(OptionSet.of(ModelOptions.ALL).parse("inspect", argv, 1));
        RecurrentNetwork net = m.network();
        ModelConfig c = m.config();
        out.println("file:          " + m.file());
        out.println("architecture:  " + net.describe());
        out.println("cell:          " + c.cellType().fileName() + " (gate order " + c.cellType().gateOrder() + ")"
                + (c.cellType() == io.flinkrecurrent.cell.CellType.RNN ? ", nonlinearity " + c.nonlinearity().fileName() : ""));
        out.println("input_size:    " + c.inputSize());
        out.println("hidden_size:   " + c.hiddenSize());
        out.println("num_layers:    " + c.numLayers());
        out.println("proj_size:     " + c.projSize());
        out.println("bias:          " + c.bias());
        out.println("head:          " + (c.headSize() > 0
                ? c.headPrefix() + "weight [" + c.headSize() + ", " + c.hOut() + "], activation " + c.headActivation().fileName()
                : "none (output = top layer's h)"));
        out.println("output_size:   " + net.outputSize());
        out.println("parameters:    " + net.parameterCount());
        out.println("state per key: " + net.stateSize() + " floats (" + 4 * net.stateSize() + " bytes)");
        if (ModelFiles.isOnnx(m.file())) {
            onnx(m, out);
            return 0;
        }
        out.println("tensors:");
        SafeTensors st = SafeTensors.read(m.file());
        for (Map.Entry<String, Tensor> e : st.tensors().entrySet()) {
            Tensor t = e.getValue();
            out.println("  " + e.getKey() + "  " + t.dtype() + " " + t.shapeString()
                    + (m.ignoredTensors().contains(e.getKey()) ? "  (not part of the model, ignored)" : ""));
        }
        if (!m.metadata().isEmpty()) {
            out.println("metadata:");
            m.metadata().forEach((k, v) -> out.println("  " + k + ": " + v));
        }
        return 0;
    }

    /** An ONNX file: its producer and opset, the graph's nodes, and its initializers. */
    private static void onnx(LoadedModel m, PrintStream out) {
        io.flinkrecurrent.model.onnx.OnnxGraph g;
        try {
            g = io.flinkrecurrent.model.onnx.OnnxGraph.parse(java.nio.file.Files.readAllBytes(m.file()));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        out.println("format:        ONNX, opset " + g.opset + (g.producer.isEmpty() ? "" : ", written by " + g.producer)
                + " (gates reordered to PyTorch's on load)");
        out.println("graph:         inputs " + g.inputs + ", outputs " + g.outputs);
        out.println("nodes:         " + g.nodes.stream().map(io.flinkrecurrent.model.onnx.OnnxGraph.Node::opType)
                .filter(op -> !op.equals("Constant")).toList());
        out.println("initializers:");
        g.initializers.values().forEach(t -> out.println("  " + t.name() + "  " + java.util.Arrays.toString(t.dims())));
        if (!m.metadata().isEmpty()) {
            out.println("metadata:");
            m.metadata().forEach((k, v) -> out.println("  " + k + ": " + v));
        }
    }
}
