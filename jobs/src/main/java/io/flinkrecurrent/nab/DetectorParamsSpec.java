package io.flinkrecurrent.nab;

import io.flinkrecurrent.anomaly.DetectorParams;

/**
 * The NAB tooling's way of naming a detector variant: {@code name=value,...} changes applied to a set of
 * {@link DetectorParams} ({@code --params}, {@code --variants}, the ablation's variants).
 */
public final class DetectorParamsSpec {
    private DetectorParamsSpec() {}

    /**
     * {@code params} with some changed, from {@code name=value,...} (window, hold, memory, smooth,
     * tolerance, alarm, quiet, level, levelWeight, error, value, novelty, stride, block, online, likely,
     * rls, levelNovelty, power, lasting): for measuring variants. {@link IllegalArgumentException} for a
     * change that is not {@code name=value}, an unknown name, a value that does not parse, or parameters
     * the detector refuses.
     */
    public static DetectorParams apply(DetectorParams params, String changes) {
        DetectorParams.Builder b = params.toBuilder();
        for (String kv : changes.split(",")) {
            String[] f = kv.split("=", 2);
            if (f.length != 2) {
                throw new IllegalArgumentException("expected name=value, got '" + kv + "'");
            }
            String val = f[1].trim();
            switch (f[0].trim()) {
                case "window" -> b.window(Integer.parseInt(val));
                case "hold" -> b.hold(Integer.parseInt(val));
                case "memory" -> b.memory(Integer.parseInt(val));
                case "smooth" -> b.smooth(Integer.parseInt(val));
                case "quiet" -> b.quiet(Integer.parseInt(val));
                case "level" -> b.level(Integer.parseInt(val));
                case "tolerance" -> b.tolerance(Float.parseFloat(val));
                case "alarm" -> b.alarm(Float.parseFloat(val));
                case "levelWeight" -> b.levelWeight(Float.parseFloat(val));
                case "error" -> b.error(Boolean.parseBoolean(val));
                case "value" -> b.value(Boolean.parseBoolean(val));
                case "novelty" -> b.novelty(Boolean.parseBoolean(val));
                case "stride" -> b.stride(Integer.parseInt(val));
                case "block" -> b.block(Integer.parseInt(val));
                case "online" -> b.online(Float.parseFloat(val));
                case "likely" -> b.likely(Integer.parseInt(val));
                case "rls" -> b.rls(Float.parseFloat(val));
                case "levelNovelty" -> b.levelNovelty(Float.parseFloat(val));
                case "power" -> b.power(Float.parseFloat(val));
                case "lasting" -> b.lasting(Integer.parseInt(val));
                default -> throw new IllegalArgumentException("no detector parameter '" + f[0].trim() + "'");
            }
        }
        return b.build();
    }
}
