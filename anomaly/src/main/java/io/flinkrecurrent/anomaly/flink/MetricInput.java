package io.flinkrecurrent.anomaly.flink;

import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.flink.InputFiller;
import io.flinkrecurrent.flink.InputRejected;
import io.flinkrecurrent.flink.RejectedEvent.Reason;

/**
 * The detector's input from the user's event, in the three forms {@link AnomalyDetection} takes (one
 * value, a filler, an array of values), each checked: the width of an array, and every value finite,
 * an event that fails going to the side output with the metric named. No allocation on an event that
 * passes.
 */
@Internal
final class MetricInput {
    private MetricInput() {}

    /** The user's own filler, then the values checked. */
    static final class Filled<T> implements InputFiller<T> {
        private final InputFiller<T> filler;
        private final String[] names;

        Filled(InputFiller<T> filler, String[] names) {
            this.filler = filler;
            this.names = names;
        }

        @Override
        public void fill(float[] x, T event) throws Exception {
            filler.fill(x, event);
            requireFinite(x, names);
        }
    }

    /** One value per event. */
    static final class One<T> implements InputFiller<T> {
        private final AnomalyDetection.MetricValue<T> value;
        private final String[] names;

        One(AnomalyDetection.MetricValue<T> value, String[] names) {
            this.value = value;
            this.names = names;
        }

        @Override
        public void fill(float[] x, T event) throws Exception {
            x[0] = value.value(event);
            requireFinite(x, names);
        }
    }

    /** The event's own array of values, which must be of the detector's width. */
    static final class Array<T> implements InputFiller<T> {
        private final AnomalyDetection.MetricValues<T> values;
        private final String[] names;

        Array(AnomalyDetection.MetricValues<T> values, String[] names) {
            this.values = values;
            this.names = names;
        }

        @Override
        public void fill(float[] x, T event) throws Exception {
            float[] v = values.values(event);
            if (v == null) {
                throw new InputRejected(Reason.MISSING_INPUT, "the event has no metric values");
            }
            if (v.length != x.length) {
                throw new InputRejected(Reason.INPUT_WIDTH, "the event has " + v.length + " metric values, the detector takes "
                        + x.length + (names != null ? " (" + String.join(", ", names) + ")" : ""));
            }
            System.arraycopy(v, 0, x, 0, x.length);
            requireFinite(x, names);
        }
    }

    /** Rejects the event ({@link Reason#NON_FINITE}) at its first value that is NaN or infinite, naming its metric. */
    static void requireFinite(float[] x, String[] names) throws InputRejected {
        for (int i = 0; i < x.length; i++) {
            if (!Float.isFinite(x[i])) {
                throw new InputRejected(Reason.NON_FINITE, "metric " + label(i, names) + " is " + x[i]);
            }
        }
    }

    /** {@code cpu (#0)}, or {@code #0} without names. */
    static String label(int i, String[] names) {
        return names == null ? "#" + i : names[i] + " (#" + i + ")";
    }
}
