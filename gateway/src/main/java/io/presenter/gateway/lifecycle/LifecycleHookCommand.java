package io.presenter.gateway.lifecycle;

import io.presenter.protocol.process.DurationConverter;
import io.presenter.protocol.process.Durations;
import io.presenter.protocol.process.ManifestVersion;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.AutoScalingClientBuilder;

/**
 * {@code presenter lifecycle-hook}: runs beside the presenter on an EC2 Auto Scaling instance and
 * turns the group's terminate lifecycle hook into a polite drain. See {@code deploy/aws/lifecycle-hook.md}.
 */
@Command(name = "lifecycle-hook", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        usageHelpAutoWidth = true, sortOptions = false,
        description = {
            "Drains the presenter on this instance before EC2 Auto Scaling terminates it.",
            "Polls instance metadata (IMDSv2) for autoscaling/target-lifecycle-state; when it reads Terminated "
                    + "(the terminate hook holds the instance in Terminating:Wait), POSTs /drain to the presenter's "
                    + "admin endpoint, sends RecordLifecycleActionHeartbeat every --heartbeat-interval while the "
                    + "drain runs, and sends CompleteLifecycleAction CONTINUE once the presenter reports DRAINED or "
                    + "has exited, or after --max-wait at the latest.",
            "With --now it skips the metadata wait and drains at once: for a hook delivered through "
                    + "EventBridge/SQS/SNS, run it from whatever consumes that event, with --instance-id, "
                    + "--asg-name and --hook-name taken from the event."},
        footer = {"", "Exit codes: 0 lifecycle action completed (or, with --once, the instance is not terminating); "
                + "1 failed (metadata or Auto Scaling unreachable, AWS refused); 2 bad command line; "
                + "3 the presenter's admin endpoint refused the token."})
