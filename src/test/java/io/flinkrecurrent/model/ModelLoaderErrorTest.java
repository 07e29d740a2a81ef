package io.flinkrecurrent.model;

import io.flinkrecurrent.cell.CellType;
import io.flinkrecurrent.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every way a model file can be wrong gets an error that names the file and the tensor. */
class ModelLoaderErrorTest {
    @TempDir
    Path dir;

    private final Path lstm = Golden.dir().resolve("public/lstm_i8_h32_l2_head3_softmax.safetensors");

    private List<Tensor> tensors(Path file) {
        return new ArrayList<>(SafeTensors.read(file).tensors().values());
    }

    private Map<String, String> metadata(Path file) {
        return new LinkedHashMap<>(SafeTensors.read(file).metadata());
    }

    private ModelFileException loadFails(Path file) {
        return assertThrows(ModelFileException.class, () -> ModelLoader.load(file));
    }

    private static void assertNames(ModelFileException e, Path file, String tensor, String... words) {
        assertTrue(e.getMessage().startsWith(file.toString() + ": "), e.getMessage());
        assertEquals(file, e.file());
        if (tensor != null) {
            assertEquals(tensor, e.tensor(), e.getMessage());
            assertTrue(e.getMessage().contains("'" + tensor + "'"), e.getMessage());
        }
        for (String w : words) {
            assertTrue(e.getMessage().contains(w), "'" + w + "' not in: " + e.getMessage());
        }
    }

    @Test
    void missingTensor() throws IOException {
        List<Tensor> t = tensors(lstm);
        t.removeIf(x -> x.name().equals("rnn.weight_hh_l1"));
        Path f = dir.resolve("missing.safetensors");
        SafeTensors.write(f, metadata(lstm), t);
        assertNames(loadFails(f), f, "rnn.weight_hh_l1", "missing");
    }

    @Test
    void missingLayerThatMetadataDeclares() throws IOException {
        List<Tensor> t = tensors(lstm);
        t.removeIf(x -> x.name().endsWith("_l1"));
        Path f = dir.resolve("onelayer.safetensors");
        SafeTensors.write(f, metadata(lstm), t);
        assertNames(loadFails(f), f, "rnn.weight_ih_l1", "missing", "num_layers=2");
    }

    @Test
    void wrongShape() throws IOException {
        List<Tensor> t = tensors(lstm);
        t.replaceAll(x -> x.name().equals("rnn.bias_ih_l1") ? Tensor.f32(x.name(), new float[127], 127) : x);
        Path f = dir.resolve("shape.safetensors");
        SafeTensors.write(f, metadata(lstm), t);
        assertNames(loadFails(f), f, "rnn.bias_ih_l1", "shape [127]", "expected [128]");
    }

    @Test
    void headOfWrongWidth() throws IOException {
        List<Tensor> t = tensors(lstm);
        t.replaceAll(x -> x.name().equals("head.weight") ? Tensor.f32(x.name(), new float[3 * 31], 3, 31) : x);
        Path f = dir.resolve("head.safetensors");
        SafeTensors.write(f, metadata(lstm), t);
        assertNames(loadFails(f), f, "head.weight", "[3, 31]", "expected [3, 32]");
    }

    @Test
    void metadataContradictingTheTensors() throws IOException {
        Map<String, String> meta = metadata(lstm);
        meta.put("hidden_size", "64");
        Path f = dir.resolve("meta.safetensors");
        SafeTensors.write(f, meta, tensors(lstm));
        assertNames(loadFails(f), f, "rnn.weight_hh_l0", "hidden_size=64", "32");
    }

    @Test
    void cellTypeContradictingTheGateCount() throws IOException {
        Map<String, String> meta = metadata(lstm);
        meta.put("cell_type", "gru");
        Path f = dir.resolve("gru.safetensors");
        SafeTensors.write(f, meta, tensors(lstm));
        assertNames(loadFails(f), f, "rnn.weight_hh_l0", "gru", "[96, 32]");
    }

