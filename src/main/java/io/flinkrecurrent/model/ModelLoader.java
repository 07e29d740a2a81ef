package io.flinkrecurrent.model;

import io.flinkrecurrent.cell.Activation;
import io.flinkrecurrent.cell.CellType;
import io.flinkrecurrent.cell.RecurrentNetwork;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a safetensors file written from a PyTorch {@code state_dict} into a {@link RecurrentNetwork}.
 *
 * <p>Tensor names are PyTorch's: {@code <prefix>weight_ih_l{k}}, {@code weight_hh_l{k}},
 * {@code bias_ih_l{k}}, {@code bias_hh_l{k}}, {@code weight_hr_l{k}} (LSTM with proj_size), and a head
 * {@code head.weight}, {@code head.bias} (torch.nn.Linear). The configuration comes from the file's
 * {@code __metadata__} where present; what is missing is inferred from the tensor names and shapes
 * (layers, sizes, gate count hence cell type, projection, bias) or taken from {@link Options}
 * (RNN nonlinearity, head activation, prefixes), whose explicit values override the metadata.
 *
 * <p>Refused, with the file and the tensor named: a missing tensor, a wrong shape, metadata that
 * contradicts the tensors, a bidirectional model (a stream cannot look ahead), non-finite weights,
 * unsupported dtypes (see {@link SafeTensors}).
 */
@io.flinkrecurrent.annotation.PublicEvolving
public final class ModelLoader {
    private static final Pattern IH_L0 = Pattern.compile("^(.*)weight_ih_l0$");
    private static final Pattern LAYER_TENSOR = Pattern.compile("^(.*)(weight|bias)_(ih|hh|hr)_l(\\d+)(_reverse)?$");

    /**
     * What the file cannot say, or what overrides it. Every field may be null (= from metadata, else
     * inferred, else PyTorch's default: tanh, no head activation).
     *
     * @param prefix         the recurrent module's prefix, e.g. {@code rnn} or {@code encoder.lstm}
     * @param cellType       rnn, gru or lstm (otherwise from metadata or the gate count)
     * @param nonlinearity   RNN only: tanh, relu or identity
     * @param headActivation none, sigmoid, softmax or tanh
     * @param headPrefix     the head's prefix (a torch.nn.Linear), e.g. {@code head} or {@code fc}
     */
    public record Options(String prefix, CellType cellType, Activation nonlinearity, Activation headActivation,
                          String headPrefix) {
        public static Options defaults() {
            return new Options(null, null, null, null, null);
        }
    }

    private ModelLoader() {}

    /** Loads with the file's metadata and inference only. */
    public static LoadedModel load(Path file) {
        return load(file, Options.defaults());
    }

    public static LoadedModel load(Path file, Options options) {
        SafeTensors st = SafeTensors.read(file);
        return build(file, st.metadata(), st.tensors(), options);
    }

    /** Loads a safetensors file held in memory (a class-path resource); {@code name} names it in errors. */
    public static LoadedModel load(Path name, byte[] content, Options options) {
        SafeTensors st = SafeTensors.read(name, content);
        return build(name, st.metadata(), st.tensors(), options);
    }

    /** Builds from tensors already in memory; {@code file} only names the source in error messages. */
    public static LoadedModel build(Path file, Map<String, String> meta, Map<String, Tensor> tensors, Options options) {
        return new Reader(file, meta, tensors, options == null ? Options.defaults() : options).read();
    }

    private static final class Reader {
        private final Path file;
        private final Map<String, String> meta;
        private final Map<String, Tensor> tensors;
        private final Options opt;
        private final Set<String> used = new HashSet<>();

        Reader(Path file, Map<String, String> meta, Map<String, Tensor> tensors, Options opt) {
            this.file = file;
            this.meta = meta;
            this.tensors = tensors;
            this.opt = opt;
        }

        private ModelFileException fail(String tensor, String problem) {
            return new ModelFileException(file, tensor, problem);
        }

