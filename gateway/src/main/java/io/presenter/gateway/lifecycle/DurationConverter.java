package io.presenter.gateway.lifecycle;

import io.presenter.gateway.config.Durations;
import java.time.Duration;
import picocli.CommandLine;

/** Reads command-line durations as the presenter's config does: {@code 250ms}, {@code 30s}, {@code 5m}, ISO-8601. */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        return Durations.parse(value);
    }
}