    @Test
    void bidirectionalIsRefused() throws IOException {
        List<Tensor> t = tensors(lstm);
        Tensor ih = t.get(0);
        t.add(new Tensor("rnn.weight_ih_l0_reverse", "F32", ih.shape(), ih.data()));
        Path f = dir.resolve("bi.safetensors");
        SafeTensors.write(f, metadata(lstm), t);
        assertNames(loadFails(f), f, "rnn.weight_ih_l0_reverse", "bidirectional");
    }

    @Test
    void nonFiniteWeightIsRefused() throws IOException {
        List<Tensor> t = tensors(lstm);
        t.get(1).data()[5] = Float.NaN;
        Path f = dir.resolve("nan.safetensors");
        SafeTensors.write(f, metadata(lstm), t);
        assertNames(loadFails(f), f, t.get(1).name(), "NaN", "index 5");
    }

    @Test
    void unexpectedExtraLayerTensor() throws IOException {
        List<Tensor> t = tensors(lstm);
        t.add(Tensor.f32("rnn.weight_hr_l0", new float[10 * 32], 10, 32));
        Map<String, String> meta = metadata(lstm);
        meta.remove("proj_size");
        meta.remove("hidden_size");
        Path f = dir.resolve("hr.safetensors");
        SafeTensors.write(f, meta, t);
        // weight_hr_l0 says proj 10, so weight_hh_l0 must be [128, 10]
        assertNames(loadFails(f), f, "rnn.weight_hh_l0", "expected [128, 10]");
    }

    @Test
    void unsupportedDtypeIsRefused() throws IOException {
        Path f = dir.resolve("int.safetensors");
        writeRaw(f, "{\"rnn.weight_ih_l0\":{\"dtype\":\"I32\",\"shape\":[4,3],\"data_offsets\":[0,48]}}", new byte[48]);
        assertNames(loadFails(f), f, "rnn.weight_ih_l0", "dtype I32", "not supported");
    }

    @Test
    void truncatedData() throws IOException {
        byte[] all = Files.readAllBytes(lstm);
        Path f = dir.resolve("truncated.safetensors");
        Files.write(f, java.util.Arrays.copyOf(all, all.length - 4)); // the last tensor, head.bias, loses a float
        assertNames(loadFails(f), f, "head.bias", "truncated");
    }

    @Test
    void headerLongerThanTheFile() throws IOException {
        Path f = dir.resolve("short.safetensors");
        ByteBuffer b = ByteBuffer.allocate(8 + 20).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(4096);
        Files.write(f, b.array());
        assertNames(loadFails(f), f, null, "claims 4096 bytes", "holds only 20");
    }

    @Test
    void absurdHeaderLengthIsRefusedBeforeAllocating() throws IOException {
        Path f = dir.resolve("absurd.safetensors");
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(1L << 62);
        Files.write(f, b.array());
        ModelFileException e = loadFails(f);
        assertNames(e, f, null, "header length", "not plausible");
        assertNull(e.tensor());
    }

    @Test
    void headerThatIsNotJson() throws IOException {
        Path f = dir.resolve("json.safetensors");
        writeRaw(f, "{\"rnn.weight_ih_l0\": [", new byte[0]);
        assertNames(loadFails(f), f, null, "not valid JSON");
    }

    @Test
    void tinyFileAndMissingFile() throws IOException {
        Path f = dir.resolve("tiny.safetensors");
        Files.write(f, new byte[3]);
        assertNames(loadFails(f), f, null, "shorter than the 8-byte header length");
        Path none = dir.resolve("none.safetensors");
        assertNames(loadFails(none), none, null, "cannot read");
    }

    @Test
    void offsetsThatDoNotMatchTheShape() throws IOException {
        Path f = dir.resolve("offsets.safetensors");
        writeRaw(f, "{\"rnn.weight_ih_l0\":{\"dtype\":\"F32\",\"shape\":[4,3],\"data_offsets\":[0,40]}}", new byte[48]);
        assertNames(loadFails(f), f, "rnn.weight_ih_l0", "span 40 bytes", "needs 48");
    }

