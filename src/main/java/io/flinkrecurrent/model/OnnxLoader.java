package io.flinkrecurrent.model;

import io.flinkrecurrent.cell.Activation;
import io.flinkrecurrent.cell.CellType;
import io.flinkrecurrent.model.onnx.OnnxGraph;
import io.flinkrecurrent.model.onnx.OnnxGraph.Node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads an ONNX model that {@code torch.onnx.export} writes for a module with {@code nn.RNN},
 * {@code nn.GRU} or {@code nn.LSTM} (stacked layers as successive nodes) and an optional
 * {@code nn.Linear} head ({@code Gemm}, or {@code MatMul} then {@code Add}) with {@code Sigmoid},
 * {@code Softmax} or {@code Tanh}, in pure Java (its own reader of the protocol buffer format; no
 * native runtime). The weights are put back in PyTorch's names and gate orders (ONNX orders an LSTM's
 * gates i,o,f,c and PyTorch i,f,g,o; a GRU's z,r,h and PyTorch r,z,n) and handed to
 * {@link ModelLoader}, so an ONNX model and its safetensors twin run on the same cells and give the
 * same outputs to the bit.
 *
 * <p>Refused, with the file and the node named: what the cells cannot run, a bidirectional or reverse
 * layer, peepholes, {@code clip}, {@code input_forget}, a GRU with {@code linear_before_reset=0},
 * other activations, {@code sequence_lens}; and any other operator in the recurrent path or the head.
 */
@io.flinkrecurrent.annotation.PublicEvolving
public final class OnnxLoader {
    /** Operators that only move or reshape the tensors between the layers and the head. */
    private static final Set<String> SHAPE_OPS = Set.of("Transpose", "Squeeze", "Unsqueeze", "Reshape", "Identity",
            "Gather", "Flatten", "Slice");
    /** The recurrent module's and the head's names in the tensors handed to {@link ModelLoader}. */
    private static final String RNN = "rnn.";
    private static final String HEAD = "head.";

    private final Path file;
    private final OnnxGraph g;
    private final Map<String, Node> producer = new HashMap<>();
    private final Map<String, List<Node>> consumers = new HashMap<>();
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();

    private OnnxLoader(Path file, OnnxGraph g) {
        this.file = file;
        this.g = g;
        for (Node n : g.nodes) {
            for (String o : n.outputs()) {
                producer.put(o, n);
            }
            for (String i : n.inputs()) {
                if (!i.isEmpty()) {
                    consumers.computeIfAbsent(i, k -> new ArrayList<>()).add(n);
                }
            }
        }
    }

