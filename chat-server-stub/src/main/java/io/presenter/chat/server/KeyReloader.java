package io.presenter.chat.server;

import io.presenter.protocol.auth.TokenKeys;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Re-reads a token key file periodically, so keys rotate without a restart. */
final class KeyReloader {

    private static final Logger log = LoggerFactory.getLogger(KeyReloader.class);

    private KeyReloader() {}

    /** Starts a daemon thread reloading {@code keys} every {@code period}; a bad file keeps the old keys. */
    static ScheduledExecutorService every(Duration period, TokenKeys keys) {
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "token-key-reload");
            thread.setDaemon(true);
            return thread;
        });
        scheduler.scheduleWithFixedDelay(() -> {
            try {
                keys.reload();
            } catch (IOException | RuntimeException e) {
                log.warn("token keys not reloaded, keeping the current ones: {}", e.getMessage());
            }
        }, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
        return scheduler;
    }
}
