package io.presenter.protocol.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.presenter.protocol.mux.MuxConnection;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The protocol jar's API names only public types: a dependent on the class path sees no more
 * than the public classes, so a public method that returns or takes a package-private type
 * (as {@code MuxStream.config()} once did) would hand it an engine class it cannot name.
 */
class PublicApiTest {

    @Test
    void publicMembersOfPublicClassesUseOnlyPublicTypes() throws Exception {
        List<String> leaks = new ArrayList<>();
        for (Class<?> type : mainClasses()) {
            if (!isVisible(type)) {
                continue;
            }
            List<Member> members = new ArrayList<>();
            members.addAll(List.of(type.getDeclaredMethods()));
            members.addAll(List.of(type.getDeclaredConstructors()));
            members.addAll(List.of(type.getDeclaredFields()));
            for (Member member : members) {
                if (isApi(member)) {
                    for (Class<?> used : typesOf(member)) {
                        if (!isVisible(used)) {
                            leaks.add(type.getName() + "." + member.getName() + " uses " + used.getName());
                        }
                    }
                }
            }
        }
        assertThat(leaks).isEmpty();
    }

    private static boolean isApi(Member member) {
        int modifiers = member.getModifiers();
        return !member.isSynthetic() && (Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers));
    }

    private static List<Class<?>> typesOf(Member member) {
        List<Class<?>> types = new ArrayList<>();
        if (member instanceof Field field) {
            types.add(field.getType());
        } else if (member instanceof Executable executable) {
            types.addAll(List.of(executable.getParameterTypes()));
            types.addAll(List.of(executable.getExceptionTypes()));
            if (executable instanceof Method method) {
                types.add(method.getReturnType());
            }
        }
        return types;
    }

    /** Public (or protected, for a nested type a subclass may name), and so are the classes around it. */
    private static boolean isVisible(Class<?> type) {
        while (type.isArray()) {
            type = type.getComponentType();
        }
        for (Class<?> c = type; c != null; c = c.getEnclosingClass()) {
            if (!c.isPrimitive() && !Modifier.isPublic(c.getModifiers()) && !Modifier.isProtected(c.getModifiers())) {
                return false;
            }
        }
        return true;
    }

    /** Every class compiled from protocol's main sources. */
    private static List<Class<?>> mainClasses() throws IOException, URISyntaxException, ClassNotFoundException {
        Path root = Path.of(MuxConnection.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<Class<?>> classes = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                String name = root.relativize(file).toString().replace('/', '.').replaceAll("\\.class$", "");
                if (!name.endsWith("module-info") && !name.endsWith("package-info")) {
                    classes.add(Class.forName(name, false, PublicApiTest.class.getClassLoader()));
                }
            }
        }
        assertThat(classes).contains(MuxConnection.class);
        return classes;
    }
}
