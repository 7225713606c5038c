package io.presenter.gateway.config;

import io.presenter.protocol.process.Durations;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * One key of the presenter's config file: its dotted name, what it is for, its default and how a
 * value is read. A value comes from YAML (a string, number, boolean or list) or, for overrides,
 * from a string ({@code --set key=value}, {@code PRESENTER_*} environment variables); every
 * parser accepts both.
 *
 * @param <T> the type the daemon uses
 */
public final class Setting<T> {

    private final String key;
    private final String description;
    private final T defaultValue;
    private final String shownDefault;
    private final Function<Object, T> parser;
    private final boolean required;

    private Setting(String key, String description, T defaultValue, String shownDefault, Function<Object, T> parser) {
        this(key, description, defaultValue, shownDefault, parser, false);
    }

    private Setting(String key, String description, T defaultValue, String shownDefault, Function<Object, T> parser,
            boolean required) {
        this.required = required;
        this.key = key;
        this.description = description;
        this.defaultValue = defaultValue;
        this.shownDefault = shownDefault;
        this.parser = parser;
    }

    public static Setting<String> string(String key, String defaultValue, String description) {
        return new Setting<>(key, description, defaultValue, defaultValue, Setting::text);
    }

    public static Setting<Integer> integer(String key, int defaultValue, int min, int max, String description) {
        return new Setting<>(key, description, defaultValue, Integer.toString(defaultValue), value -> {
            int parsed;
            try {
                parsed = value instanceof Number number ? Math.toIntExact(number.longValue())
                        : Integer.parseInt(text(value).replace("_", ""));
            } catch (NumberFormatException | ArithmeticException e) {
                throw new IllegalArgumentException("expected a whole number, got '" + value + "'");
            }
            if (parsed < min || parsed > max) {
                throw new IllegalArgumentException("must be " + min + ".." + max + ", got " + parsed);
            }
            return parsed;
        });
    }

    public static Setting<Double> fraction(String key, double defaultValue, String description) {
        return new Setting<>(key, description, defaultValue, Double.toString(defaultValue), value -> {
            double parsed;
            try {
                parsed = value instanceof Number number ? number.doubleValue() : Double.parseDouble(text(value));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("expected a number, got '" + value + "'");
            }
            if (!(parsed >= 0 && parsed <= 1)) {
                throw new IllegalArgumentException("must be 0..1, got " + parsed);
            }
            return parsed;
        });
    }

    public static Setting<Boolean> bool(String key, boolean defaultValue, String description) {
        return new Setting<>(key, description, defaultValue, Boolean.toString(defaultValue), value -> {
            if (value instanceof Boolean b) {
                return b;
            }
            return switch (text(value).toLowerCase()) {
                case "true", "yes", "on" -> true;
                case "false", "no", "off" -> false;
                default -> throw new IllegalArgumentException("expected true or false, got '" + value + "'");
            };
        });
    }

    /** A duration written {@code 500ms}, {@code 10s}, {@code 5m}, {@code 24h} or ISO-8601. */
    public static Setting<Duration> duration(String key, Duration defaultValue, String description) {
        return new Setting<>(key, description, defaultValue, Durations.format(defaultValue),
                value -> Durations.parse(text(value)));
    }

    /** A file; {@code null} by default means "none", and the description says what that does. */
    public static Setting<Path> path(String key, String description) {
        return new Setting<>(key, description, null, null, value -> Path.of(text(value)));
    }

    /** A list, in YAML as a list or, in an override, comma-separated. */
    public static Setting<List<String>> stringList(String key, List<String> defaultValue, String description) {
        return new Setting<>(key, description, defaultValue, defaultValue == null ? null : String.join(",", defaultValue),
                value -> value instanceof List<?> list ? list.stream().map(Setting::text).toList()
                        : Arrays.stream(text(value).split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList());
    }

    /** A setting whose value the caller reads itself (e.g. a list of maps). */
    public static <T> Setting<T> custom(String key, T defaultValue, String shownDefault, Function<Object, T> parser,
            String description) {
        return new Setting<>(key, description, defaultValue, shownDefault, parser);
    }

    /** A required setting of a type {@link #string} and friends give, without a default. */
    public Setting<T> required() {
        return new Setting<>(key, description, null, null, parser, true);
    }

    static String text(Object value) {
        String text = Objects.toString(value, "").trim();
        if (value instanceof java.util.Map || value instanceof List) {
            throw new IllegalArgumentException("expected a single value, got " + value);
        }
        return text;
    }

    public String key() {
        return key;
    }

    /** Whether the daemon refuses to start without a value. */
    public boolean isRequired() {
        return required;
    }

    public String description() {
        return description;
    }

    /** The default, or null when there is none (a required setting, or an optional file). */
    public T defaultValue() {
        return defaultValue;
    }

    /** The default as written in the config file, or null. */
    public String shownDefault() {
        return shownDefault;
    }

    /** Reads a value from the config file or an override. */
    T parse(Object value) {
        return parser.apply(value);
    }

    @Override
    public String toString() {
        return key;
    }
}