        LoadedModel read() {
            refuseBidirectional();
            String p = findPrefix();
            int layers = countLayers(p);
            Tensor whh0 = require(p + "weight_hh_l0");
            Tensor wih0 = require(p + "weight_ih_l0");
            checkRank(wih0, 2);
            checkRank(whh0, 2);
            Tensor hr0 = tensors.get(p + "weight_hr_l0");

            // hidden_size and proj_size: weight_hr is [P, H]; without it weight_hh is [G*H, H]
            int hidden;
            int proj;
            if (hr0 != null) {
                checkRank(hr0, 2);
                proj = hr0.dim(0);
                hidden = hr0.dim(1);
            } else {
                proj = 0;
                hidden = whh0.dim(1);
            }
            metaInt("hidden_size", hidden, p + (hr0 != null ? "weight_hr_l0" : "weight_hh_l0"));
            metaInt("proj_size", proj, p + "weight_hr_l0");
            if (hidden < 1 || whh0.dim(0) % hidden != 0) {
                throw fail(whh0.name(), "shape " + whh0.shapeString() + " is not [G * hidden_size, "
                        + (proj > 0 ? proj : "hidden_size") + "] for any gate count G");
            }
            int gates = whh0.dim(0) / hidden;
            CellType type = cellType(gates, whh0, hidden, proj);
            if (proj > 0 && type != CellType.LSTM) {
                throw fail(hr0.name(), "only an LSTM has a projection (weight_hr), but this is a " + type.fileName());
            }
            Activation nl = nonlinearity(type);
            int input = wih0.dim(1);
            metaInt("input_size", input, wih0.name());
            boolean bias = tensors.containsKey(p + "bias_ih_l0") || tensors.containsKey(p + "bias_hh_l0");
            String metaBias = meta.get("bias");
            if (metaBias != null && Boolean.parseBoolean(metaBias.trim()) != bias) {
                throw fail(p + "bias_ih_l0", "metadata says bias=" + metaBias + " but the tensor is "
                        + (bias ? "present" : "absent"));
            }

            int hOut = proj > 0 ? proj : hidden;
            int rows = type.gates() * hidden;
            RecurrentNetwork.Builder b = RecurrentNetwork.builder(type, input, hidden).nonlinearity(nl).projSize(proj);
            for (int l = 0; l < layers; l++) {
                int in = l == 0 ? input : hOut;
                float[] wih = expect(p + "weight_ih_l" + l, rows, in);
                float[] whh = expect(p + "weight_hh_l" + l, rows, hOut);
                float[] bih = bias ? expect(p + "bias_ih_l" + l, rows) : absent(p + "bias_ih_l" + l);
                float[] bhh = bias ? expect(p + "bias_hh_l" + l, rows) : absent(p + "bias_hh_l" + l);
                float[] whr = proj > 0 ? expect(p + "weight_hr_l" + l, proj, hidden) : absent(p + "weight_hr_l" + l);
                b.layer(wih, whh, bih, bhh, whr);
            }

            String hp = headPrefix(p, hOut);
            int headSize = 0;
            Activation headAct = null;
            if (hp != null) {
                Tensor hw = require(hp + "weight");
                checkRank(hw, 2);
                headSize = hw.dim(0);
                float[] w = expect(hp + "weight", headSize, hOut);
                float[] hb = tensors.containsKey(hp + "bias") ? expect(hp + "bias", headSize) : null;
                headAct = headActivation();
                b.head(w, hb, headAct);
            } else if (opt.headActivation() != null && opt.headActivation() != Activation.IDENTITY) {
                throw fail(null, "a head activation (" + opt.headActivation().fileName()
                        + ") was given but the file has no head (no 'head.weight'; name it with the head prefix option)");
            }
            metaInt("head_size", headSize, hp == null ? "head.weight" : hp + "weight");
            int outputSize = headSize > 0 ? headSize : hOut;
            metaInt("output_size", outputSize, hp == null ? null : hp + "weight");

            List<String> ignored = new ArrayList<>();
            for (String name : tensors.keySet()) {
                if (used.contains(name)) {
                    continue;
                }
                if (belongsToRnn(name, p)) {
                    throw fail(name, "unexpected tensor for a " + layers + "-layer " + type.fileName()
                            + (bias ? "" : " without bias") + (proj > 0 ? " with proj_size " + proj : ""));
                }
                ignored.add(name);
            }
            RecurrentNetwork net;
            try {
                net = b.build();
            } catch (IllegalArgumentException e) {
                throw fail(null, e.getMessage(), e);
            }
            ModelConfig cfg = new ModelConfig(type, nl, input, hidden, layers, proj, bias, headSize,
                    headAct == null ? Activation.IDENTITY : headAct, p, hp);
            return new LoadedModel(file, net, cfg, meta, List.copyOf(ignored));
        }

