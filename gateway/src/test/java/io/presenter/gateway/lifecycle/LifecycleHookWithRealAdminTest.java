package io.presenter.gateway.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.presenter.gateway.admin.AdminServer;
import io.presenter.gateway.drain.DrainController;
import io.presenter.gateway.drain.DrainPhase;
import io.presenter.gateway.drain.DrainSettings;
import io.presenter.gateway.drain.DrainTarget;
import io.presenter.testing.Await;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * The handler against the presenter's real admin endpoint and drain controller (with stand-in
 * clients and an instant weight change), so the two sides of the drain contract are checked
 * against each other, not each against its own reading of it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LifecycleHookWithRealAdminTest {

    private static final String TOKEN = "real-admin-token";

    @TempDir
    Path dir;

    @Test
    void drainsTheRealPresenterAdminAndCompletesWhenItReportsDrained() throws Exception {
        AtomicInteger clients = new AtomicInteger(25);
        DrainTarget target = new DrainTarget() {
            @Override
            public int active() {
                return clients.get();
            }

            @Override
            public long lastAdmittedNanos() {
                return 0;
            }

            @Override
            public int closeSome(int count, String reason) {
                return 0;
            }
        };
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        ExecutorService handlerThread = Executors.newSingleThreadExecutor();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        DrainController drain = new DrainController(new DrainSettings(Duration.ofMillis(50), Duration.ofMinutes(5), 10),
                target, () -> CompletableFuture.completedFuture(null), scheduler, System::nanoTime, registry);
        Path tokenFile = Files.writeString(dir.resolve("admin.token"), TOKEN + "\n", StandardCharsets.UTF_8);
        try (FakeAutoScaling autoscaling = new FakeAutoScaling();
                AdminServer admin = AdminServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                        registry, () -> null, drain, TOKEN)) {
            LifecycleHookCommand command = new LifecycleHookCommand();
            command.credentialsProvider = StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDREAL", "s"));
            Future<Integer> run = handlerThread.submit(() -> new CommandLine(command).execute(
                    "--now", "--hook-name", "presenter-drain", "--asg-name", "presenter-asg",
                    "--instance-id", "i-0feedface0000000", "--region", "us-east-1",
                    "--admin-url", "http://127.0.0.1:" + admin.address().getPort(),
                    "--admin-token-file", tokenFile.toString(),
                    "--autoscaling-endpoint", autoscaling.uri().toString(),
                    "--poll-interval", "20ms", "--heartbeat-interval", "50ms", "--max-wait", "30s"));

            Await.until(Duration.ofSeconds(20), () -> drain.status().phase() == DrainPhase.DRAINING,
                    () -> "the real drain controller started draining, is " + drain.status());
            Await.until(Duration.ofSeconds(20), () -> autoscaling.calls("RecordLifecycleActionHeartbeat").size() >= 2,
                    () -> "heartbeats while 25 clients remain");
            assertThat(autoscaling.calls("CompleteLifecycleAction")).as("not completed with clients left").isEmpty();

            clients.set(0);
            assertThat(run.get(20, TimeUnit.SECONDS)).isEqualTo(0);
            assertThat(drain.status().phase()).isEqualTo(DrainPhase.DRAINED);
            assertThat(autoscaling.calls("CompleteLifecycleAction")).singleElement().satisfies(c -> assertThat(c.params())
                    .containsEntry("LifecycleActionResult", "CONTINUE")
                    .containsEntry("InstanceId", "i-0feedface0000000")
                    .containsEntry("AutoScalingGroupName", "presenter-asg"));
        } finally {
            handlerThread.shutdownNow();
            scheduler.shutdownNow();
            assertThat(handlerThread.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }
}
