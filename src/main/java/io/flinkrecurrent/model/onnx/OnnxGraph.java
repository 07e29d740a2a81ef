package io.flinkrecurrent.model.onnx;

import io.flinkrecurrent.annotation.Internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The part of an ONNX model ({@code onnx.proto}'s ModelProto) that a recurrent model needs: the main
 * graph's inputs, outputs, nodes with their attributes, and initializers (float, double and float16
 * tensors as float32; integer tensors as longs), the opset and the metadata. Field numbers are the
 * schema's; what else a file holds is skipped.
 */
@Internal
public final class OnnxGraph {
    /** A tensor's element types, as {@code TensorProto.DataType} numbers them. */
    static final int FLOAT = 1;
    static final int INT32 = 6;
    static final int INT64 = 7;
    static final int FLOAT16 = 10;
    static final int DOUBLE = 11;

    /** A tensor: its dims, and its values as floats (float types) or longs (integer types). */
    public record Tensor(String name, long[] dims, int dataType, float[] floats, long[] longs) {
        public long size() {
            long n = 1;
            for (long d : dims) {
                n *= d;
            }
            return n;
        }
    }

    /** An attribute: the one value its type holds. */
    public record Attribute(String name, Float f, Long i, String s, Tensor t, float[] floats, long[] ints, List<String> strings) {}

    public record Node(String opType, String name, String domain, List<String> inputs, List<String> outputs,
                       Map<String, Attribute> attributes) {
        /** The i-th input, or "" when it is absent (ONNX's optional inputs). */
        public String input(int i) {
            return i < inputs.size() ? inputs.get(i) : "";
        }
    }

    public final List<String> inputs = new ArrayList<>();
    public final List<String> outputs = new ArrayList<>();
    public final List<Node> nodes = new ArrayList<>();
    public final Map<String, Tensor> initializers = new LinkedHashMap<>();
    public final Map<String, String> metadata = new LinkedHashMap<>();
    public long opset = -1;
    public String producer = "";

    private OnnxGraph() {}

    /** Parses a ModelProto. */
    public static OnnxGraph parse(byte[] file) {
        OnnxGraph g = new OnnxGraph();
        Protobuf m = new Protobuf(file);
        boolean graph = false;
        for (int f; (f = m.next()) != 0; ) {
            switch (f) {
                case 2 -> g.producer = m.string();
                case 7 -> {
                    g.graph(m.message());
                    graph = true;
                }
                case 8 -> { // OperatorSetIdProto: domain 1, version 2
                    Protobuf o = m.message();
                    String domain = "";
                    long version = -1;
                    for (int h; (h = o.next()) != 0; ) {
                        if (h == 1) {
                            domain = o.string();
                        } else if (h == 2) {
                            version = o.varint();
                        } else {
                            o.skip();
                        }
                    }
                    if (domain.isEmpty() || domain.equals("ai.onnx")) {
                        g.opset = version;
                    }
                }
                case 14 -> { // StringStringEntryProto: key 1, value 2
                    Protobuf e = m.message();
                    String k = null;
                    String v = null;
                    for (int h; (h = e.next()) != 0; ) {
                        if (h == 1) {
                            k = e.string();
                        } else if (h == 2) {
                            v = e.string();
                        } else {
                            e.skip();
                        }
                    }
                    if (k != null) {
                        g.metadata.put(k, v == null ? "" : v);
                    }
                }
                default -> m.skip();
            }
        }
        if (!graph) {
            throw new IllegalArgumentException("the file has no graph: not an ONNX model");
        }
        return g;
    }

    private void graph(Protobuf m) {
        for (int f; (f = m.next()) != 0; ) {
            switch (f) {
                case 1 -> nodes.add(node(m.message()));
                case 5 -> {
                    Tensor t = tensor(m.message());
                    initializers.put(t.name(), t);
                }
                case 11 -> inputs.add(valueName(m.message()));
                case 12 -> outputs.add(valueName(m.message()));
                default -> m.skip();
            }
        }
        inputs.removeAll(initializers.keySet()); // older exporters list initializers as inputs too
    }

    private static String valueName(Protobuf m) {
        String name = "";
        for (int f; (f = m.next()) != 0; ) {
            if (f == 1) {
                name = m.string();
            } else {
                m.skip();
            }
        }
        return name;
    }

    private static Node node(Protobuf m) {
        List<String> in = new ArrayList<>();
        List<String> out = new ArrayList<>();
        String name = "";
        String op = "";
        String domain = "";
        Map<String, Attribute> attrs = new LinkedHashMap<>();
        for (int f; (f = m.next()) != 0; ) {
            switch (f) {
                case 1 -> in.add(m.string());
                case 2 -> out.add(m.string());
                case 3 -> name = m.string();
                case 4 -> op = m.string();
                case 7 -> domain = m.string();
                case 5 -> {
                    Attribute a = attribute(m.message());
                    attrs.put(a.name(), a);
                }
                default -> m.skip();
            }
        }
        return new Node(op, name, domain, List.copyOf(in), List.copyOf(out), attrs);
    }

