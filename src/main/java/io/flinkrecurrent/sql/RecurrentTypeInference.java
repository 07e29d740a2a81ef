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
import org.apache.flink.table.types.logical.ArrayType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeFamily;
import org.apache.flink.table.types.logical.LogicalTypeRoot;
import org.apache.flink.types.ColumnList;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;

/**
 * {@link RecurrentFunction}'s type inference: the one extracted from its {@code eval}, plus what a
 * query should learn when it is planned rather than when its rows arrive: the model file can be read,
 * the input columns exist and are numbers, the reset column is BOOLEAN, the widths agree. And the
 * state TTL comes from the call's {@code state_ttl} argument.
 */
@Internal
final class RecurrentTypeInference {
    private RecurrentTypeInference() {}

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

    static TypeInference of(TypeInference extracted) {
        List<StaticArgument> args = extracted.getStaticArguments().orElseThrow();
        Positions at = new Positions(args);
        LinkedHashMap<String, StateTypeStrategy> states = new LinkedHashMap<>();
        extracted.getStateTypeStrategies().forEach((name, s) -> states.put(name, StateTypeStrategyWithTtl.of(
                name.equals(RecurrentFunction.KEY_STATE) ? KEY_STATE_TYPE : s, at.stateTtl)));
        return TypeInference.newBuilder()
                .staticArguments(args)
                .inputTypeStrategy(new Checked(extracted.getInputTypeStrategy(), at))
                .stateTypeStrategies(states)
                .outputTypeStrategy(extracted.getOutputTypeStrategy())
                .build();
    }

    /** The positions of the arguments the checks read. */
    private record Positions(int input, int model, int features, int resetColumn, int stateTtl, int online) {
        Positions(List<StaticArgument> args) {
            this(index(args, "input"), index(args, "model"), index(args, "features"), index(args, "reset_column"),
                    index(args, "state_ttl"), index(args, "online"));
        }

        private static int index(List<StaticArgument> args, String name) {
            for (int i = 0; i < args.size(); i++) {
                if (args.get(i).getName().equals(name)) {
                    return i;
                }
            }
            throw new IllegalStateException("no argument " + name);
        }
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

    /** The extracted input strategy, then the model and the columns checked. */
    private record Checked(InputTypeStrategy extracted, Positions at) implements InputTypeStrategy {
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
            String problem = problem(ctx);
            return problem == null ? types : ctx.fail(throwOnFailure, "recurrent: %s", problem);
        }

        /** What is wrong with the call, or null. */
        private String problem(CallContext ctx) {
            if (!ctx.isArgumentLiteral(at.model) || ctx.isArgumentNull(at.model)) {
                return "the argument 'model' must be a string literal (the model file's path or URI)";
            }
            String ref = ctx.getArgumentValue(at.model, String.class).orElseThrow();
            RecurrentModel model;
            try {
                model = ModelReference.load(ref).network();
            } catch (RuntimeException e) {
                return "the model '" + ref + "' cannot be loaded: " + e.getMessage();
            }
            if (!ctx.isArgumentNull(at.online)) {
                if (!ctx.isArgumentLiteral(at.online)) {
                    return "the argument 'online' must be a string literal ('nlms [mu]' or 'rls [lambda [delta]]')";
                }
                try {
                    model = RecurrentCall.model(ref, ctx.getArgumentValue(at.online, String.class).orElseThrow());
                } catch (IllegalArgumentException e) {
                    return e.getMessage();
                }
            }
            Optional<TableSemantics> table = ctx.getTableSemantics(at.input);
            if (table.isEmpty()) {
                return null;
            }
            List<String> features = null;
            if (!ctx.isArgumentNull(at.features)) {
                ColumnList list = ctx.getArgumentValue(at.features, ColumnList.class).orElse(null);
                features = list == null ? null : list.getNames();
            }
            String reset = ctx.isArgumentNull(at.resetColumn) ? null : ctx.getArgumentValue(at.resetColumn, String.class).orElse(null);
            try {
                InputColumns.of(table.get().dataType(), features, reset, model.inputSize(), ref);
                return null;
            } catch (InputColumns.Problem p) {
                return p.getMessage();
            }
        }
    }
}
