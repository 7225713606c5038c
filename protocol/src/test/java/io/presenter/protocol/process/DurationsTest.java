package io.presenter.protocol.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DurationsTest {

    @Test
    void readsTheUnitsOperatorsWriteAndIso8601() {
        assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(Durations.parse("10s")).isEqualTo(Duration.ofSeconds(10));
        assertThat(Durations.parse("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(Durations.parse("2d")).isEqualTo(Duration.ofDays(2));
        assertThat(Durations.parse("PT10S")).isEqualTo(Duration.ofSeconds(10));
        assertThat(Durations.parse("PT1.5S")).isEqualTo(Duration.ofMillis(1500));
        assertThat(Durations.parse("PT1H")).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void formatsInTheShortestExactUnit() {
        assertThat(Durations.format(Duration.ofHours(24))).isEqualTo("1d");
        assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
        assertThat(Durations.format(Duration.ofSeconds(90))).isEqualTo("90s");
        assertThat(Durations.format(Duration.ofMinutes(5))).isEqualTo("5m");
    }

    @Test
    void theConverterReportsABadValueAsACommandLineError() {
        DurationConverter converter = new DurationConverter();
        assertThat(converter.convert("PT10S")).isEqualTo(converter.convert("10s"));
        assertThatThrownBy(() -> converter.convert("ten seconds"))
                .isInstanceOf(CommandLine.TypeConversionException.class)
                .hasMessageContaining("10s").hasMessageContaining("PT10S");
    }

    @Test
    void theVersionNamesTheCommandItAnswersFor() {
        @CommandLine.Command(name = "tool", versionProvider = ManifestVersion.class,
                subcommands = Sub.class)
        class Tool {}
        CommandLine cli = new CommandLine(new Tool());
        assertThat(cli.getCommandSpec().version()).containsExactly("tool dev");
        assertThat(cli.getSubcommands().get("sub").getCommandSpec().version()).containsExactly("tool sub dev");
    }

    @CommandLine.Command(name = "sub", versionProvider = ManifestVersion.class)
    static final class Sub {}
}
