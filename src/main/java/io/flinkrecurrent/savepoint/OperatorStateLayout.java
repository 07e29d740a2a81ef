package io.flinkrecurrent.savepoint;

import io.flinkrecurrent.runtime.AwaitingModel;
import io.flinkrecurrent.runtime.EventTimeBuffer;
import io.flinkrecurrent.runtime.KeptInputs;
import io.flinkrecurrent.runtime.ModelGenerations;
import io.flinkrecurrent.runtime.RecurrentOperator;
import io.flinkrecurrent.runtime.ShadowStepper;
import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.flink.KeyState;
import io.flinkrecurrent.runtime.KeyStates;
import io.flinkrecurrent.flink.SwapRecord;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.base.IntSerializer;
import org.apache.flink.api.common.typeutils.base.LongSerializer;
import org.apache.flink.api.common.typeutils.base.array.FloatPrimitiveArraySerializer;
import org.apache.flink.api.common.typeutils.base.array.LongPrimitiveArraySerializer;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;

import java.time.Duration;
import java.util.List;

/**
 * The one place where savepoint inspection and bootstrap meet the operator: the name of every state,
 * timer service and broadcast state that {@code RecurrentOperator} (and the SQL function) keep, with the
 * serializer and the namespace each is written with. Nothing else in this package names the operator's
 * state. {@code OperatorStateLayoutTest} pins these names against a savepoint the real operator writes,
 * so a renamed state fails a test here, not a user's inspection.
 *
 * <p>When the operator's layout changes (a state folded into another, a serializer version bump), this
 * class and {@link RecurrentStateReader#read}/{@link RecurrentBootstrap} are what to adapt.
 */
@Internal
public final class OperatorStateLayout {
    private OperatorStateLayout() {}

    // ---------------------------------------------------------------- the DataStream operator (keyed, void namespace unless said)

    /** The key's {@link KeyState}, {@link io.flinkrecurrent.flink.KeyStateSerializer}; the same in the SQL function under {@link #SQL_KEY_STATE}. */
    public static final String KEY_STATE = RecurrentOperator.STATE;
    /** The shadow model's per-key {@link KeyState} (swappable operators with a shadow running). */
    public static final String SHADOW_STATE = ShadowStepper.STATE;
    /**
     * With {@code keepInputs}: the key's ring of last inputs, a {@code float[]} ({@code [count, next, x...]}, see
     * InputRing), written behind at every checkpoint (KeptInputs), with the key state's TTL.
     */
    public static final String KEPT_INPUTS = KeptInputs.STATE;
    /**
     * With {@code keepInputs}, release 0.1's place of the same ring (no TTL); for a while after it the ring was
     * {@link KeyState#recentInputs}, inside the key's state (its serializer's format 2). A savepoint read
     * here takes a key's ring from {@link #KEPT_INPUTS}, else from its state, else from this one.
     */
    public static final String RECENT_INPUTS = RecurrentOperator.LEGACY_RECENT_INPUTS;
    /** With event-time ordering: the key's waiting events of one timestamp; a list state whose NAMESPACE is the timestamp (Long). */
    public static final String PENDING = EventTimeBuffer.PENDING;
    /** With event-time ordering: {@code long[] {count, t1, t2, ...}}, the key's waiting count and distinct timestamps in order. */
    public static final String PENDING_TIMES = EventTimeBuffer.PENDING_TIMES;
    /** An operator without a model: the key's events waiting for the first one (list state of the event type). */
    public static final String AWAITING = AwaitingModel.EVENTS;
    /** Their count (Integer). */
    public static final String AWAITING_COUNT = AwaitingModel.COUNT;
    /** Timer service of the idle resets (namespace void; event or processing time as the options say). */
    public static final String IDLE_TIMERS = RecurrentOperator.IDLE_TIMERS;
    /** Timer service of the ordering buffer's releases (event time, namespace void, at timestamp + lateness). */
    public static final String RELEASE_TIMERS = EventTimeBuffer.RELEASE_TIMERS;
    /** Operator (broadcast) state of a swappable operator: generation -> {@link SwapRecord}. */
    public static final String MODELS = ModelGenerations.STATE;
    /** Operator (union list) state of the ordering buffer: {@code long[] {keyGroup, count}}. */
    public static final String BUFFERED_BY_KEY_GROUP = EventTimeBuffer.COUNTS;

