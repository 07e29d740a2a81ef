package io.flinkrecurrent.api;

import io.flinkrecurrent.annotation.Internal;
import io.flinkrecurrent.annotation.PublicEvolving;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The library says what is API: every public type of it is {@code @PublicEvolving} or {@code @Internal}
 * (not both), and the layers keep their dependencies: the cells and the loader import nothing of Flink.
 */
class ApiSurfaceTest {
    static final Path SOURCES = Path.of("src/main/java/io/flinkrecurrent");

    static List<Class<?>> publicTypes() throws Exception {
        Path classes = Path.of(PublicEvolving.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<Class<?>> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(classes.resolve("io/flinkrecurrent"))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String rel = classes.relativize(f).toString();
                if (!rel.endsWith(".class") || rel.contains("$")) {
                    continue;
                }
                Class<?> c = Class.forName(rel.substring(0, rel.length() - 6).replace('/', '.'), false,
                        ApiSurfaceTest.class.getClassLoader());
                if (Modifier.isPublic(c.getModifiers()) && !c.isAnnotation() && !c.getPackageName().endsWith(".annotation")) {
                    out.add(c);
                }
            }
        }
        return out;
    }

    @Test
    void everyPublicTypeSaysWhetherItIsApi() throws Exception {
        List<Class<?>> types = publicTypes();
        assertTrue(types.size() > 30, "found " + types.size() + " public types");
        List<String> unmarked = new ArrayList<>();
        for (Class<?> c : types) {
            boolean api = c.isAnnotationPresent(PublicEvolving.class);
            boolean internal = c.isAnnotationPresent(Internal.class);
            if (api == internal) {
                unmarked.add(c.getName() + (api ? " (both)" : ""));
            }
        }
        assertEquals(List.of(), unmarked, "public types without @PublicEvolving or @Internal");
    }

    @Test
    void theCellsAndTheLoaderImportNothingOfFlink() throws IOException {
        List<String> offenders = new ArrayList<>();
        for (String layer : new String[] {"cell", "model", "annotation"}) {
            try (Stream<Path> files = Files.walk(SOURCES.resolve(layer))) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    if (f.toString().endsWith(".java") && Files.readString(f).contains("org.apache.flink")) {
                        offenders.add(f.toString());
                    }
                }
            }
        }
        assertEquals(List.of(), offenders);
    }
}
