package io.presenter.gateway.reload;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Reloads when a file the config reads changes: every {@code reload.watch-interval} it compares
 * the contents' fingerprints with the last ones it saw. Polling rather than a
 * {@code WatchService}: it sees a change however the file was replaced ({@code mv}, a symlink
 * swap as Kubernetes and certbot do, an edit in place), on any file system. A change that
 * fails to reload is not retried until a file changes again (or SIGHUP, {@code POST /reload}).
 */
public final class FileWatch implements AutoCloseable {

    private final ConfigReloader reloader;
    private Map<Path, String> seen;
    private final ScheduledFuture<?> schedule;

    private FileWatch(ConfigReloader reloader, ScheduledExecutorService executor, Duration interval) {
        this.reloader = reloader;
        this.seen = FileFingerprints.of(reloader.watched());
        long millis = interval.toMillis();
        this.schedule = executor.scheduleWithFixedDelay(this::look, millis, millis, TimeUnit.MILLISECONDS);
    }

    /** Starts watching; a zero interval watches nothing (returns a watch that does nothing). */
    public static AutoCloseable start(ConfigReloader reloader, ScheduledExecutorService executor, Duration interval) {
        if (interval.isZero()) {
            return () -> { };
        }
        return new FileWatch(reloader, executor, interval);
    }

    private void look() {
        Map<Path, String> now = FileFingerprints.of(reloader.watched());
        if (!now.equals(seen)) {
            reloader.reload("file");
            // The snapshot from before the reload, so that a change made while it ran is seen next
            // time; when the reload switched to other files, theirs.
            Map<Path, String> after = FileFingerprints.of(reloader.watched());
            seen = after.keySet().equals(now.keySet()) ? now : after;
        }
    }

    @Override
    public void close() {
        schedule.cancel(false);
    }
}
