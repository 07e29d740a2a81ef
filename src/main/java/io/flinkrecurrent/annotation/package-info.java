/** Stability markers: {@link io.flinkrecurrent.annotation.PublicEvolving} API and {@link io.flinkrecurrent.annotation.Internal} code. */
package io.flinkrecurrent.annotation;