public final class LifecycleHookCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(LifecycleHookCommand.class);

    /** The hook's global timeout can never be longer than this, whatever the heartbeats. */
    static final Duration GLOBAL_TIMEOUT_CAP = Duration.ofHours(48);

    @Option(names = "--admin-url", paramLabel = "URL", defaultValue = "http://127.0.0.1:9090",
            description = "The presenter's admin endpoint (default: ${DEFAULT-VALUE}).")
    URI adminUrl;

    @Option(names = "--admin-token-file", paramLabel = "FILE",
            description = "File holding the admin bearer token, when the presenter requires one; read for every request.")
    Path adminTokenFile;

    @Option(names = "--imds-url", paramLabel = "URL", defaultValue = "http://169.254.169.254",
            description = "Instance metadata service (default: ${DEFAULT-VALUE}).")
    URI imdsUrl;

    @Option(names = "--hook-name", paramLabel = "NAME", required = true,
            description = "The terminate lifecycle hook's name.")
    String hookName;

    @Option(names = "--asg-name", paramLabel = "NAME",
            description = "The Auto Scaling group (default: the instance's aws:autoscaling:groupName tag from "
                    + "instance metadata, which needs InstanceMetadataTags=enabled).")
    String asgName;

    @Option(names = "--instance-id", paramLabel = "ID",
            description = "This instance (default: from instance metadata).")
    String instanceId;

    @Option(names = "--region", paramLabel = "REGION",
            description = "AWS region of the group (default: from instance metadata).")
    String region;

    @Option(names = "--autoscaling-endpoint", paramLabel = "URL",
            description = "Override the Auto Scaling API endpoint (tests, VPC endpoints).")
    URI autoscalingEndpoint;

    @Option(names = "--poll-interval", paramLabel = "DURATION", defaultValue = "5s", converter = DurationConverter.class,
            description = "How often to read the lifecycle state and, while draining, the drain status "
                    + "(default: ${DEFAULT-VALUE}).")
    Duration pollInterval;

    @Option(names = "--heartbeat-interval", paramLabel = "DURATION", defaultValue = "60s", converter = DurationConverter.class,
            description = "How often to send a lifecycle heartbeat while draining; keep it well under the hook's "
                    + "heartbeat timeout (default: ${DEFAULT-VALUE}).")
    Duration heartbeatInterval;

    @Option(names = "--max-wait", paramLabel = "DURATION", defaultValue = "1h", converter = DurationConverter.class,
            description = "Longest drain to wait for; after it the lifecycle action is completed with CONTINUE anyway. "
                    + "Longer than the presenter's maximum drain time, shorter than the hook's global timeout "
                    + "(default: ${DEFAULT-VALUE}, at most 48h).")
    Duration maxWait;

    @Option(names = "--admin-unreachable-grace", paramLabel = "DURATION", defaultValue = "2m",
            converter = DurationConverter.class,
            description = "If nothing listens on the admin port for this long before the drain could be started, "
                    + "there is no presenter to drain: complete at once (default: ${DEFAULT-VALUE}).")
    Duration adminUnreachableGrace;

    @Option(names = "--request-timeout", paramLabel = "DURATION", defaultValue = "5s", converter = DurationConverter.class,
            description = "Timeout of each metadata and admin request, and of each Auto Scaling attempt "
                    + "(default: ${DEFAULT-VALUE}).")
    Duration requestTimeout;

    @Option(names = "--now",
            description = "Do not wait for the lifecycle state: drain and complete at once (hook events delivered "
                    + "through EventBridge/SQS/SNS).")
    boolean now;

    @Option(names = "--once",
            description = "Read the lifecycle state once: if it is not Terminated, exit 0 without doing anything.")
    boolean once;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Credentials for the Auto Scaling client; null means the SDK's default chain (the instance profile). */
    AwsCredentialsProvider credentialsProvider;
    LifecycleClock clock = LifecycleClock.SYSTEM;

    public static void main(String[] args) {
        System.exit(new CommandLine(new LifecycleHookCommand()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        validate();
        InstanceMetadata imds = new InstanceMetadata(imdsUrl, requestTimeout);
        String instance = instanceId;
        String regionName = region;
        String group = asgName;
        String wanted = "the instance id";
        try {
            if (instance == null) {
                instance = resolve(imds, InstanceMetadata.INSTANCE_ID);
            }
            wanted = "the region";
            if (regionName == null) {
                regionName = resolve(imds, InstanceMetadata.REGION);
            }
            wanted = "the Auto Scaling group name (pass --asg-name, or allow tags in instance metadata)";
            if (group == null) {
                group = resolve(imds, InstanceMetadata.ASG_NAME_TAG);
            }
        } catch (IOException e) {
            log.error("cannot learn {} from instance metadata at {}: {}", wanted, imdsUrl, e.getMessage());
            return LifecycleHandler.EXIT_FAILED;
        }
        log.info("lifecycle hook {} of group {} for instance {} in {}", hookName, group, instance, regionName);
        LifecycleHandler.Settings settings = new LifecycleHandler.Settings(
                pollInterval, heartbeatInterval, maxWait, adminUnreachableGrace, now, once);
        PresenterAdmin admin = new PresenterAdmin(adminUrl, adminTokenFile, requestTimeout);
        try (AutoScalingClient client = autoScalingClient(regionName)) {
            LifecycleActions actions = new AutoScalingLifecycleActions(client, group, hookName, instance);
            return new LifecycleHandler(settings, imds, admin, actions, clock).run();
        }
    }

    private void validate() {
        if (maxWait.compareTo(GLOBAL_TIMEOUT_CAP) > 0) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--max-wait " + Durations.format(maxWait) + " is longer than any lifecycle hook can wait (48h)");
        }
        for (Duration d : new Duration[] {pollInterval, heartbeatInterval, maxWait, adminUnreachableGrace, requestTimeout}) {
            if (d.isNegative() || d.isZero()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "durations must be positive: " + d);
            }
        }
        if (adminTokenFile != null && !Files.isReadable(adminTokenFile)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--admin-token-file " + adminTokenFile + " is not a readable file");
        }
        if (now && once) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--now and --once exclude each other");
        }
    }

    /** A metadata item, retried a few times with backoff: IMDS can be slow to answer right after boot. */
    private String resolve(InstanceMetadata imds, String path) throws IOException, InterruptedException {
        IOException failure = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            if (attempt > 0) {
                clock.sleep(pollInterval.multipliedBy(1L << (attempt - 1)));
            }
            try {
                return imds.require(path);
            } catch (IOException e) {
                failure = e;
                if (e.getMessage() != null && e.getMessage().startsWith("instance metadata has no ")) {
                    throw e; // 404: asking again will not make it appear
                }
            }
        }
        throw failure;
    }

    private AutoScalingClient autoScalingClient(String regionName) {
        AutoScalingClientBuilder builder = AutoScalingClient.builder()
                .region(Region.of(regionName))
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(requestTimeout)
                        .socketTimeout(requestTimeout.multipliedBy(2)))
                .credentialsProvider(credentialsProvider != null ? credentialsProvider
                        : DefaultCredentialsProvider.builder().build())
                .overrideConfiguration(o -> o
                        .apiCallAttemptTimeout(requestTimeout.multipliedBy(2))
                        .apiCallTimeout(requestTimeout.multipliedBy(6)));
        if (autoscalingEndpoint != null) {
            builder.endpointOverride(autoscalingEndpoint);
        }
        return builder.build();
    }
}
