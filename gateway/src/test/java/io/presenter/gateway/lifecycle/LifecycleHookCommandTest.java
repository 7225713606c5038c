package io.presenter.gateway.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import io.presenter.testing.Await;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * The lifecycle-hook command end to end on loopback: a stand-in instance metadata service
 * (IMDSv2 enforced), a stand-in presenter admin endpoint whose drain phase the test advances, and
 * a recording stand-in for the Auto Scaling API behind the real AWS SDK client.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LifecycleHookCommandTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String INSTANCE = "i-0123456789abcdef0";
    private static final String GROUP = "presenter-asg";
    private static final String HOOK = "presenter-drain";
    private static final String TOKEN = "s3cret-admin-token";
    private static final String ACCESS_KEY = "AKIDLIFECYCLETEST";

    @TempDir
    Path dir;

    private FakeImds imds;
    private FakePresenterAdmin admin;
    private FakeAutoScaling autoscaling;
    private Path tokenFile;
    private final ExecutorService executor = Executors.newSingleThreadExecutor();

    @BeforeEach
    void start() throws IOException {
        imds = new FakeImds()
                .set(InstanceMetadata.INSTANCE_ID, INSTANCE)
                .set(InstanceMetadata.REGION, "eu-west-1")
                .set(InstanceMetadata.ASG_NAME_TAG, GROUP);
        admin = new FakePresenterAdmin(TOKEN);
        autoscaling = new FakeAutoScaling();
        tokenFile = Files.writeString(dir.resolve("admin.token"), TOKEN + "\n", StandardCharsets.UTF_8);
    }

    @AfterEach
    void stop() throws InterruptedException {
        executor.shutdownNow();
        assertThat(executor.awaitTermination(10, TimeUnit.SECONDS)).as("handler thread ended").isTrue();
        imds.close();
        admin.close();
        autoscaling.close();
    }

    @Test
    void drainsOnlyOnceTerminatingThenHeartbeatsAndCompletesWhenDrained() throws Exception {
        // No target lifecycle state yet (404), as before the instance joins its group.
        Future<Integer> run = run(LifecycleClock.SYSTEM, fastIntervals());
        Await.until(WAIT, () -> imds.gets(InstanceMetadata.TARGET_LIFECYCLE_STATE) >= 3,
                () -> "handler polls the target lifecycle state");
        imds.set(InstanceMetadata.TARGET_LIFECYCLE_STATE, "InService");
        int seen = imds.gets(InstanceMetadata.TARGET_LIFECYCLE_STATE);
        Await.until(WAIT, () -> imds.gets(InstanceMetadata.TARGET_LIFECYCLE_STATE) >= seen + 3,
                () -> "handler keeps polling while InService");
        assertThat(admin.requests()).as("no drain before Terminated").isEmpty();
        assertThat(autoscaling.calls()).as("no Auto Scaling call before Terminated").isEmpty();
        assertThat(run).isNotDone();

        imds.set(InstanceMetadata.TARGET_LIFECYCLE_STATE, "Terminated");
        Await.until(WAIT, () -> admin.count("POST", 202) == 1, () -> "one POST /drain, got " + admin.requests());
        admin.phase("DRAINING", 400);
        Await.until(WAIT, () -> autoscaling.calls("RecordLifecycleActionHeartbeat").size() >= 3,
                () -> "heartbeats while draining, got " + autoscaling.calls());
        Await.until(WAIT, () -> admin.count("GET", 200) >= 2, () -> "drain status polled");
        assertThat(autoscaling.calls("CompleteLifecycleAction")).as("not completed while DRAINING").isEmpty();

        admin.phase("DRAINED", 0);
        assertThat(run.get(20, TimeUnit.SECONDS)).isEqualTo(0);

        assertThat(admin.count("POST", 202)).as("exactly one POST /drain").isEqualTo(1);
        assertThat(admin.requests()).as("every admin request carried the bearer token")
                .allSatisfy(r -> assertThat(r.authorization()).isEqualTo("Bearer " + TOKEN));
        List<FakeAutoScaling.Call> completes = autoscaling.calls("CompleteLifecycleAction");
        assertThat(completes).hasSize(1);
        assertThat(completes.get(0).params())
                .containsEntry("LifecycleActionResult", "CONTINUE")
                .containsEntry("AutoScalingGroupName", GROUP)
                .containsEntry("LifecycleHookName", HOOK)
                .containsEntry("InstanceId", INSTANCE);
        List<FakeAutoScaling.Call> calls = autoscaling.calls();
        assertThat(calls.get(calls.size() - 1).action()).as("completion is the last call").isEqualTo("CompleteLifecycleAction");
        assertThat(autoscaling.calls("RecordLifecycleActionHeartbeat")).allSatisfy(c -> assertThat(c.params())
                .containsEntry("AutoScalingGroupName", GROUP)
                .containsEntry("LifecycleHookName", HOOK)
                .containsEntry("InstanceId", INSTANCE)
                .doesNotContainKey("LifecycleActionResult"));
        assertThat(calls).as("signed with the configured credentials and the metadata's region")
                .allSatisfy(c -> assertThat(c.authorization())
                        .startsWith("AWS4-HMAC-SHA256 Credential=" + ACCESS_KEY + "/")
                        .contains("/eu-west-1/autoscaling/aws4_request"));
        assertThat(imds.rejected()).as("every metadata request was IMDSv2").isZero();
        assertThat(imds.tokenRequests()).as("the session token is reused").isEqualTo(1);
    }

    @Test
    void completesWhenThePresenterExitsWhileDraining() throws Exception {
        Future<Integer> run = run(LifecycleClock.SYSTEM, fastIntervals("--now", "--asg-name", GROUP));
        Await.until(WAIT, () -> admin.count("POST", 202) == 1, () -> "drain requested");
        admin.phase("CLOSING", 3);
        Await.until(WAIT, () -> admin.count("GET", 200) >= 2, () -> "drain status polled");
        assertThat(autoscaling.calls("CompleteLifecycleAction")).as("not completed while the presenter runs").isEmpty();

        admin.exit();
        assertThat(run.get(20, TimeUnit.SECONDS)).isEqualTo(0);
        assertThat(autoscaling.calls("CompleteLifecycleAction")).singleElement()
                .satisfies(c -> assertThat(c.params()).containsEntry("LifecycleActionResult", "CONTINUE"));
        assertThat(admin.count("POST", 202)).isEqualTo(1);
        assertThat(imds.gets(InstanceMetadata.TARGET_LIFECYCLE_STATE)).as("--now skips the metadata wait").isZero();
    }

    @Test
    void maxWaitCompletesWithContinueAfterHeartbeatingAllAlong() throws Exception {
        // Virtual time: a ten-minute drain that never ends, with the production intervals.
        VirtualClock clock = new VirtualClock();
        admin.phase("DRAINING", 12);
        Future<Integer> run = run(clock, "--now", "--asg-name", GROUP,
                "--poll-interval", "15s", "--heartbeat-interval", "60s", "--max-wait", "10m");
        assertThat(run.get(45, TimeUnit.SECONDS)).isEqualTo(0);

        assertThat(admin.phase()).as("the presenter never drained").isEqualTo("DRAINING");
        assertThat(clock.elapsed()).isEqualTo(Duration.ofMinutes(10));
        assertThat(autoscaling.calls("RecordLifecycleActionHeartbeat")).as("one heartbeat a minute for 10 minutes")
                .hasSize(10);
        assertThat(autoscaling.calls("CompleteLifecycleAction")).singleElement()
                .satisfies(c -> assertThat(c.params()).containsEntry("LifecycleActionResult", "CONTINUE"));
        assertThat(admin.count("GET", 200)).as("status read every 15 s").isEqualTo(39);
        assertThat(admin.count("POST", 202)).isEqualTo(1);
    }

    @Test
    void expiredMetadataTokenIsRenewed() throws Exception {
        imds.set(InstanceMetadata.TARGET_LIFECYCLE_STATE, "InService");
        Future<Integer> run = run(LifecycleClock.SYSTEM, fastIntervals("--asg-name", GROUP));
        Await.until(WAIT, () -> imds.gets(InstanceMetadata.TARGET_LIFECYCLE_STATE) >= 2, () -> "polling");
        assertThat(imds.tokenRequests()).isEqualTo(1);
        imds.revokeTokens();
        int seen = imds.gets(InstanceMetadata.TARGET_LIFECYCLE_STATE);
        Await.until(WAIT, () -> imds.gets(InstanceMetadata.TARGET_LIFECYCLE_STATE) >= seen + 2,
                () -> "polling again with a new token, rejected so far: " + imds.rejected());
        assertThat(imds.tokenRequests()).as("one new token").isEqualTo(2);
        assertThat(imds.rejected()).as("one GET with the revoked token").isEqualTo(1);

        admin.phase("DRAINED", 0);
        imds.set(InstanceMetadata.TARGET_LIFECYCLE_STATE, "Terminated");
        assertThat(run.get(20, TimeUnit.SECONDS)).isEqualTo(0);
        assertThat(autoscaling.calls("CompleteLifecycleAction")).hasSize(1);
    }

    @Test
    void presenterRestartedMidDrainIsAskedAgain() throws Exception {
        Future<Integer> run = run(LifecycleClock.SYSTEM, fastIntervals("--now", "--asg-name", GROUP));
        Await.until(WAIT, () -> admin.count("POST", 202) == 1, () -> "drain requested");
        admin.phase("SERVING", 5); // the presenter restarted and serves again
        Await.until(WAIT, () -> admin.count("POST", 202) == 2, () -> "drain requested again, got " + admin.requests());
        assertThat(admin.phase()).isEqualTo("ZEROING_WEIGHT");
        admin.phase("DRAINED", 0);
        assertThat(run.get(20, TimeUnit.SECONDS)).isEqualTo(0);
        assertThat(admin.count("POST", 202)).isEqualTo(2);
        assertThat(autoscaling.calls("CompleteLifecycleAction")).hasSize(1);
    }

    @Test
    void wrongTokenIsRefusedAndTheActionIsLeftToTheHookTimeout() throws Exception {
        Files.writeString(tokenFile, "not-the-token", StandardCharsets.UTF_8);
        imds.set(InstanceMetadata.TARGET_LIFECYCLE_STATE, "Terminated");
        Future<Integer> run = run(LifecycleClock.SYSTEM, fastIntervals());
        assertThat(run.get(20, TimeUnit.SECONDS)).isEqualTo(LifecycleHandler.EXIT_UNAUTHORIZED);

        assertThat(admin.requests()).singleElement().satisfies(r -> {
            assertThat(r.method()).isEqualTo("POST");
            assertThat(r.status()).isEqualTo(401);
            assertThat(r.authorization()).isEqualTo("Bearer not-the-token");
        });
        assertThat(admin.phase()).as("the drain did not start").isEqualTo("SERVING");
        assertThat(autoscaling.calls("CompleteLifecycleAction")).isEmpty();
    }

    @Test
    void tokenRefusedDuringTheDrainKeepsTheHookAliveUntilThePresenterExits() throws Exception {
        Future<Integer> run = run(LifecycleClock.SYSTEM, fastIntervals("--now", "--asg-name", GROUP));
        Await.until(WAIT, () -> admin.count("POST", 202) == 1, () -> "drain requested");
        admin.phase("DRAINING", 7);
        admin.token("rotated-token");
        Await.until(WAIT, () -> admin.count("GET", 401) >= 3, () -> "status reads refused, got " + admin.requests());
        int beats = autoscaling.calls("RecordLifecycleActionHeartbeat").size();
        Await.until(WAIT, () -> autoscaling.calls("RecordLifecycleActionHeartbeat").size() >= beats + 2,
                () -> "heartbeats go on while the status cannot be read");
        assertThat(run).isNotDone();
        assertThat(autoscaling.calls("CompleteLifecycleAction")).isEmpty();

        admin.exit();
        assertThat(run.get(20, TimeUnit.SECONDS)).isEqualTo(0);
        assertThat(autoscaling.calls("CompleteLifecycleAction")).singleElement()
                .satisfies(c -> assertThat(c.params()).containsEntry("LifecycleActionResult", "CONTINUE"));
    }

    @Test
    void noPresenterListeningCompletesAfterTheGrace() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        VirtualClock clock = new VirtualClock();
        Future<Integer> run = run(clock, "--now", "--asg-name", GROUP, "--admin-url", "http://127.0.0.1:" + closedPort,
                "--poll-interval", "5s", "--heartbeat-interval", "60s", "--admin-unreachable-grace", "2m");
        assertThat(run.get(30, TimeUnit.SECONDS)).isEqualTo(0);

        assertThat(clock.elapsed()).as("gave up after the grace, not before").isBetween(Duration.ofMinutes(2),
                Duration.ofMinutes(3));
        assertThat(autoscaling.calls("CompleteLifecycleAction")).singleElement()
                .satisfies(c -> assertThat(c.params()).containsEntry("LifecycleActionResult", "CONTINUE"));
        assertThat(autoscaling.calls("RecordLifecycleActionHeartbeat")).as("heartbeats kept the hook open meanwhile")
                .hasSizeGreaterThanOrEqualTo(2);
    }

    @Test
    void actionAlreadyGoneIsNotAFailure() throws Exception {
        autoscaling.failCompleteWith("ValidationError", "No active Lifecycle Action found with instance ID " + INSTANCE);
        admin.phase("DRAINED", 0);
        Future<Integer> run = run(LifecycleClock.SYSTEM, fastIntervals("--now", "--asg-name", GROUP));
        assertThat(run.get(20, TimeUnit.SECONDS)).isEqualTo(0);
        assertThat(autoscaling.calls("CompleteLifecycleAction")).as("not retried").hasSize(1);
    }

    @Test
    void accessDeniedOnCompleteFails() throws Exception {
        autoscaling.failCompleteWith("AccessDenied", "User is not authorized to perform autoscaling:CompleteLifecycleAction");
        admin.phase("DRAINED", 0);
        Future<Integer> run = run(LifecycleClock.SYSTEM, fastIntervals("--now", "--asg-name", GROUP));
        assertThat(run.get(20, TimeUnit.SECONDS)).isEqualTo(LifecycleHandler.EXIT_FAILED);
        assertThat(autoscaling.calls("CompleteLifecycleAction")).as("a 4xx is not retried").hasSize(1);
    }

    @Test
    void onceExitsQuietlyWhileInService() throws Exception {
        imds.set(InstanceMetadata.TARGET_LIFECYCLE_STATE, "InService");
        Future<Integer> run = run(LifecycleClock.SYSTEM, fastIntervals("--once"));
        assertThat(run.get(20, TimeUnit.SECONDS)).isEqualTo(0);
        assertThat(imds.gets(InstanceMetadata.TARGET_LIFECYCLE_STATE)).isEqualTo(1);
        assertThat(admin.requests()).isEmpty();
        assertThat(autoscaling.calls()).isEmpty();
    }

    @Test
    void missingGroupNameWithoutMetadataTagsIsExplained() throws Exception {
        FakeImds bare = new FakeImds().set(InstanceMetadata.INSTANCE_ID, INSTANCE).set(InstanceMetadata.REGION, "eu-west-1");
        try (bare) {
            LifecycleHookCommand command = command(LifecycleClock.SYSTEM);
            int code = new CommandLine(command).execute("--hook-name", HOOK, "--imds-url", bare.uri().toString(),
                    "--autoscaling-endpoint", autoscaling.uri().toString(), "--poll-interval", "10ms");
            assertThat(code).isEqualTo(LifecycleHandler.EXIT_FAILED);
            assertThat(bare.gets(InstanceMetadata.ASG_NAME_TAG)).as("a 404 is not retried").isEqualTo(1);
        }
        assertThat(autoscaling.calls()).isEmpty();
    }

    @Test
    void badCommandLinesAreRefused() {
        assertThat(new CommandLine(command(LifecycleClock.SYSTEM)).execute("--asg-name", GROUP)).as("no --hook-name")
                .isEqualTo(2);
        assertThat(new CommandLine(command(LifecycleClock.SYSTEM)).execute("--hook-name", HOOK, "--max-wait", "49h"))
                .as("longer than any hook can wait").isEqualTo(2);
        assertThat(new CommandLine(command(LifecycleClock.SYSTEM)).execute("--hook-name", HOOK, "--poll-interval", "5"))
                .as("a duration without a unit").isEqualTo(2);
        assertThat(new CommandLine(command(LifecycleClock.SYSTEM)).execute("--hook-name", HOOK, "--admin-token-file",
                dir.resolve("missing").toString())).as("unreadable token file").isEqualTo(2);
        assertThat(admin.requests()).isEmpty();
        assertThat(imds.tokenRequests()).isZero();
    }

    /** Intervals of milliseconds, so the real-clock tests take well under a second of waiting. */
    private String[] fastIntervals(String... more) {
        List<String> args = new ArrayList<>(List.of("--poll-interval", "10ms", "--heartbeat-interval", "40ms",
                "--max-wait", "30s", "--request-timeout", "2s"));
        args.addAll(Arrays.asList(more));
        return args.toArray(String[]::new);
    }

    private Future<Integer> run(LifecycleClock clock, String... args) {
        List<String> all = new ArrayList<>(List.of("--hook-name", HOOK,
                "--imds-url", imds.uri().toString(),
                "--admin-token-file", tokenFile.toString(),
                "--autoscaling-endpoint", autoscaling.uri().toString()));
        if (!Arrays.asList(args).contains("--admin-url")) {
            all.addAll(List.of("--admin-url", admin.uri().toString()));
        }
        all.addAll(Arrays.asList(args));
        LifecycleHookCommand command = command(clock);
        return executor.submit(() -> new CommandLine(command).execute(all.toArray(String[]::new)));
    }

    private static LifecycleHookCommand command(LifecycleClock clock) {
        LifecycleHookCommand command = new LifecycleHookCommand();
        command.credentialsProvider = StaticCredentialsProvider.create(
                AwsBasicCredentials.create(ACCESS_KEY, "lifecycle-test-secret"));
        command.clock = clock;
        return command;
    }

    /** Time that passes only when the handler sleeps. */
    static final class VirtualClock implements LifecycleClock {
        private final long start = 1_000_000_000L;
        private final AtomicLong nanos = new AtomicLong(start);

        @Override
        public long nanoTime() {
            return nanos.get();
        }

        @Override
        public void sleep(Duration duration) throws InterruptedException {
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            nanos.addAndGet(Math.max(0, duration.toNanos()));
        }

        Duration elapsed() {
            return Duration.ofNanos(nanos.get() - start);
        }
    }
}
