package io.flinkrecurrent.runtime;

import io.flinkrecurrent.flink.InputFiller;
import io.flinkrecurrent.flink.OutputEmitter;
import io.flinkrecurrent.flink.RecurrentBuilder;
import io.flinkrecurrent.flink.RejectedEvent;
import io.flinkrecurrent.annotation.Internal;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.util.OutputTag;

import java.io.Serializable;
import java.util.Objects;

/**
 * How the operator core reads the user's events and writes its results: the input, the reset flag,
 * the event time, the output, and the rejection record. Built by {@link RecurrentBuilder} for the typed
 * API and by {@link Recurrent.Builder} for {@link KeyedEvent}s.
 *
 * @param <T> the user's event
 * @param <K> the key
 * @param <R> the result
 * @param <X> the rejection record on the side output
 */
@Internal
public record EventBinding<T, K, R, X>(
        TypeInformation<T> eventType,
        InputFiller<T> input,
        RecurrentBuilder.ResetCondition<T> reset,
        RecurrentBuilder.EventTimestamp<T> timestamp,
        OutputEmitter<T, K, R> emitter,
        Rejecter<T, X> rejecter,
        OutputTag<X> rejectedTag) implements Serializable {

    public EventBinding {
        Objects.requireNonNull(eventType, "eventType");
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(emitter, "emitter");
        Objects.requireNonNull(rejecter, "rejecter");
        Objects.requireNonNull(rejectedTag, "rejectedTag");
    }

    /** Makes the side output's record for an event that was not applied. */
    @FunctionalInterface
    public interface Rejecter<T, X> extends Serializable {
        /** @param key the event's key, or null */
        X reject(T event, Object key, RejectedEvent.Reason reason, String message);
    }
}