        private ModelFileException fail(String tensor, String problem, Throwable cause) {
            return new ModelFileException(file, tensor, problem, cause);
        }

        private void refuseBidirectional() {
            String bi = meta.get("bidirectional");
            for (String name : tensors.keySet()) {
                if (name.endsWith("_reverse")) {
                    throw fail(name, "bidirectional models are refused: the reverse direction reads the future, "
                            + "which a stream does not have");
                }
            }
            if (bi != null && Boolean.parseBoolean(bi.trim())) {
                throw fail(null, "metadata says bidirectional=true: refused, a stream cannot look ahead");
            }
        }

        private String findPrefix() {
            if (opt.prefix() != null) {
                String p = opt.prefix().isEmpty() || opt.prefix().endsWith(".") ? opt.prefix() : opt.prefix() + ".";
                if (!tensors.containsKey(p + "weight_ih_l0")) {
                    throw fail(p + "weight_ih_l0", "missing (prefix '" + opt.prefix() + "' was given; tensors in the file: "
                            + new TreeSet<>(tensors.keySet()) + ")");
                }
                return p;
            }
            Set<String> found = new TreeSet<>();
            for (String name : tensors.keySet()) {
                Matcher m = IH_L0.matcher(name);
                if (m.matches()) {
                    found.add(m.group(1));
                }
            }
            if (found.isEmpty()) {
                throw fail(null, "no recurrent layer found: no tensor named '<prefix>weight_ih_l0' among "
                        + new TreeSet<>(tensors.keySet()));
            }
            if (found.size() > 1) {
                throw fail(null, "several recurrent modules (prefixes " + found + "): choose one with the prefix option");
            }
            return found.iterator().next();
        }

        private int countLayers(String p) {
            int max = -1;
            for (String name : tensors.keySet()) {
                Matcher m = LAYER_TENSOR.matcher(name);
                if (m.matches() && m.group(1).equals(p)) {
                    max = Math.max(max, Integer.parseInt(m.group(4)));
                }
            }
            int n = max + 1;
            String declared = meta.get("num_layers");
            if (declared != null) {
                int d = parseMetaInt("num_layers", declared);
                if (d > n) {
                    throw fail(p + "weight_ih_l" + n, "missing: metadata says num_layers=" + d);
                }
                if (d < n) {
                    throw fail(p + "weight_ih_l" + d, "unexpected: metadata says num_layers=" + d);
                }
            }
            for (int l = 0; l < n; l++) {
                require(p + "weight_ih_l" + l);
            }
            return n;
        }

        private CellType cellType(int gates, Tensor whh0, int hidden, int proj) {
            CellType declared = opt.cellType();
            String m = meta.get("cell_type");
            if (declared == null && m != null) {
                try {
                    declared = CellType.parse(m);
                } catch (IllegalArgumentException e) {
                    throw fail(null, "metadata cell_type: " + e.getMessage());
                }
            }
            CellType inferred = CellType.forGates(gates);
            if (declared != null && declared.gates() != gates || declared == null && inferred == null) {
                CellType t = declared != null ? declared : CellType.LSTM;
                throw fail(whh0.name(), "shape " + whh0.shapeString() + " does not fit "
                        + (declared != null ? "a " + t.fileName() : "an rnn, gru or lstm") + " with hidden_size "
                        + hidden + (declared != null ? " (expected [" + t.gates() * hidden + ", " + (proj > 0 ? proj : hidden) + "])"
                        : " (" + gates + " blocks of rows; expected 1, 3 or 4)"));
            }
            return declared != null ? declared : inferred;
        }

