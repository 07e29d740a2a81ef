package io.flinkrecurrent.model;

import java.util.Arrays;

/**
 * A named float32 tensor, row-major (C order), as read from or written to a safetensors file.
 *
 * @param dtype the dtype it was stored with (F32, F16, BF16 or F64; the values are always float32 here)
 */
@io.flinkrecurrent.annotation.PublicEvolving
public record Tensor(String name, String dtype, int[] shape, float[] data) {

    public Tensor {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor '" + name + "': negative dimension in " + Arrays.toString(shape));
            }
            n *= d;
        }
        if (n != data.length) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape)
                    + " needs " + n + " values, got " + data.length);
        }
    }

    /** A float32 tensor. */
    public static Tensor f32(String name, float[] data, int... shape) {
        return new Tensor(name, "F32", shape, data);
    }

    public int rank() { return shape.length; }

    public int dim(int i) { return shape[i]; }

    public String shapeString() { return Arrays.toString(shape); }
}
