package io.flinkrecurrent.sql;

import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.cell.RecurrentModel;
import io.flinkrecurrent.flink.KeyState;
import io.flinkrecurrent.flink.KeyStateSerializer;
import io.flinkrecurrent.flink.ModelReference;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.dataview.MapView;
import org.apache.flink.table.functions.FunctionDefinition;
import org.apache.flink.table.functions.TableSemantics;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.inference.ArgumentCount;
import org.apache.flink.table.types.inference.CallContext;
import org.apache.flink.table.types.inference.InputTypeStrategy;
import org.apache.flink.table.types.inference.Signature;
import org.apache.flink.table.types.inference.StateTypeStrategy;
import org.apache.flink.table.types.inference.StaticArgument;
import org.apache.flink.table.types.inference.TypeInference;
import org.apache.flink.types.ColumnList;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;

/**
 * The SQL functions' type inference: the one extracted from their {@code eval}, plus what a query
 * should learn when it is planned rather than when its rows arrive. For {@link RecurrentFunction}: the
 * model file can be read, the input columns exist and are numbers, the reset column is BOOLEAN, the
 * widths agree; for every function the options' arguments ({@code reset_after}, {@code idle_reset},
 * {@code lateness}, {@code max_buffered}, {@code on_non_finite}, where it has them) are valid. And the
 * state TTL comes from the call's {@code state_ttl} argument. Another function (the anomaly module's)
 * gives its own {@link CallCheck} to {@link #of(TypeInference, String, CallCheck)}.
 */
@Internal
public final class RecurrentTypeInference {
    private RecurrentTypeInference() {}

    /**
     * A function's own checks of a call, when the query is planned: throws an
     * {@link IllegalArgumentException} whose message says what is wrong (the planner refuses the query
     * with it, after the function's name).
     */
    @FunctionalInterface
    public interface CallCheck {
        void check(CallContext ctx, Arguments args);
    }

    /** The call's arguments by name, as the checks read them. */
    public static final class Arguments {
        private final List<String> names;

        Arguments(List<StaticArgument> args) {
            this.names = args.stream().map(StaticArgument::getName).toList();
        }

        /** The argument's position, or -1 when the function has none of that name. */
        public int at(String name) {
            return names.indexOf(name);
        }

        /** Whether the call gives the argument: the function has it and the call's value is not NULL. */
        public boolean given(CallContext ctx, String name) {
            int i = at(name);
            return i >= 0 && !ctx.isArgumentNull(i);
        }

        /**
         * The argument's value when the call gives it as a literal of its type; null when it does not give
         * it, or gives an expression or a literal the planner casts (whose value the checks do not see).
         */
        public <T> T value(CallContext ctx, String name, Class<T> type) {
            if (!given(ctx, name) || !ctx.isArgumentLiteral(at(name))) {
                return null;
            }
            return ctx.getArgumentValue(at(name), type).orElse(null);
        }

        /**
         * The argument's value, or null when the call does not give it.
         *
         * @param what the value's words for the message when it is not a literal ("a string literal (the model file's path)")
         * @throws IllegalArgumentException when it is given but not as a literal
         */
        public <T> T literal(CallContext ctx, String name, Class<T> type, String what) {
            if (!given(ctx, name)) {
                return null;
            }
            int i = at(name);
            if (!ctx.isArgumentLiteral(i)) {
                throw new IllegalArgumentException("the argument '" + name + "' must be " + what);
            }
            return ctx.getArgumentValue(i, type).orElseThrow(
                    () -> new IllegalArgumentException("the argument '" + name + "' must be " + what));
        }
    }
    /**
     * The key's state: the DataStream operator's {@link KeyState} under one entry of a map state, serialized
     * by its {@link KeyStateSerializer} (the float state in one block). A map state, not a value state: a
     * PTF's value state is converted to and from Flink's row format, compared and hashed at every row;
     * a map state is read and written only where the function does. A RAW type carries its serializer
     * (Java-serialized) in every savepoint and restores with it, so this state stays in the serializer's
     * format 1, the one release 0.1 wrote (the SQL function keeps no inputs, which format 2 adds).
     */
    static final StateTypeStrategy KEY_STATE_TYPE = StateTypeStrategy.of(ctx -> Optional.of(
            MapView.newMapViewDataType(DataTypes.INT().notNull(), DataTypes.RAW(KeyState.class,
                    KeyStateSerializer.ofFormat(1)))));

    /** {@link RecurrentFunction}'s and {@link RecurrentPassThroughFunction}'s: the model, its online readout, the columns. */
    static TypeInference of(TypeInference extracted) {
        return of(extracted, RecurrentFunction.NAME, RecurrentTypeInference::checkModelAndColumns);
    }