    // ---------------------------------------------------------------- the SQL function (a Process Table Function)

    /** The SQL function's key state: a map state {@code INT -> RAW(KeyState)}, the key's state under entry 0. */
    public static final String SQL_KEY_STATE = "recurrent";
    /** With {@code on_time}: {@code ROW<n INT, call STRING>}. */
    public static final String SQL_WAITING = "waiting";
    /** With {@code on_time}: event time -> the waiting rows {@code [reset, x...]} concatenated. */
    public static final String SQL_WAITING_ROWS = "waiting_rows";

    /** The keyed states that make a savepoint's operator a recurrent one (either form). */
    public static final List<String> MARKERS = List.of(KEY_STATE, SQL_KEY_STATE);

    /** Every keyed state name of the DataStream operator (any options). */
    public static final List<String> KEYED_STATES = List.of(KEY_STATE, SHADOW_STATE, KEPT_INPUTS, RECENT_INPUTS, PENDING, PENDING_TIMES,
            AWAITING, AWAITING_COUNT);
    /** Every timer service name of the DataStream operator. */
    public static final List<String> TIMER_SERVICES = List.of(IDLE_TIMERS, RELEASE_TIMERS);
    /** Every operator state name of the DataStream operator. */
    public static final List<String> OPERATOR_STATES = List.of(MODELS, BUFFERED_BY_KEY_GROUP);

    /** The namespace of every keyed state but {@link #PENDING}. */
    public static final TypeSerializer<?> VOID_NAMESPACE = VoidNamespaceSerializer.INSTANCE;
    /** {@link #PENDING}'s namespace: the events' timestamp. */
    public static final TypeSerializer<Long> PENDING_NAMESPACE = LongSerializer.INSTANCE;

    /** {@link #KEY_STATE}, with the operator's TTL (null: none) — the TTL wraps the value, so it must match. */
    public static ValueStateDescriptor<KeyState> keyState(Duration ttl) {
        ValueStateDescriptor<KeyState> d = KeyStates.descriptor(KEY_STATE, ttl);
        return d;
    }

    public static ValueStateDescriptor<KeyState> shadowState(Duration ttl) {
        return KeyStates.descriptor(SHADOW_STATE, ttl);
    }

    public static ValueStateDescriptor<float[]> recentInputs() {
        return KeptInputs.legacyDescriptor();
    }

    /** {@link #KEPT_INPUTS}, with the operator's TTL (null: none). */
    public static ValueStateDescriptor<float[]> keptInputs(Duration ttl) {
        return KeptInputs.descriptor(ttl);
    }

    public static ValueStateDescriptor<long[]> pendingTimes() {
        return new ValueStateDescriptor<>(PENDING_TIMES, LongPrimitiveArraySerializer.INSTANCE);
    }

    /** {@link #PENDING} with the event serializer (the savepoint's own, restored from its snapshot, when the type is not known). */
    public static <T> ListStateDescriptor<T> pending(TypeSerializer<T> events) {
        return new ListStateDescriptor<>(PENDING, events);
    }

    public static <T> ListStateDescriptor<T> awaiting(TypeSerializer<T> events) {
        return new ListStateDescriptor<>(AWAITING, events);
    }

    public static ValueStateDescriptor<Integer> awaitingCount() {
        return new ValueStateDescriptor<>(AWAITING_COUNT, IntSerializer.INSTANCE);
    }

    /** The broadcast state's key and value types ({@link ModelGenerations#DESCRIPTOR}). */
    public static final TypeInformation<Long> MODELS_KEY = Types.LONG;
    public static final TypeInformation<SwapRecord> MODELS_VALUE = TypeInformation.of(SwapRecord.class);

    public static MapStateDescriptor<Long, SwapRecord> models() {
        return new MapStateDescriptor<>(MODELS, MODELS_KEY, MODELS_VALUE);
    }
}
