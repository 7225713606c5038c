package io.presenter.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import io.presenter.gateway.tls.TicketKeyRotation.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The scheduled re-reads of the ticket key file, on a scheduler whose clock the test moves (an
 * {@link EmbeddedChannel}'s event loop with time frozen): when reloads happen, what a changed,
 * unchanged, broken or missing file does, and that closing stops them.
 */
class TicketKeyRotationTest extends AbstractTlsTest {

    private static final Duration INTERVAL = Duration.ofSeconds(60);

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    /** Keys handed to the TLS context, in order. */
    private final List<TicketKeys> installed = new ArrayList<>();
    private final EmbeddedChannel clock = new EmbeddedChannel();
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(TicketKeyRotation.class);
    private Path file;
    private TicketKeys initial;

    @BeforeEach
    void keyFileAndClock() throws Exception {
        file = Files.createTempFile(dir, "ticket", ".keys");
        initial = TicketKeys.generate(file, 1);
        clock.freezeTime();
        logs.start();
        logger.addAppender(logs);
    }

    @AfterEach
    void stopClock() {
        logger.detachAppender(logs);
        clock.finishAndReleaseAll();
    }

    private TicketKeyRotation scheduled(Consumer<TicketKeys> installer) {
        TicketKeyRotation rotation = new TicketKeyRotation(file, initial, installer, registry);
        rotation.schedule(clock.eventLoop(), INTERVAL);
        return rotation;
    }

    /** Moves the scheduler's clock on by {@code by} and runs what came due. */
    private void advance(Duration by) {
        clock.advanceTimeBy(by.toNanos(), TimeUnit.NANOSECONDS);
        clock.runScheduledPendingTasks();
    }

    private double reloads(Result result) {
        return registry.get(TicketKeyRotation.RELOADS).tag("result", result.tag()).counter().count();
    }

    private List<String> warnings() {
        return logs.list.stream().filter(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN)
                .map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test
    void reloadsEveryIntervalAndInstallsOnlyKeysThatChanged() throws Exception {
        try (TicketKeyRotation rotation = scheduled(installed::add)) {
            TicketKeys rotated = initial.rotatedIn(TicketKeys.random(1, new SecureRandom()));
            rotated.write(file);

            advance(INTERVAL.minusSeconds(1));
            assertThat(installed).as("not before one interval").isEmpty();
            assertThat(reloads(Result.CHANGED) + reloads(Result.UNCHANGED) + reloads(Result.FAILED)).isZero();

            advance(Duration.ofSeconds(1));
            assertThat(installed).containsExactly(rotated);
            assertThat(rotation.current()).isEqualTo(rotated);
            assertThat(reloads(Result.CHANGED)).isEqualTo(1.0);

            advance(INTERVAL);
            advance(INTERVAL);
            assertThat(reloads(Result.UNCHANGED)).isEqualTo(2.0);
            assertThat(installed).as("the same keys are not installed again").containsExactly(rotated);

            TicketKeys retired = rotated.withoutOldest(1);
            retired.write(file);
            advance(INTERVAL);
            assertThat(installed).containsExactly(rotated, retired);
            assertThat(reloads(Result.CHANGED)).isEqualTo(2.0);
        }
    }

    @Test
    void brokenOrMissingFileKeepsTheKeysLogsOneLineAndTheReloadsGoOn() throws Exception {
        try (TicketKeyRotation rotation = scheduled(installed::add)) {
            Files.writeString(file, "not base64 at all!\n");
            advance(INTERVAL);
            assertThat(reloads(Result.FAILED)).isEqualTo(1.0);
            assertThat(rotation.current()).isEqualTo(initial);
            assertThat(warnings()).singleElement().asString()
                    .contains("keeping the current 1 key(s)", initial.fingerprint(), file + " line 1", "not valid base64");

            Files.delete(file);
            advance(INTERVAL);
            assertThat(reloads(Result.FAILED)).isEqualTo(2.0);
            assertThat(warnings()).hasSize(2).last().asString().contains("cannot read", file.toString());
            assertThat(installed).isEmpty();

            TicketKeys fresh = TicketKeys.generate(file, 2);
            advance(INTERVAL);
            assertThat(installed).as("the schedule survived the failures").containsExactly(fresh);
            assertThat(rotation.current()).isEqualTo(fresh);
            List<String> keyLines = Files.readAllLines(file).stream().filter(l -> !l.startsWith("#")).toList();
            assertThat(logs.list).extracting(ILoggingEvent::getFormattedMessage).as("no key bytes in the log")
                    .noneMatch(line -> keyLines.stream().anyMatch(line::contains));
        }
    }

    @Test
    void keysTheContextRefusesAreAFailedReloadAndTriedAgain() throws Exception {
        boolean[] refuse = {true};
        try (TicketKeyRotation rotation = scheduled(keys -> {
            if (refuse[0]) {
                refuse[0] = false;
                throw new IllegalStateException("context refused the keys");
            }
            installed.add(keys);
        })) {
            TicketKeys fresh = TicketKeys.generate(file, 1);
            advance(INTERVAL);
            assertThat(reloads(Result.FAILED)).isEqualTo(1.0);
            assertThat(rotation.current()).isEqualTo(initial);
            assertThat(warnings()).singleElement().asString().contains("context refused the keys");

            advance(INTERVAL);
            assertThat(installed).containsExactly(fresh);
            assertThat(rotation.current()).isEqualTo(fresh);
        }
    }

    @Test
    void closeStopsTheReloads() throws Exception {
        TicketKeyRotation rotation = scheduled(installed::add);
        rotation.close();
        TicketKeys.generate(file, 1);
        advance(INTERVAL.multipliedBy(3));
        assertThat(installed).isEmpty();
        assertThat(rotation.current()).isEqualTo(initial);
    }

    /** The factory schedules the reloads at {@code tls.ticket-key-reload-interval}; closing the TLS stops them. */
    @Test
    void serverTlsReloadsAtTheConfiguredIntervalUntilClosed() throws Exception {
        Duration interval = Duration.ofSeconds(5);
        TlsSettings settings = TlsSettings.defaults(List.of(cert)).withTicketKeyFile(file)
                .withTicketKeyReloadInterval(interval);
        ServerTls tls = new ServerTlsContextFactory().create(settings, registry, clock.eventLoop());
        try {
            TicketKeyRotation rotation = tls.ticketKeys().orElseThrow();
            TicketKeys fresh = initial.rotatedIn(TicketKeys.random(1, new SecureRandom()));
            fresh.write(file);

            advance(interval.minusMillis(1));
            assertThat(rotation.current()).isEqualTo(initial);
            advance(Duration.ofMillis(1));
            assertThat(rotation.current()).isEqualTo(fresh);
            assertThat(reloads(Result.CHANGED)).isEqualTo(1.0);

            tls.close();
            TicketKeys.generate(file, 1);
            advance(interval.multipliedBy(3));
            assertThat(rotation.current()).as("no reload after close").isEqualTo(fresh);
            assertThat(reloads(Result.CHANGED) + reloads(Result.UNCHANGED) + reloads(Result.FAILED)).isEqualTo(1.0);
        } finally {
            tls.close();
        }
    }
}
