package io.presenter.gateway.lifecycle;

import io.presenter.gateway.lifecycle.LifecycleActions.LifecycleActionException;
import io.presenter.gateway.lifecycle.PresenterAdmin.DrainStatus;
import io.presenter.gateway.lifecycle.PresenterAdmin.UnauthorizedException;
import io.presenter.protocol.process.Durations;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lifecycle-hook side of the drain, without the command line around it:
 * <ol>
 *   <li>poll the instance's target lifecycle state until it reads {@code Terminated} (the
 *       terminate hook's {@code Terminating:Wait}), unless told to start at once;</li>
 *   <li>{@code POST /drain} to the presenter, then {@code GET /drain} every poll interval, sending
 *       a lifecycle heartbeat every heartbeat interval;</li>
 *   <li>complete the lifecycle action with CONTINUE when the presenter reports DRAINED, when its
 *       admin port refuses connections after the drain started (it exited), when no presenter
 *       answered at all for the unreachable grace, or when the maximum wait has passed.</li>
 * </ol>
 * Every wait goes through the {@link LifecycleClock}; failures back off from the poll interval to
 * twelve times it, never faster than the poll interval.
 */
final class LifecycleHandler {

    private static final Logger log = LoggerFactory.getLogger(LifecycleHandler.class);

    /** The lifecycle action was completed, or there was nothing to complete. */
    static final int EXIT_OK = 0;
    /** The action could not be completed (Auto Scaling refused, or the retries ran out). */
    static final int EXIT_FAILED = 1;
    /** The presenter's admin endpoint refused the credential: a configuration error. */
    static final int EXIT_UNAUTHORIZED = 3;

    static final String TERMINATED = "Terminated";
    static final String CONTINUE = "CONTINUE";

    /** How many times CompleteLifecycleAction is tried (on top of the SDK's own retries). */
    private static final int COMPLETE_ATTEMPTS = 8;
    private static final int MAX_BACKOFF_FACTOR = 12;

