package io.flinkrecurrent.jobs;

import java.util.Locale;

/** A symbol job's answer for one event: what the model predicts, with its probability. A Flink POJO. */
public class SymbolResult {
    public String key;
    public long seq;
    public String symbol;
    /** The answer: "seen"/"new" (repetition), the most likely next letter or "$" for the end of a word (next-char). */
    public String prediction;
    /** The probability the model gives: that the symbol was seen before (repetition), of the predicted letter (next-char). */
    public float probability;
    /** The version of the model that answered, when the job takes model updates; else null. */
    public String model;

    public SymbolResult() {}

    public String toJson() {
        return String.format(Locale.ROOT, "{\"key\":%s,\"seq\":%d,\"symbol\":%s,\"prediction\":%s,\"probability\":%s%s}",
                JobJson.quote(key), seq, JobJson.quote(symbol), JobJson.quote(prediction), Float.toString(probability),
                model == null ? "" : ",\"model\":" + JobJson.quote(model));
    }

    public String toText() {
        return String.format(Locale.ROOT, "%-12s #%-4d %-3s -> %-5s p=%.4f", key, seq, symbol, prediction, probability)
                + (model == null ? "" : "  [" + model + "]");
    }
}
