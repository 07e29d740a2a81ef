package io.flinkrecurrent.runtime;

import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.cell.Kernels;
import io.flinkrecurrent.flink.KeyState;
import io.flinkrecurrent.flink.KeyedEvent;
import io.flinkrecurrent.flink.RejectedEvent.Reason;

/**
 * What an arriving input must pass before it is stepped or waits, the same checks for the DataStream
 * operator and the SQL function, in the words of each ({@link Form}): a key, the model's width, its
 * values finite, and with
 * event-time ordering a timestamp, not older than the key's latest applied input, and room in the
 * buffer. Each check answers null (admitted) or the reason's message.
 */
@Internal
public final class Admission {
    /** The words of a form: what it calls an input, and what it says when the input has no key or time. */
    public enum Form {
        DATASTREAM("event", "the event has no key", "ordering by event time, but the event has no timestamp"),
        SQL("row", "the row's PARTITION BY key is NULL", "the row's time column (on_time) is NULL");

        final String noun;
        final String noKey;
        final String noTimestamp;

        Form(String noun, String noKey, String noTimestamp) {
            this.noun = noun;
            this.noKey = noKey;
            this.noTimestamp = noTimestamp;
        }

        public String noun() {
            return noun;
        }
    }

    private final Form form;

    public Admission(Form form) {
        this.form = form;
    }

    public Form form() {
        return form;
    }

    /** The message for an input without a key ({@link Reason#NULL_KEY}). */
    public String noKey() {
        return form.noKey;
    }

    /** The first value of {@code x} that is not finite, as {@code "input[i] is NaN"}; null when all are. */
    public static String nonFinite(float[] x) {
        if (Kernels.allFinite(x)) {
            return null;
        }
        for (int i = 0; i < x.length; i++) {
            if (!Float.isFinite(x[i])) {
                return "input[" + i + "] is " + x[i];
            }
        }
        return null;
    }

    /** The input's width against the model's: null when they agree, else the words for {@link Reason#INPUT_WIDTH}. */
    public static String width(int given, int modelInputs) {
        return given == modelInputs ? null : "the input has " + given + " values, the model takes " + modelInputs;
    }

    /**
     * Ordering by event time: why an input cannot wait for the watermark, or null. It has no timestamp
     * ({@link KeyedEvent#NO_TIMESTAMP}), or it is older than the key's latest applied input (it came
     * later than the allowed lateness).
     */
    public static Reason unorderable(long ts, KeyState ks) {
        if (ts == KeyedEvent.NO_TIMESTAMP) {
            return Reason.NO_TIMESTAMP;
        }
        if (ks != null && ks.lastEventTime != KeyState.NONE && ts < ks.lastEventTime) {
            return Reason.LATE;
        }
        return null;
    }

    /** The words for {@link #unorderable}'s reason. */
    public String unorderableMessage(Reason reason, long ts, KeyState ks, long latenessMs) {
        return reason == Reason.NO_TIMESTAMP
                ? form.noTimestamp
                : form.noun + " time " + ts + " is before " + ks.lastEventTime + ", the key's latest applied " + form.noun
                        + ", beyond the allowed lateness of " + latenessMs + " ms";
    }

    /**
     * Whether one more input may wait for the watermark: null when it may, else why not (the key's
     * or the subtask's limit reached).
     */
    public String bufferFull(long keyWaiting, long perKey, long subtaskWaiting, long perSubtask) {
        if (keyWaiting >= perKey) {
            return "the key has " + keyWaiting + " " + form.noun + "s waiting for the watermark, its limit";
        }
        if (subtaskWaiting >= perSubtask) {
            return "the subtask has " + subtaskWaiting + " " + form.noun + "s waiting for the watermark, its limit";
        }
        return null;
    }
}