    record Settings(
            Duration pollInterval,
            Duration heartbeatInterval,
            Duration maxWait,
            Duration adminUnreachableGrace,
            boolean now,
            boolean once) {

        Settings {
            requirePositive("poll interval", pollInterval);
            requirePositive("heartbeat interval", heartbeatInterval);
            requirePositive("max wait", maxWait);
            requirePositive("admin unreachable grace", adminUnreachableGrace);
        }

        private static void requirePositive(String name, Duration d) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, not " + d);
            }
        }
    }

    private final Settings settings;
    private final InstanceMetadata imds;
    private final PresenterAdmin admin;
    private final LifecycleActions actions;
    private final LifecycleClock clock;

    LifecycleHandler(Settings settings, InstanceMetadata imds, PresenterAdmin admin, LifecycleActions actions,
            LifecycleClock clock) {
        this.settings = settings;
        this.imds = imds;
        this.admin = admin;
        this.actions = actions;
        this.clock = clock;
    }

    /** Runs to the end and returns the process exit code. */
    int run() throws InterruptedException {
        if (settings.now()) {
            log.info("--now: not watching instance metadata; starting the drain at once");
        } else {
            Wait wait = awaitTermination();
            if (wait == Wait.NOT_TERMINATING) {
                return EXIT_OK;
            }
            if (wait == Wait.FAILED) {
                return EXIT_FAILED;
            }
        }
        return drainAndComplete();
    }

    private enum Wait { TERMINATING, NOT_TERMINATING, FAILED }

    /** Polls the target lifecycle state until it is {@code Terminated} (or once, with --once). */
    private Wait awaitTermination() throws InterruptedException {
        log.info("watching {} every {}", InstanceMetadata.TARGET_LIFECYCLE_STATE,
                Durations.format(settings.pollInterval()));
        String lastState = null;
        boolean unknownLogged = false;
        int failures = 0;
        while (true) {
            try {
                Optional<String> state = imds.get(InstanceMetadata.TARGET_LIFECYCLE_STATE);
                failures = 0;
                if (state.isEmpty()) {
                    if (!unknownLogged) {
                        log.info("no target lifecycle state in instance metadata yet (404: not in an Auto Scaling group,"
                                + " or not known yet); still polling");
                        unknownLogged = true;
                    }
                } else {
                    if (!state.get().equals(lastState)) {
                        log.info("target lifecycle state: {}", state.get());
                        lastState = state.get();
                    }
                    if (TERMINATED.equals(state.get())) {
                        return Wait.TERMINATING;
                    }
                }
            } catch (IOException e) {
                failures++;
                if (failures == 1 || failures % 20 == 0) {
                    log.warn("instance metadata unreachable ({} failure(s) in a row): {}", failures, e.toString());
                }
            }
            if (settings.once()) {
                return failures == 0 ? Wait.NOT_TERMINATING : Wait.FAILED;
            }
            clock.sleep(backoff(failures));
        }
    }

    /** Starts the drain, heartbeats while it runs, and completes the lifecycle action at the end. */
    private int drainAndComplete() throws InterruptedException {
        long start = clock.nanoTime();
        long deadline = start + settings.maxWait().toNanos();
        long nextHeartbeat = start;
        long adminDownSince = 0;
        boolean adminDown = false;
        boolean drainStarted = false;
        int heartbeatFailures = 0;
        int adminFailures = 0;
        int heartbeats = 0;
        DrainStatus last = null;
        log.info("instance is terminating: draining the presenter at {} (max wait {}, heartbeat every {})",
                admin.drainUri(), Durations.format(settings.maxWait()), Durations.format(settings.heartbeatInterval()));
        while (true) {
            long now = clock.nanoTime();
            if (now - deadline >= 0) {
                log.warn("max wait {} passed and the presenter is not drained (last status: {}); completing the"
                        + " lifecycle action with CONTINUE anyway: the instance terminates now",
                        Durations.format(settings.maxWait()), last == null ? "never answered" : last);
                return complete("max wait passed");
            }
            if (now - nextHeartbeat >= 0) {
                try {
                    actions.recordHeartbeat();
                    heartbeats++;
                    heartbeatFailures = 0;
                    nextHeartbeat = now + settings.heartbeatInterval().toNanos();
                    log.debug("lifecycle heartbeat {} sent", heartbeats);
                } catch (LifecycleActionException e) {
                    heartbeatFailures++;
                    log.warn("lifecycle heartbeat failed ({} in a row): {}", heartbeatFailures, e.getMessage());
                    nextHeartbeat = now + Math.min(backoff(heartbeatFailures).toNanos(),
                            settings.heartbeatInterval().toNanos());
                }
            }
            try {
                DrainStatus status;
                if (!drainStarted) {
                    status = admin.startDrain();
                    drainStarted = true;
                    log.info("drain requested: presenter is {}", status);
                } else {
                    status = admin.status();
                    if (!status.draining() && DrainStatus.SERVING.equals(status.phase())) {
                        // The presenter restarted and serves again: ask again (POST /drain is idempotent).
                        log.warn("presenter reports {} after the drain was requested (restarted?); requesting it again",
                                status);
                        status = admin.startDrain();
                    }
                }
                adminFailures = 0;
                adminDown = false;
                if (last == null || !last.phase().equals(status.phase())) {
                    log.info("presenter drain phase: {}", status);
                }
                last = status;
                if (status.drained()) {
                    log.info("presenter is drained ({} heartbeat(s) sent)", heartbeats);
                    return complete("presenter drained");
                }
            } catch (UnauthorizedException e) {
                if (!drainStarted) {
                    log.error("presenter admin endpoint refused the credential: {}. Not completing the lifecycle"
                            + " action; the hook's heartbeat timeout will apply its default result", e.getMessage());
                    return EXIT_UNAUTHORIZED;
                }
                // The drain runs already (the token changed since?): keep the hook alive and keep watching for
                // the presenter's exit, which needs no credential; --max-wait still bounds the wait.
                adminFailures++;
                if (adminFailures == 1 || adminFailures % 20 == 0) {
                    log.warn("presenter admin endpoint refuses the credential during the drain ({} in a row): {}",
                            adminFailures, e.getMessage());
                }
            } catch (ConnectException e) {
                if (drainStarted) {
                    log.info("presenter admin port refuses connections after the drain started: the presenter has"
                            + " exited (last status: {})", last == null ? "none" : last);
                    return complete("presenter exited");
                }
                adminFailures++;
                if (!adminDown) {
                    adminDown = true;
                    adminDownSince = now;
                    log.warn("nothing listens at {}; retrying for up to {} before deciding there is no presenter to"
                            + " drain", admin.drainUri(), Durations.format(settings.adminUnreachableGrace()));
                } else if (now - adminDownSince - settings.adminUnreachableGrace().toNanos() >= 0) {
                    log.warn("no presenter answered at {} for {}: nothing to drain", admin.drainUri(),
                            Durations.format(settings.adminUnreachableGrace()));
                    return complete("no presenter running");
                }
            } catch (IOException e) {
                adminFailures++;
                if (adminFailures == 1 || adminFailures % 20 == 0) {
                    log.warn("presenter admin request failed ({} in a row): {}", adminFailures, e.toString());
                }
            }
            long wake = now + backoff(adminFailures).toNanos();
            if (wake - nextHeartbeat > 0) {
                wake = nextHeartbeat;
            }
            if (wake - deadline > 0) {
                wake = deadline;
            }
            long pause = wake - clock.nanoTime();
            if (pause > 0) {
                clock.sleep(Duration.ofNanos(pause));
            }
        }
    }

    /** CompleteLifecycleAction CONTINUE, retried with backoff a bounded number of times. */
    private int complete(String why) throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                actions.complete(CONTINUE);
                log.info("lifecycle action completed with CONTINUE ({})", why);
                return EXIT_OK;
            } catch (LifecycleActionException e) {
                if (e.actionGone()) {
                    log.warn("no pending lifecycle action to complete ({}): it was completed elsewhere or timed out",
                            e.getMessage());
                    return EXIT_OK;
                }
                if (!e.retryable() || attempt == COMPLETE_ATTEMPTS) {
                    log.error("could not complete the lifecycle action after {} attempt(s): {}", attempt, e.getMessage());
                    return EXIT_FAILED;
                }
                log.warn("completing the lifecycle action failed (attempt {} of {}): {}", attempt, COMPLETE_ATTEMPTS,
                        e.getMessage());
                clock.sleep(backoff(attempt));
            }
        }
    }

    /** The poll interval after no failure, doubling per failure up to twelve times it. */
    private Duration backoff(int failures) {
        long factor = failures <= 0 ? 1 : Math.min(MAX_BACKOFF_FACTOR, 1L << Math.min(failures, 4));
        return settings.pollInterval().multipliedBy(factor);
    }
}
