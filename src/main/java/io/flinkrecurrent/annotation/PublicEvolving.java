package io.flinkrecurrent.annotation;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Public API: what a job built on flink-recurrent may use. Source-compatible within a minor version;
 * a change that breaks it is named in the release notes. (Our own annotation, so that the cell and
 * model layers stay free of Flink imports; it means what Flink's {@code @PublicEvolving} means.)
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD, ElementType.FIELD, ElementType.CONSTRUCTOR})
public @interface PublicEvolving {}
