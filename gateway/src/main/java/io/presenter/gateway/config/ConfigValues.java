package io.presenter.gateway.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * The values of every {@link Setting} of a schema, read and checked at once, from lowest to
 * highest precedence: defaults, the YAML file, {@code PRESENTER_*} environment variables, then
 * {@code key=value} overrides (the command line's {@code --set}). An unknown key, a bad value or a
 * missing required setting is an error naming the key and its source, and all of them are
 * reported together so an operator fixes a file in one pass.
 */
public final class ConfigValues {

    private static final String ENV_PREFIX = "PRESENTER_";

    private final Map<String, Object> parsed;

    private ConfigValues(Map<String, Object> parsed) {
        this.parsed = parsed;
    }

    /**
     * @param file the YAML config file, or null for defaults only
     * @param env the environment ({@code System.getenv()})
     * @param overrides {@code key=value} strings, applied last
     */
    public static ConfigValues load(Collection<Setting<?>> schema, Path file, Map<String, String> env,
            List<String> overrides) throws ConfigException {
        Map<String, Setting<?>> byKey = new LinkedHashMap<>();
        schema.forEach(s -> byKey.put(s.key(), s));
        Map<String, Object> raw = new LinkedHashMap<>();
        Map<String, String> origin = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        if (file != null) {
            flatten("", readYaml(file), byKey, raw, problems);
            raw.keySet().forEach(key -> origin.put(key, file.toString()));
        }
        for (Setting<?> setting : schema) {
            String name = envName(setting.key());
            if (env.containsKey(name)) {
                raw.put(setting.key(), env.get(name));
                origin.put(setting.key(), "environment " + name);
            }
        }
        for (String override : overrides) {
            int eq = override.indexOf('=');
            String key = eq < 0 ? override : override.substring(0, eq).trim();
            if (eq < 0) {
                problems.add("--set " + override + ": expected key=value");
            } else if (!byKey.containsKey(key)) {
                problems.add("--set " + key + ": unknown setting");
            } else {
                raw.put(key, override.substring(eq + 1));
                origin.put(key, "--set");
            }
        }
        Map<String, Object> parsed = new LinkedHashMap<>();
        for (Setting<?> setting : schema) {
            Object value = raw.get(setting.key());
            if (value == null || "".equals(value)) {
                if (setting.isRequired()) {
                    problems.add(setting.key() + " is required");
                }
                parsed.put(setting.key(), setting.defaultValue());
                continue;
            }
            try {
                parsed.put(setting.key(), setting.parse(value));
            } catch (IllegalArgumentException e) {
                problems.add(setting.key() + " (" + origin.get(setting.key()) + "): " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new ConfigValues(parsed);
    }

    /** {@code tls.handshake-timeout} is read from {@code PRESENTER_TLS_HANDSHAKE_TIMEOUT}. */
    public static String envName(String key) {
        return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /** The value of {@code setting}: its default when not configured; null for an absent optional one. */
    @SuppressWarnings("unchecked")
    public <T> T get(Setting<T> setting) {
        if (!parsed.containsKey(setting.key())) {
            throw new IllegalArgumentException("not in this config's schema: " + setting.key());
        }
        return (T) parsed.get(setting.key());
    }

    /** Reads a YAML file into nested maps; an empty file is an empty config. */
    static Map<?, ?> readYaml(Path file) throws ConfigException {
        try (Reader reader = Files.newBufferedReader(file)) {
            Object root = new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
            if (root == null) {
                return Map.of();
            }
            if (!(root instanceof Map<?, ?> map)) {
                throw new ConfigException(file + ": expected a map of settings at the top level");
            }
            return map;
        } catch (IOException | YAMLException e) {
            throw new ConfigException(file + ": " + e.getMessage());
        }
    }

    /** Nested maps become dotted keys, down to a key the schema knows (whose value may be a list). */
    static void flatten(String prefix, Map<?, ?> map, Map<String, Setting<?>> schema, Map<String, Object> into,
            List<String> problems) {
        map.forEach((name, value) -> {
            String key = prefix + name;
            if (schema.containsKey(key)) {
                into.put(key, value);
            } else if (value instanceof Map<?, ?> nested) {
                flatten(key + ".", nested, schema, into, problems);
            } else {
                problems.add(key + ": unknown setting");
            }
        });
    }
}