    public static LoadedModel load(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ModelFileException(file, null, "cannot read: " + e, e);
        }
        return load(file, bytes);
    }

    /** Reads an ONNX model held in memory; {@code name} names it in errors. */
    public static LoadedModel load(Path name, byte[] bytes) {
        OnnxGraph g;
        try {
            g = OnnxGraph.parse(bytes);
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(name, null, e.getMessage(), e);
        }
        return new OnnxLoader(name, g).read();
    }

    private ModelFileException fail(Node n, String problem) {
        return new ModelFileException(file, null, (n == null ? "" : "node " + describe(n) + ": ") + problem);
    }

    private static String describe(Node n) {
        return n.opType() + (n.name().isEmpty() ? "" : " '" + n.name() + "'");
    }

    private LoadedModel read() {
        List<Node> layers = new ArrayList<>();
        for (Node n : g.nodes) {
            if (n.opType().equals("RNN") || n.opType().equals("GRU") || n.opType().equals("LSTM")) {
                layers.add(n);
            }
        }
        if (layers.isEmpty()) {
            throw fail(null, "no RNN, GRU or LSTM node in the graph (its operators: "
                    + g.nodes.stream().map(Node::opType).distinct().toList() + ")");
        }
        String op = layers.get(0).opType();
        CellType type = switch (op) {
            case "RNN" -> CellType.RNN;
            case "GRU" -> CellType.GRU;
            default -> CellType.LSTM;
        };
        Activation nonlinearity = null;
        for (int l = 0; l < layers.size(); l++) {
            Node n = layers.get(l);
            if (!n.opType().equals(op)) {
                throw fail(n, "layer " + l + " is a " + n.opType() + " but layer 0 a " + op + ": one module's layers are one cell type");
            }
            // layer 0 reads a graph input, layer l the output of layer l-1; only reshapes in between
            String source = traceBack(n.input(0), l == 0 ? null : layers.get(l - 1), l);
            if (l == 0 && !g.inputs.contains(source)) {
                throw fail(n, "its input does not come from a graph input");
            }
            Activation a = checkAttributes(n, type);
            nonlinearity = nonlinearity == null ? a : nonlinearity;
            if (a != nonlinearity) {
                throw fail(n, "layers with different activations");
            }
            weights(n, l, type);
        }
        Head head = head(layers.get(layers.size() - 1));
        return ModelLoader.build(file, g.metadata, tensors,
                new ModelLoader.Options(RNN, type, type == CellType.RNN ? nonlinearity : null,
                        head == null ? null : head.activation, head == null ? null : HEAD));
    }

    /** Follows {@code value} back through reshapes to a graph input or {@code previous}'s output Y. */
    private String traceBack(String value, Node previous, int layer) {
        String v = value;
        while (true) {
            Node p = producer.get(v);
            if (p == null) {
                return v; // a graph input
            }
            if (p == previous) {
                if (!v.equals(p.outputs().get(0))) {
                    throw fail(p, "layer " + layer + " reads its state output, not its sequence output Y");
                }
                return v;
            }
            if (!SHAPE_OPS.contains(p.opType())) {
                throw fail(p, "operator " + p.opType() + " in the recurrent path (before layer " + layer
                        + "): only the layers and reshapes can be run");
            }
            v = p.input(0);
        }
    }

    private Activation checkAttributes(Node n, CellType type) {
        var a = n.attributes();
        if (a.containsKey("direction") && !"forward".equals(a.get("direction").s())) {
            throw fail(n, "direction " + a.get("direction").s() + ": only forward layers can be run on a stream (no look-ahead)");
        }
        if (a.containsKey("clip")) {
            throw fail(n, "clip is set (" + a.get("clip").f() + "): PyTorch's cells do not clip");
        }
        if (a.containsKey("input_forget") && a.get("input_forget").i() != 0) {
            throw fail(n, "input_forget=1 (coupled input and forget gates) is not a PyTorch LSTM");
        }
        if (a.containsKey("activation_alpha") || a.containsKey("activation_beta")) {
            throw fail(n, "activation_alpha/activation_beta are not supported");
        }
        if (a.containsKey("layout") && a.get("layout").i() != 0) {
            throw fail(n, "layout=" + a.get("layout").i() + " is not supported");
        }
        if (!n.input(4).isEmpty()) {
            throw fail(n, "sequence_lens is given: a stream steps one event at a time");
        }
        if (type == CellType.LSTM && !n.input(7).isEmpty()) {
            throw fail(n, "peepholes (input P) are not a PyTorch LSTM");
        }
        if (type == CellType.GRU && (!a.containsKey("linear_before_reset") || a.get("linear_before_reset").i() != 1)) {
            throw fail(n, "linear_before_reset=0: PyTorch's GRU (and the cells here) apply the reset gate after the linear map "
                    + "(linear_before_reset=1)");
        }
        List<String> acts = a.containsKey("activations") ? a.get("activations").strings() : List.of();
        switch (type) {
            case RNN -> {
                String act = acts.isEmpty() ? "Tanh" : acts.get(0);
                if (acts.size() > 1) {
                    throw fail(n, "activations " + acts + ": a forward RNN has one");
                }
                return switch (act) {
                    case "Tanh" -> Activation.TANH;
                    case "Relu" -> Activation.RELU;
                    default -> throw fail(n, "activation " + act + ": an RNN runs Tanh or Relu");
                };
            }
            case GRU -> {
                if (!acts.isEmpty() && !acts.equals(List.of("Sigmoid", "Tanh"))) {
                    throw fail(n, "activations " + acts + ": a GRU runs [Sigmoid, Tanh]");
                }
            }
            case LSTM -> {
                if (!acts.isEmpty() && !acts.equals(List.of("Sigmoid", "Tanh", "Tanh"))) {
                    throw fail(n, "activations " + acts + ": an LSTM runs [Sigmoid, Tanh, Tanh]");
                }
            }
        }
        return Activation.TANH;
    }

    /** ONNX's gate blocks in PyTorch's order: LSTM i,o,f,c to i,f,g,o; GRU z,r,h to r,z,n. */
    private static int[] torchOrder(CellType type) {
        return switch (type) {
            case RNN -> new int[] {0};
            case GRU -> new int[] {1, 0, 2};
            case LSTM -> new int[] {0, 2, 3, 1};
        };
    }

    private void weights(Node n, int layer, CellType type) {
        long hidden = n.attributes().containsKey("hidden_size") ? n.attributes().get("hidden_size").i() : -1;
        OnnxGraph.Tensor w = constant(n, 1, "W");
        OnnxGraph.Tensor r = constant(n, 2, "R");
        int gates = type.gates();
        if (w.dims().length != 3 || w.dims()[0] != 1 || r.dims().length != 3 || r.dims()[0] != 1) {
            throw fail(n, "W " + java.util.Arrays.toString(w.dims()) + " and R " + java.util.Arrays.toString(r.dims())
                    + " are not [1, gates * hidden, size] (one direction)");
        }
        int h = (int) r.dims()[2];
        if (hidden >= 0 && hidden != h || r.dims()[1] != (long) gates * h || w.dims()[1] != (long) gates * h) {
            throw fail(n, "W " + java.util.Arrays.toString(w.dims()) + ", R " + java.util.Arrays.toString(r.dims())
                    + " do not fit hidden_size " + hidden + " with " + gates + " gates");
        }
        int in = (int) w.dims()[2];
        int[] order = torchOrder(type);
        tensors.put(RNN + "weight_ih_l" + layer, Tensor.f32(RNN + "weight_ih_l" + layer, reorder(w.floats(), order, h, in, 0), gates * h, in));
        tensors.put(RNN + "weight_hh_l" + layer, Tensor.f32(RNN + "weight_hh_l" + layer, reorder(r.floats(), order, h, h, 0), gates * h, h));
        if (!n.input(3).isEmpty()) {
            OnnxGraph.Tensor b = constant(n, 3, "B");
            if (b.size() != 2L * gates * h) {
                throw fail(n, "B " + java.util.Arrays.toString(b.dims()) + " is not [1, 2 * " + gates + " * hidden]");
            }
            tensors.put(RNN + "bias_ih_l" + layer, Tensor.f32(RNN + "bias_ih_l" + layer, reorder(b.floats(), order, h, 1, 0), gates * h));
            tensors.put(RNN + "bias_hh_l" + layer, Tensor.f32(RNN + "bias_hh_l" + layer,
                    reorder(b.floats(), order, h, 1, gates * h), gates * h));
        }
    }

    /** Blocks of {@code h} rows of {@code cols} from {@code offset}, put in the order {@code order}. */
    private static float[] reorder(float[] src, int[] order, int h, int cols, int offset) {
        float[] out = new float[order.length * h * cols];
        for (int k = 0; k < order.length; k++) {
            System.arraycopy(src, offset + order[k] * h * cols, out, k * h * cols, h * cols);
        }
        return out;
    }

    /** A node's input that must be a constant float tensor (an initializer or a Constant node). */
    private OnnxGraph.Tensor constant(Node n, int input, String what) {
        String name = n.input(input);
        OnnxGraph.Tensor t = g.initializers.get(name);
        if (t == null && producer.containsKey(name) && producer.get(name).opType().equals("Constant")) {
            t = producer.get(name).attributes().get("value") == null ? null : producer.get(name).attributes().get("value").t();
        }
        if (t == null || t.floats() == null) {
            throw fail(n, what + " ('" + name + "') is not a constant float tensor");
        }
        return t;
    }

    private record Head(Activation activation) {}

    /**
     * The head after the last layer's output: through reshapes (the last step taken with Gather) to a
     * {@code Gemm}, or a {@code MatMul} and an {@code Add}, then an optional activation, then a graph
     * output; or straight to a graph output (no head).
     */
    private Head head(Node last) {
        String v = last.outputs().get(0);
        Node next = follow(v);
        while (next != null && SHAPE_OPS.contains(next.opType())) {
            v = next.outputs().get(0);
            next = follow(v);
        }
        if (next == null) {
            requireOutput(v, last);
            return null;
        }
        float[] weight;
        float[] bias = null;
        int rows;
        int cols;
        Node linear = next;
        if (next.opType().equals("Gemm")) {
            var a = next.attributes();
            if (a.containsKey("transA") && a.get("transA").i() != 0
                    || a.containsKey("alpha") && a.get("alpha").f() != 1f || a.containsKey("beta") && a.get("beta").f() != 1f) {
                throw fail(next, "a head Gemm must be y = x W^T + b (transA=0, alpha=beta=1)");
            }
            OnnxGraph.Tensor w = constant(next, 1, "the head's weight");
            boolean transB = a.containsKey("transB") && a.get("transB").i() == 1;
            rows = (int) (transB ? w.dims()[0] : w.dims()[1]);
            cols = (int) (transB ? w.dims()[1] : w.dims()[0]);
            weight = transB ? w.floats() : transpose(w.floats(), cols, rows);
            if (!next.input(2).isEmpty()) {
                bias = constant(next, 2, "the head's bias").floats();
            }
            v = next.outputs().get(0);
        } else if (next.opType().equals("MatMul")) {
            OnnxGraph.Tensor w = constant(next, 1, "the head's weight");
            if (w.dims().length != 2) {
                throw fail(next, "the head's weight is not a matrix");
            }
            cols = (int) w.dims()[0];
            rows = (int) w.dims()[1];
            weight = transpose(w.floats(), cols, rows);
            v = next.outputs().get(0);
            Node add = follow(v);
            if (add != null && add.opType().equals("Add")) {
                String other = add.input(0).equals(v) ? add.input(1) : add.input(0);
                bias = constant(add, add.input(0).equals(v) ? 1 : 0, "the head's bias '" + other + "'").floats();
                v = add.outputs().get(0);
            }
        } else {
            throw fail(next, "operator " + next.opType() + " after the last layer: the head is a Gemm or a MatMul (and Add), "
                    + "then Sigmoid, Softmax or Tanh");
        }
        tensors.put(HEAD + "weight", Tensor.f32(HEAD + "weight", weight, rows, cols));
        if (bias != null) {
            if (bias.length != rows) {
                throw fail(linear, "the head's bias has " + bias.length + " values for " + rows + " outputs");
            }
            tensors.put(HEAD + "bias", Tensor.f32(HEAD + "bias", bias, rows));
        }
        Activation act = Activation.IDENTITY;
        Node after = follow(v);
        if (after != null) {
            act = switch (after.opType()) {
                case "Sigmoid" -> Activation.SIGMOID;
                case "Tanh" -> Activation.TANH;
                case "Softmax" -> {
                    var ax = after.attributes().get("axis");
                    if (ax != null && ax.i() != -1 && ax.i() != 1) {
                        throw fail(after, "softmax over axis " + ax.i() + ", not the outputs");
                    }
                    yield Activation.SOFTMAX;
                }
                default -> throw fail(after, "operator " + after.opType() + " after the head: Sigmoid, Softmax or Tanh can be run");
            };
            v = after.outputs().get(0);
            Node more = follow(v);
            if (more != null && !more.opType().equals("Identity")) {
                throw fail(more, "operator " + more.opType() + " after the head's activation");
            }
        }
        requireOutput(v, linear);
        return new Head(act);
    }

    /** The one node that reads {@code value}, or null when none does; several: refused. */
    private Node follow(String value) {
        List<Node> c = consumers.getOrDefault(value, List.of());
        if (c.size() > 1) {
            throw fail(c.get(0), "'" + value + "' is read by " + c.size() + " nodes: the graph branches after the layers");
        }
        return c.isEmpty() ? null : c.get(0);
    }

    private void requireOutput(String v, Node n) {
        if (!g.outputs.contains(v)) {
            throw fail(n, "its result '" + v + "' is not a graph output");
        }
    }

    private static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[a.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = a[r * cols + c];
            }
        }
        return t;
    }
}