    /**
     * A function's type inference: the extracted one, its key state as {@link #KEY_STATE_TYPE}, every state's
     * TTL from {@code state_ttl}, the options' arguments checked, then {@code check}.
     *
     * @param function the function's name, the start of the planner's messages
     */
    public static TypeInference of(TypeInference extracted, String function, CallCheck check) {
        List<StaticArgument> args = extracted.getStaticArguments().orElseThrow();
        Arguments named = new Arguments(args);
        int stateTtl = named.at("state_ttl");
        if (stateTtl < 0) {
            throw new IllegalStateException("no argument state_ttl");
        }
        LinkedHashMap<String, StateTypeStrategy> states = new LinkedHashMap<>();
        extracted.getStateTypeStrategies().forEach((name, s) -> states.put(name, StateTypeStrategyWithTtl.of(
                name.equals(RecurrentFunctionBase.KEY_STATE) ? KEY_STATE_TYPE : s, stateTtl)));
        return TypeInference.newBuilder()
                .staticArguments(args)
                .inputTypeStrategy(new Checked(extracted.getInputTypeStrategy(), named, function, check))
                .stateTypeStrategies(states)
                .outputTypeStrategy(extracted.getOutputTypeStrategy())
                .build();
    }

    /** The state TTL from the {@code state_ttl} argument (a literal INTERVAL), else none (0). */
    private static final class StateTypeStrategyWithTtl {
        static StateTypeStrategy of(StateTypeStrategy s, int ttlArg) {
            return new StateTypeStrategy() {
                @Override
                public Optional<DataType> inferType(CallContext ctx) {
                    return s.inferType(ctx);
                }

                @Override
                public Optional<Duration> getTimeToLive(CallContext ctx) {
                    if (ctx.isArgumentNull(ttlArg) || !ctx.isArgumentLiteral(ttlArg)) {
                        // none: an explicit 0, as the DataStream operator's default. Flink would otherwise keep
                        // every PTF's state with a TTL of "forever" (so that a TTL can be added later), whose
                        // incremental cleanup on the heap backend cost more than the model's step (docs/sql.md)
                        return Optional.of(Duration.ZERO);
                    }
                    return ctx.getArgumentValue(ttlArg, Duration.class);
                }
            };
        }
    }

    /** The extracted input strategy, then the options' arguments and the function's own checks. */
    private record Checked(InputTypeStrategy extracted, Arguments args, String function, CallCheck check) implements InputTypeStrategy {
        @Override
        public ArgumentCount getArgumentCount() {
            return extracted.getArgumentCount();
        }

        @Override
        public List<Signature> getExpectedSignatures(FunctionDefinition definition) {
            return extracted.getExpectedSignatures(definition);
        }

        @Override
        public Optional<List<DataType>> inferInputTypes(CallContext ctx, boolean throwOnFailure) {
            Optional<List<DataType>> types = extracted.inferInputTypes(ctx, throwOnFailure);
            if (types.isEmpty()) {
                return types;
            }
            try {
                checkOptions(ctx, args);
                check.check(ctx, args);
                return types;
            } catch (IllegalArgumentException problem) {
                return ctx.fail(throwOnFailure, "%s: %s", function, problem.getMessage());
            }
        }
    }

    /** The options' arguments the function has, as {@link RecurrentCall} checks them (those given as literals). */
    private static void checkOptions(CallContext ctx, Arguments args) {
        String problem = RecurrentCall.optionsProblem(
                args.value(ctx, "reset_after", Integer.class),
                args.value(ctx, "idle_reset", Duration.class),
                args.value(ctx, "lateness", Duration.class),
                args.value(ctx, "max_buffered", Integer.class),
                args.value(ctx, "on_non_finite", String.class));
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /** {@code recurrent}'s call: the model can be loaded (with its online readout), the columns fit it. */
    private static void checkModelAndColumns(CallContext ctx, Arguments args) {
        int modelAt = args.at("model");
        if (!ctx.isArgumentLiteral(modelAt) || ctx.isArgumentNull(modelAt)) {
            throw new IllegalArgumentException("the argument 'model' must be a string literal (the model file's path or URI)");
        }
        String ref = ctx.getArgumentValue(modelAt, String.class).orElseThrow();
        RecurrentModel model;
        try {
            model = ModelReference.load(ref).network();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the model '" + ref + "' cannot be loaded: " + e.getMessage(), e);
        }
        String online = args.literal(ctx, "online", String.class, "a string literal ('nlms [mu]' or 'rls [lambda [delta]]')");
        if (online != null) {
            model = RecurrentCall.model(ref, online);
        }
        Optional<TableSemantics> table = ctx.getTableSemantics(args.at("input"));
        if (table.isEmpty()) {
            return;
        }
        List<String> features = null;
        if (args.given(ctx, "features")) {
            ColumnList list = ctx.getArgumentValue(args.at("features"), ColumnList.class).orElse(null);
            features = list == null ? null : list.getNames();
        }
        String reset = args.given(ctx, "reset_column") ? ctx.getArgumentValue(args.at("reset_column"), String.class).orElse(null) : null;
        InputColumns.of(table.get().dataType(), features, reset, model.inputSize(), ref);
    }
}
