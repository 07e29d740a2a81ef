package io.flinkrecurrent.cell;

import java.util.Locale;

/** The three recurrent cells of PyTorch, with the number of gates stacked in their weight rows. */
@io.flinkrecurrent.annotation.PublicEvolving
public enum CellType {
    /** torch.nn.RNN (Elman): one block of rows. */
    RNN(1, "-"),
    /** torch.nn.GRU: rows r, z, n. */
    GRU(3, "r,z,n"),
    /** torch.nn.LSTM: rows i, f, g, o. */
    LSTM(4, "i,f,g,o");

    private final int gates;
    private final String gateOrder;

    CellType(int gates, String gateOrder) {
        this.gates = gates;
        this.gateOrder = gateOrder;
    }

    /** Blocks of {@code hidden_size} rows in {@code weight_ih}/{@code weight_hh}: 1, 3 or 4. */
    public int gates() {
        return gates;
    }

    /** PyTorch's order of the gate blocks, as written in the {@code gate_order} metadata. */
    public String gateOrder() {
        return gateOrder;
    }

    public String fileName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The cell whose weight rows hold {@code gates} blocks, or null. */
    public static CellType forGates(int gates) {
        for (CellType t : values()) {
            if (t.gates == gates) {
                return t;
            }
        }
        return null;
    }

    /** @throws IllegalArgumentException naming the value and the accepted ones */
    public static CellType parse(String name) {
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "rnn", "elman", "rnn_tanh", "rnn_relu" -> RNN;
            case "gru" -> GRU;
            case "lstm" -> LSTM;
            default -> throw new IllegalArgumentException("unknown cell type '" + name + "' (expected rnn, gru or lstm)");
        };
    }
}
