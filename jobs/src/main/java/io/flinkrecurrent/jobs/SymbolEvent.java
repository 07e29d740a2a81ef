package io.flinkrecurrent.jobs;

/** One symbol of a key's stream (a typed letter, a digit), with a reset flag that starts a new sequence. A Flink POJO. */
public class SymbolEvent {
    public String key;
    public String symbol;
    public boolean reset;

    public SymbolEvent() {}

    public SymbolEvent(String key, String symbol, boolean reset) {
        this.key = key;
        this.symbol = symbol;
        this.reset = reset;
    }

    public String key() {
        return key;
    }

    public boolean isReset() {
        return reset;
    }
}