    @Test
    void overlappingTensors() throws IOException {
        Path f = dir.resolve("overlap.safetensors");
        writeRaw(f, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]);
        assertNames(loadFails(f), f, "b", "overlap");
    }

    @Test
    void noRecurrentModule() throws IOException {
        Path f = dir.resolve("linear.safetensors");
        SafeTensors.write(f, Map.of(), List.of(Tensor.f32("fc.weight", new float[6], 2, 3)));
        assertNames(loadFails(f), f, null, "no recurrent layer", "fc.weight");
    }

    @Test
    void optionsFillWhatTheFileCannotSay() throws IOException {
        // the public rnn_relu model without metadata: inferred as tanh unless told relu
        Path src = Golden.dir().resolve("public/rnn_relu_i4_h8_l2_head1_linear.safetensors");
        Path f = dir.resolve("nometa.safetensors");
        SafeTensors.write(f, Map.of(), tensors(src));
        LoadedModel inferred = ModelLoader.load(f);
        assertEquals(CellType.RNN, inferred.config().cellType());
        assertEquals(io.flinkrecurrent.cell.Activation.TANH, inferred.config().nonlinearity());
        assertEquals(2, inferred.config().numLayers());
        assertEquals(1, inferred.config().headSize());
        LoadedModel told = ModelLoader.load(f, new ModelLoader.Options(null, null,
                io.flinkrecurrent.cell.Activation.RELU, null, null));
        assertEquals(io.flinkrecurrent.cell.Activation.RELU, told.config().nonlinearity());
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelLoader.load(f,
                new ModelLoader.Options("encoder", null, null, null, null)));
        assertNames(e, f, "encoder.weight_ih_l0", "missing");
    }

    @Test
    void aTensorNameTwiceIsRefused() throws IOException {
        Path f = dir.resolve("twice.safetensors");
        writeRaw(f, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]);
        assertNames(loadFails(f), f, null, "'a' appears twice");
    }

    @Test
    void shapesAndOffsetsMustBeIntegers() throws IOException {
        Path f = dir.resolve("fraction.safetensors");
        writeRaw(f, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1.9,1],\"data_offsets\":[0,4]}}", new byte[4]);
        assertNames(loadFails(f), f, "a", "shape [1.9, 1] has an invalid dimension");
        Path g = dir.resolve("fraction2.safetensors");
        writeRaw(g, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4.0]}}", new byte[4]);
        assertNames(loadFails(g), g, "a", "must be two integers");
    }

    @Test
    void trailingBytesAndGapsAreRefused() throws IOException {
        Path trailing = dir.resolve("trailing.safetensors");
        writeRaw(trailing, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[7]);
        assertNames(loadFails(trailing), trailing, null, "3 bytes after the last tensor's data", "trailing");
        Path gap = dir.resolve("gap.safetensors");
        writeRaw(gap, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", new byte[12]);
        assertNames(loadFails(gap), gap, "b", "a gap of 4 bytes");
    }

    @Test
    void aFifoIsRefusedWithoutReading() throws Exception {
        Path fifo = dir.resolve("model.fifo");
        Process p = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertEquals(0, p.waitFor(), "mkfifo");
        // on a FIFO with no writer an open blocks for ever: the check must come first
        ModelFileException e = assertTimeoutPreemptively(java.time.Duration.ofSeconds(10), () -> loadFails(fifo));
        assertNames(e, fifo, null, "not a regular file");
    }

    @Test
    void aFileOver2GiBIsRefusedByName() throws IOException {
        Path big = dir.resolve("big.safetensors");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(3L << 30); // sparse: nothing written
        }
        assertNames(loadFails(big), big, null, "over " + SafeTensors.MAX_FILE_BYTES + " bytes");
    }

    @Test
    void aHeaderOfTooManyEntriesIsRefusedWhileReading() throws IOException {
        StringBuilder h = new StringBuilder("{");
        for (int i = 0; i <= HeaderJson.MAX_MEMBERS; i++) {
            h.append(i == 0 ? "" : ",").append("\"t").append(i).append("\":0");
        }
        Path f = dir.resolve("many.safetensors");
        writeRaw(f, h.append('}').toString(), new byte[0]);
        assertNames(loadFails(f), f, null, "more than " + HeaderJson.MAX_MEMBERS + " members");
    }

    private static void writeRaw(Path f, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        Files.write(f, b.array());
    }
}