    private static Attribute attribute(Protobuf m) {
        String name = "";
        Float fl = null;
        Long in = null;
        String s = null;
        Tensor t = null;
        List<Float> floats = new ArrayList<>();
        List<Long> ints = new ArrayList<>();
        List<String> strings = new ArrayList<>();
        for (int f; (f = m.next()) != 0; ) {
            switch (f) {
                case 1 -> name = m.string();
                case 2 -> fl = m.fixed32Float();
                case 3 -> in = m.varint();
                case 4 -> s = m.string();
                case 5 -> t = tensor(m.message());
                case 7 -> packedOrNotFloats(m, floats);
                case 8 -> packedOrNot(m, ints);
                case 9 -> strings.add(m.string());
                default -> m.skip();
            }
        }
        float[] fa = new float[floats.size()];
        for (int i = 0; i < fa.length; i++) {
            fa[i] = floats.get(i);
        }
        return new Attribute(name, fl, in, s, t, fa, ints.stream().mapToLong(Long::longValue).toArray(), List.copyOf(strings));
    }

    private static Tensor tensor(Protobuf m) {
        List<Long> dims = new ArrayList<>();
        int type = 0;
        String name = "";
        int[] raw = null;
        List<Float> floatData = new ArrayList<>();
        List<Double> doubleData = new ArrayList<>();
        List<Long> intData = new ArrayList<>();
        boolean external = false;
        for (int f; (f = m.next()) != 0; ) {
            switch (f) {
                case 1 -> packedOrNot(m, dims);
                case 2 -> type = m.int32();
                case 8 -> name = m.string();
                case 9 -> raw = m.span();
                case 4 -> packedOrNotFloats(m, floatData);
                case 10 -> {
                    if (m.wireType() == Protobuf.LENGTH_DELIMITED) {
                        Protobuf p = m.message();
                        while (!p.atEnd()) {
                            doubleData.add(p.fixed64Double());
                        }
                    } else {
                        doubleData.add(m.fixed64Double());
                    }
                }
                case 5, 7 -> packedOrNot(m, intData); // int32_data (also float16's bits), int64_data
                case 13 -> { // external_data: where the values are, outside the file
                    external = true;
                    m.skip();
                }
                case 14 -> external |= m.varint() == 1; // data_location EXTERNAL
                default -> m.skip();
            }
        }
        long[] d = dims.stream().mapToLong(Long::longValue).toArray();
        if (external) {
            throw new IllegalArgumentException("tensor '" + name + "' is stored outside the file (external data), which is not read");
        }
        long n = 1;
        for (long x : d) {
            n *= x;
        }
        if (n > Integer.MAX_VALUE / 8) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + n + " elements");
        }
        int count = (int) n;
        ByteBuffer bytes = raw == null ? null : ByteBuffer.wrap(m.buffer(), raw[0], raw[1]).order(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case FLOAT, DOUBLE, FLOAT16 -> {
                float[] v = new float[count];
                int width = type == FLOAT ? 4 : type == DOUBLE ? 8 : 2;
                if (bytes != null) {
                    checkBytes(name, raw[1], count * width);
                    for (int i = 0; i < count; i++) {
                        v[i] = type == FLOAT ? bytes.getFloat() : type == DOUBLE ? (float) bytes.getDouble()
                                : io.flinkrecurrent.model.SafeTensors.halfToFloat(bytes.getShort());
                    }
                } else {
                    int have = type == FLOAT ? floatData.size() : type == DOUBLE ? doubleData.size() : intData.size();
                    if (have != count) {
                        throw new IllegalArgumentException("tensor '" + name + "' has " + have + " values for " + count + " elements");
                    }
                    for (int i = 0; i < count; i++) {
                        v[i] = type == FLOAT ? floatData.get(i) : type == DOUBLE ? (float) (double) doubleData.get(i)
                                : io.flinkrecurrent.model.SafeTensors.halfToFloat((short) (long) intData.get(i));
                    }
                }
                return new Tensor(name, d, type, v, null);
            }
            case INT32, INT64 -> {
                long[] v = new long[count];
                if (bytes != null) {
                    checkBytes(name, raw[1], count * (type == INT64 ? 8 : 4));
                    for (int i = 0; i < count; i++) {
                        v[i] = type == INT64 ? bytes.getLong() : bytes.getInt();
                    }
                } else {
                    if (intData.size() != count) {
                        throw new IllegalArgumentException("tensor '" + name + "' has " + intData.size() + " values for " + count + " elements");
                    }
                    for (int i = 0; i < count; i++) {
                        v[i] = intData.get(i);
                    }
                }
                return new Tensor(name, d, type, null, v);
            }
            default -> {
                return new Tensor(name, d, type, null, null); // other types: kept by name, refused if used
            }
        }
    }

    private static void checkBytes(String name, int have, int need) {
        if (have != need) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + have + " bytes of data for " + need);
        }
    }

    /** A repeated float field's values, packed (one length-delimited run) or one by one. */
    private static void packedOrNotFloats(Protobuf m, List<Float> out) {
        if (m.wireType() == Protobuf.LENGTH_DELIMITED) {
            Protobuf p = m.message();
            while (!p.atEnd()) {
                out.add(p.fixed32Float());
            }
        } else {
            out.add(m.fixed32Float());
        }
    }

    /** A repeated varint field's values, packed or one by one. */
    private static void packedOrNot(Protobuf m, List<Long> out) {
        if (m.wireType() == Protobuf.LENGTH_DELIMITED) {
            Protobuf p = m.message();
            while (!p.atEnd()) {
                out.add(p.varint());
            }
        } else {
            out.add(m.varint());
        }
    }
}
