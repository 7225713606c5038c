package io.presenter.gateway.reload;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.presenter.gateway.config.ConfigException;
import io.presenter.gateway.config.ConfigSource;
import io.presenter.gateway.config.ConfigValues;
import io.presenter.gateway.config.PresenterConfig;
import io.presenter.gateway.reload.ReloadOutcome.Result;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads a running presenter's config all or nothing. A reload reads the config source again,
 * refuses it whole when anything is wrong (a value, an unknown key, a restart-only setting
 * changed, a certificate that does not parse, has expired or does not match its key, a token key
 * file that does not parse), and otherwise applies it. A refusal leaves everything as it ran, is
 * logged as one line with the reason, counted ({@code presenter.reloads{result=rejected}}) and
 * returned to whoever asked. One reload at a time.
 */
public final class ConfigReloader {

    private static final Logger log = LoggerFactory.getLogger(ConfigReloader.class);

    /** Counter of reloads, tags {@code result} (applied, unchanged, rejected) and {@code trigger}. */
    public static final String RELOADS = "presenter.reloads";

    /** The part of the daemon that checks a candidate and applies it. */
    public interface Target {
        /**
         * Checks {@code candidate} completely (builds what it needs, e.g. the new TLS context) without
         * changing anything that runs; returns what applies it.
         *
         * @throws Exception anything that makes the candidate unusable; its message is the reason
         */
        Runnable prepare(PresenterConfig candidate) throws Exception;
    }

    private final ConfigSource source;
    private final Target target;
    private final MeterRegistry registry;
    private final Clock clock;
    private ConfigValues runningValues;
    private PresenterConfig running;
    private Map<Path, String> runningFiles;
    private volatile ReloadOutcome last;

    /**
     * @param source where the config is read again; null when the daemon was given a config
     *     object: a reload then re-reads only the files it names (certificates, keys, token keys)
     * @param runningValues the values the daemon runs with (null exactly when {@code source} is)
     */
    public ConfigReloader(ConfigSource source, ConfigValues runningValues, PresenterConfig running, Target target,
            MeterRegistry registry, Clock clock) {
        this.source = source;
        this.runningValues = runningValues;
        this.running = running;
        this.target = target;
        this.registry = registry;
        this.clock = clock;
        this.runningFiles = FileFingerprints.of(watched());
        for (Result result : Result.values()) {
            counter(result, "sighup");
            counter(result, "admin");
            counter(result, "file");
        }
    }

    private Counter counter(Result result, String trigger) {
        return Counter.builder(RELOADS).description("Config reloads by outcome and trigger")
                .tag("result", result.tag()).tag("trigger", trigger).register(registry);
    }

    /** The files whose contents a reload reads, for the running config. */
    public synchronized List<Path> watched() {
        return FileFingerprints.watched(source == null ? null : source.file(), running);
    }

    /** Reloads now; never throws. {@code trigger} names who asked (a tag and a log word). */
    public synchronized ReloadOutcome reload(String trigger) {
        List<String> changed = new ArrayList<>();
        ReloadOutcome outcome;
        try {
            ConfigValues values = source == null ? null : source.values();
            PresenterConfig candidate = values == null ? running : PresenterConfig.from(values);
            if (values != null) {
                changed.addAll(LiveSettings.changed(runningValues, values));
                List<String> restartOnly = LiveSettings.restartOnly(changed);
                if (!restartOnly.isEmpty()) {
                    throw new ConfigException(String.join(", ", restartOnly) + " cannot change while running "
                            + "(restart or hand over to a new process to change " + (restartOnly.size() == 1 ? "it" : "them")
                            + ")");
                }
            }
            Map<Path, String> candidateFiles = FileFingerprints.of(
                    FileFingerprints.watched(source == null ? null : source.file(), candidate));
            candidateFiles.forEach((file, fingerprint) -> {
                if (!Objects.equals(runningFiles.get(file), fingerprint) && !file.equals(source == null ? null : source.file())) {
                    changed.add(file.toString());
                }
            });
            Runnable apply = target.prepare(candidate);
            if (changed.isEmpty()) {
                outcome = new ReloadOutcome(Result.UNCHANGED, trigger, changed, "", clock.instant());
            } else {
                apply.run();
                running = candidate;
                runningValues = values;
                runningFiles = candidateFiles;
                outcome = new ReloadOutcome(Result.APPLIED, trigger, changed, "", clock.instant());
            }
        } catch (Exception e) {
            String reason = e.getMessage() != null ? e.getMessage() : e.toString();
            outcome = new ReloadOutcome(Result.REJECTED, trigger, changed, reason, clock.instant());
        }
        counter(outcome.result(), trigger).increment();
        if (outcome.rejected()) {
            log.warn("reload ({}) rejected, running config kept: {}", trigger, outcome.reason());
        } else {
            log.info("reload ({}): {}{}", trigger, outcome.result().tag(),
                    outcome.changed().isEmpty() ? "" : " " + outcome.changed());
        }
        last = outcome;
        return outcome;
    }

    /** The latest reload's outcome, or null before the first. */
    public ReloadOutcome last() {
        return last;
    }

    /** The config the daemon runs with now. */
    public synchronized PresenterConfig running() {
        return running;
    }
}
