package io.presenter.protocol.process;

import java.time.Duration;
import picocli.CommandLine;

/**
 * Reads a command-line duration with {@link Durations#parse}, so {@code --duration 10s} and
 * {@code --duration PT10S} mean the same to every command (picocli's own converter takes only
 * ISO-8601).
 */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        try {
            return Durations.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