        private Activation nonlinearity(CellType type) {
            Activation a = opt.nonlinearity();
            if (a == null && meta.get("nonlinearity") != null) {
                try {
                    a = Activation.parse(meta.get("nonlinearity"));
                } catch (IllegalArgumentException e) {
                    throw fail(null, "metadata nonlinearity: " + e.getMessage());
                }
            }
            if (a == null) {
                a = Activation.TANH; // PyTorch's default
            }
            if (type != CellType.RNN && a != Activation.TANH) {
                throw fail(null, "a " + type.fileName() + " has fixed tanh/sigmoid gates; nonlinearity "
                        + a.fileName() + " applies to rnn only");
            }
            if (type == CellType.RNN && a != Activation.TANH && a != Activation.RELU && a != Activation.IDENTITY) {
                throw fail(null, "an rnn's nonlinearity is tanh, relu or identity, not " + a.fileName());
            }
            return a;
        }

        private Activation headActivation() {
            if (opt.headActivation() != null) {
                return opt.headActivation();
            }
            String m = meta.get("head_activation");
            if (m == null) {
                return Activation.IDENTITY;
            }
            try {
                return Activation.parse(m);
            } catch (IllegalArgumentException e) {
                throw fail(null, "metadata head_activation: " + e.getMessage());
            }
        }

        /** The head's prefix with its dot, or null for no head. */
        private String headPrefix(String p, int hOut) {
            if (opt.headPrefix() != null) {
                String hp = opt.headPrefix().endsWith(".") ? opt.headPrefix() : opt.headPrefix() + ".";
                require(hp + "weight");
                return hp;
            }
            if (tensors.containsKey("head.weight")) {
                return "head.";
            }
            String declared = meta.get("head_size");
            if (declared != null && parseMetaInt("head_size", declared) > 0) {
                throw fail("head.weight", "missing: metadata says head_size=" + declared);
            }
            // A state_dict with one other Linear reading h (fc, out, decoder...) : take it as the head.
            List<String> candidates = new ArrayList<>();
            for (Tensor t : tensors.values()) {
                String n = t.name();
                if (n.endsWith(".weight") && !belongsToRnn(n, p) && t.rank() == 2 && t.dim(1) == hOut) {
                    candidates.add(n.substring(0, n.length() - "weight".length()));
                }
            }
            if (candidates.size() > 1) {
                throw fail(null, "several tensors could be the output head " + candidates
                        + ": choose one with the head prefix option");
            }
            return candidates.isEmpty() ? null : candidates.get(0);
        }

        /** Under the recurrent module's prefix (or, for a bare module, named like a layer tensor). */
        private static boolean belongsToRnn(String name, String p) {
            return p.isEmpty() ? LAYER_TENSOR.matcher(name).matches() : name.startsWith(p);
        }

        private Tensor require(String name) {
            Tensor t = tensors.get(name);
            if (t == null) {
                throw fail(name, "missing");
            }
            return t;
        }

        private void checkRank(Tensor t, int rank) {
            if (t.rank() != rank) {
                throw fail(t.name(), "has " + t.rank() + " dimensions " + t.shapeString() + ", expected " + rank);
            }
        }

        /** The tensor's values after checking its shape and that they are finite. */
        private float[] expect(String name, int... shape) {
            Tensor t = require(name);
            if (!Arrays.equals(t.shape(), shape)) {
                throw fail(name, "shape " + t.shapeString() + ", expected " + Arrays.toString(shape));
            }
            float[] d = t.data();
            for (int i = 0; i < d.length; i++) {
                if (!Float.isFinite(d[i])) {
                    throw fail(name, "value " + d[i] + " at flat index " + i + " is not finite");
                }
            }
            used.add(name);
            return d;
        }

        private float[] absent(String name) {
            if (tensors.containsKey(name)) {
                used.add(name); // reported as unexpected below unless consumed
                throw fail(name, "unexpected: the other tensors say "
                        + (name.contains("bias") ? "bias=False" : "no projection"));
            }
            return null;
        }

        private int parseMetaInt(String key, String value) {
            try {
                return Integer.parseInt(value.trim());
            } catch (NumberFormatException e) {
                throw fail(null, "metadata " + key + "='" + value + "' is not an integer");
            }
        }

        /** Checks an integer metadata entry, when present, against what the tensors say. */
        private void metaInt(String key, int actual, String tensor) {
            String v = meta.get(key);
            if (v == null) {
                return;
            }
            int declared = parseMetaInt(key, v);
            if (declared != actual) {
                throw fail(tensor, "metadata says " + key + "=" + declared + " but the tensors give " + actual);
            }
        }
    }
}
