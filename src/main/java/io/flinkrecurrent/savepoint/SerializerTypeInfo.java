package io.flinkrecurrent.savepoint;

import io.flinkrecurrent.annotation.Internal;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/**
 * Type information for a serializer the savepoint itself records (its keys', restored from their
 * serializer snapshot): reading keys of a type the reader was not told.
 */
@Internal
public final class SerializerTypeInfo<T> extends TypeInformation<T> {
    private static final long serialVersionUID = 1L;
    private final TypeSerializer<T> serializer;

    public SerializerTypeInfo(TypeSerializer<T> serializer) {
        this.serializer = serializer;
    }

    @Override public boolean isBasicType() { return false; }
    @Override public boolean isTupleType() { return false; }
    @Override public int getArity() { return 1; }
    @Override public int getTotalFields() { return 1; }

    @Override
    @SuppressWarnings("unchecked")
    public Class<T> getTypeClass() {
        T t = serializer.createInstance();
        return t == null ? (Class<T>) Object.class : (Class<T>) t.getClass();
    }

    @Override public boolean isKeyType() { return true; }

    @Override
    public TypeSerializer<T> createSerializer(SerializerConfig config) {
        return serializer.duplicate();
    }

    @Override public String toString() { return "SerializerTypeInfo(" + serializer + ")"; }

    @Override
    public boolean equals(Object o) {
        return o instanceof SerializerTypeInfo<?> s && s.serializer.equals(serializer);
    }

    @Override public int hashCode() { return serializer.hashCode(); }

    @Override public boolean canEqual(Object o) { return o instanceof SerializerTypeInfo; }
}
