package io.presenter.gateway.weight;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.route53.Route53Client;
import software.amazon.awssdk.services.route53.Route53ClientBuilder;
import software.amazon.awssdk.services.route53.model.Change;
import software.amazon.awssdk.services.route53.model.ChangeAction;
import software.amazon.awssdk.services.route53.model.ChangeInfo;
import software.amazon.awssdk.services.route53.model.ChangeResourceRecordSetsRequest;
import software.amazon.awssdk.services.route53.model.ChangeStatus;
import software.amazon.awssdk.services.route53.model.RRType;
import software.amazon.awssdk.services.route53.model.ResourceRecord;
import software.amazon.awssdk.services.route53.model.ResourceRecordSet;

/**
 * Sends record changes to Route53, one {@code ChangeResourceRecordSets} call per publish: the fleet
 * leader's batch of every presenter's changes ({@link #publishChanges}), or this presenter's own
 * weighted record set(s) at one weight ({@link #publish(int, boolean)}: one set per record type, with
 * this presenter's set identifier, TTL and addresses of that family; a draining presenter that sees
 * no leader writes its zero this way).
 *
 * <p>Everything runs on one daemon thread of its own: the SDK client is blocking (url-connection,
 * since netty-nio-client clashes with Netty 4.2), so it must never run on an event loop, and
 * {@link #publish} only enqueues. Retries are scheduled on that thread, not slept, so a pause
 * never holds up a newer publish. The SDK's own retries are off: {@code Throttling},
 * {@code PriorRequestNotComplete}, 5xx and I/O errors are retried here with jittered exponential
 * backoff ({@link PublishRetry}), each try counted in {@code presenter.weight.publishes}.
 *
 * <p>A newer publish supersedes an older one still pending: the older future fails at once with a
 * {@link CancellationException} and its queued retry or poll does nothing. Only the newest weight
 * is worth sending, and a drain must not wait behind a throttled load update.
 */
public final class Route53WeightPublisher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Route53WeightPublisher.class);

    /** Bounds one blocking SDK call, so the weight thread can never hang on a dead connection. */
    static final Duration API_CALL_TIMEOUT = Duration.ofSeconds(15);

    private final Route53Client client;
    private final WeightSettings settings;
    private final String setIdentifier;
    private final PublishRetry retry;
    private final WeightMeters meters;
    private final ScheduledExecutorService executor;
    /** The newest publish; any other still pending is superseded. */
    private final AtomicReference<Publish> latest = new AtomicReference<>();
    private final Set<CompletableFuture<Void>> pending = ConcurrentHashMap.newKeySet();

    /**
     * @param client a Route53 client, ideally from {@link #newClient}; not closed by this publisher
     * @param presenterId the set identifier unless {@code weight.set-identifier} is set
     */
    public Route53WeightPublisher(Route53Client client, WeightSettings settings, String presenterId,
            MeterRegistry registry) {
        this(client, settings, presenterId, registry, PublishRetry.DEFAULT);
    }

    Route53WeightPublisher(Route53Client client, WeightSettings settings, String presenterId,
            MeterRegistry registry, PublishRetry retry) {
        if (!settings.enabled()) {
            throw new IllegalArgumentException("weight.enabled is false");
        }
        this.client = Objects.requireNonNull(client, "client");
        this.settings = settings;
        this.setIdentifier = settings.setIdentifierOr(presenterId);
        this.retry = retry;
        this.meters = new WeightMeters(registry);
        ScheduledThreadPoolExecutor thread = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "presenter-weight");
            t.setDaemon(true);
            return t;
        });
        // A cancelled tick leaves the queue at once instead of when it would have been due.
        thread.setRemoveOnCancelPolicy(true);
        this.executor = thread;
    }

    /**
     * A Route53 client for these settings: url-connection HTTP, {@code weight.region},
     * {@code weight.endpoint} if set, the SDK's retries off, every call bounded in time.
     */
    public static Route53Client newClient(WeightSettings settings, AwsCredentialsProvider credentials) {
        Route53ClientBuilder builder = Route53Client.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(5))
                        .socketTimeout(Duration.ofSeconds(10)))
                .region(Region.of(settings.region()))
                .credentialsProvider(credentials)
                .overrideConfiguration(c -> c
                        .retryStrategy(AwsRetryStrategy.doNotRetry())
                        .apiCallTimeout(API_CALL_TIMEOUT));
        if (settings.endpoint() != null) {
            builder.endpointOverride(settings.endpoint());
        }
        return builder.build();
    }

    /** {@link #newClient(WeightSettings, AwsCredentialsProvider)} with the SDK's default credential chain. */
    public static Route53Client newClient(WeightSettings settings) {
        return newClient(settings, DefaultCredentialsProvider.builder().build());
    }

    /** The set identifier this presenter publishes under. */
    public String setIdentifier() {
        return setIdentifier;
    }

    /**
     * Sends {@code weight} to Route53, retrying as described above. Never blocks.
     *
     * @param awaitInSync whether the future waits until Route53 reports the change INSYNC (applied
     *     on all its name servers), polling {@code GetChange}; otherwise it completes once accepted
     * @return completes when done; fails when the tries are used up or INSYNC does not come in
     *     time; is cancelled when a newer publish supersedes this one or the publisher is closed
     */
    public CompletableFuture<Void> publish(int weight, boolean awaitInSync) {
        if (weight < 0 || weight > WeightSettings.ROUTE53_MAX_WEIGHT) {
            throw new IllegalArgumentException("weight " + weight);
        }
        return start(new Publish(request(weight), "weight " + weight + " for " + setIdentifier,
                awaitInSync, () -> true));
    }

    /**
     * Sends {@code changes} (any records of the zone, e.g. the whole fleet's weights) as ONE
     * {@code ChangeResourceRecordSets} batch, with the same retries, INSYNC polling and superseding
     * as {@link #publish(int, boolean)}. Route53 applies a batch all or nothing.
     *
     * @param description what the batch is, for the log
     * @param mayWrite asked before every try: once false the publish stops and fails with a
     *     {@link CancellationException} (the fleet leader passes "still the leader")
     */
    public CompletableFuture<Void> publishChanges(List<Change> changes, String description, boolean awaitInSync,
            BooleanSupplier mayWrite) {
        if (changes.isEmpty()) {
            throw new IllegalArgumentException("no changes");
        }
        ChangeResourceRecordSetsRequest request = ChangeResourceRecordSetsRequest.builder()
                .hostedZoneId(settings.hostedZoneId())
                .changeBatch(b -> b.comment(description.length() > 256 ? description.substring(0, 256) : description)
                        .changes(changes))
                .build();
        return start(new Publish(request, description, awaitInSync, mayWrite));
    }

    private CompletableFuture<Void> start(Publish p) {
        pending.add(p.future);
        p.future.whenComplete((v, e) -> pending.remove(p.future));
        Publish previous = latest.getAndSet(p);
        if (previous != null) {
            // Its queued retry or poll sees it is no longer the latest and stops.
            previous.future.completeExceptionally(new CancellationException(
                    previous.description + " superseded by " + p.description));
        }
        run(p, () -> attempt(p, 1), 0);
        return p.future;
    }

    /** The single thread this publisher runs on; the weight loop's ticks run there too. */
    ScheduledExecutorService executor() {
        return executor;
    }

    private void attempt(Publish p, int attempt) {
        if (latest.get() != p) {
            return;
        }
        if (!p.mayWrite.getAsBoolean()) {
            p.future.completeExceptionally(new CancellationException(p.description + ": no longer allowed to write"));
            return;
        }
        ChangeInfo change;
        try {
            change = client.changeResourceRecordSets(p.request).changeInfo();
        } catch (SdkException e) {
            PublishOutcome outcome = PublishOutcome.of(e);
            meters.count(outcome);
            if (outcome.retryable() && attempt < retry.attempts()) {
                long pause = retry.backoffNanos(attempt);
                log.warn("Route53 {}: try {}/{} failed ({}), again in {} ms", p.description,
                        attempt, retry.attempts(), describe(e), TimeUnit.NANOSECONDS.toMillis(pause));
                run(p, () -> attempt(p, attempt + 1), pause);
            } else {
                log.warn("Route53 {} not published after {} tr{} ({}); the next tick tries again",
                        p.description, attempt, attempt == 1 ? "y" : "ies", describe(e));
                p.future.completeExceptionally(e);
            }
            return;
        }
        meters.count(PublishOutcome.OK);
        if (p.awaitInSync && change.status() != ChangeStatus.INSYNC) {
            long deadline = System.nanoTime() + retry.syncTimeout().toNanos();
            run(p, () -> poll(p, change.id(), 1, deadline), retry.pollNanos(1));
        } else {
            succeeded(p);
        }
    }

    /** Polls {@code GetChange} until INSYNC; errors (throttling included) only mean "poll again". */
    private void poll(Publish p, String changeId, int poll, long deadline) {
        if (latest.get() != p) {
            return;
        }
        String problem;
        try {
            ChangeStatus status = client.getChange(b -> b.id(changeId)).changeInfo().status();
            if (status == ChangeStatus.INSYNC) {
                succeeded(p);
                return;
            }
            problem = "status " + status;
        } catch (SdkException e) {
            problem = describe(e);
        }
        long pause = retry.pollNanos(poll + 1);
        if (System.nanoTime() + pause - deadline > 0) {
            log.warn("Route53 change {} ({}) not INSYNC within {} (last: {})", changeId, p.description,
                    retry.syncTimeout(), problem);
            p.future.completeExceptionally(new TimeoutException("change " + changeId + " not INSYNC within "
                    + retry.syncTimeout() + " (last: " + problem + ")"));
            return;
        }
        run(p, () -> poll(p, changeId, poll + 1, deadline), pause);
    }

    private void succeeded(Publish p) {
        meters.published(System.nanoTime() - p.startNanos);
        p.future.complete(null);
    }

    private ChangeResourceRecordSetsRequest request(int weight) {
        List<Change> changes = settings.recordTypes().stream()
                .map(type -> Change.builder()
                        .action(ChangeAction.UPSERT)
                        .resourceRecordSet(ResourceRecordSet.builder()
                                .name(settings.recordName())
                                .type(RRType.fromValue(type.name()))
                                .setIdentifier(setIdentifier)
                                .weight((long) weight)
                                .ttl(settings.ttl().toSeconds())
                                .resourceRecords(settings.addresses(type).stream()
                                        .map(address -> ResourceRecord.builder().value(address).build())
                                        .toList())
                                .build())
                        .build())
                .toList();
        return ChangeResourceRecordSetsRequest.builder()
                .hostedZoneId(settings.hostedZoneId())
                .changeBatch(b -> b.comment("presenter " + setIdentifier + " weight " + weight).changes(changes))
                .build();
    }

    /** Runs a step on the weight thread; a closed publisher fails the publish instead. */
    private void run(Publish p, Runnable step, long delayNanos) {
        try {
            executor.schedule(() -> {
                try {
                    step.run();
                } catch (RuntimeException e) {
                    // A bug, not a Route53 answer: fail this publish rather than kill the thread.
                    log.error("Route53 {} failed unexpectedly", p.description, e);
                    p.future.completeExceptionally(e);
                }
            }, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            p.future.completeExceptionally(new CancellationException("weight publisher closed"));
        }
    }

    /** Route53's error code and request id, or the client-side failure: never credentials. */
    private static String describe(SdkException e) {
        if (e instanceof software.amazon.awssdk.awscore.exception.AwsServiceException s
                && s.awsErrorDetails() != null) {
            return s.awsErrorDetails().errorCode() + ", HTTP " + s.statusCode() + ", request " + s.requestId();
        }
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    /**
     * Stops the weight thread; publishes still pending fail with a {@link CancellationException}.
     * Does not close the client (whoever built it does).
     */
    @Override
    public void close() {
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(API_CALL_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS)) {
                log.warn("The Route53 weight thread did not stop within {}s", API_CALL_TIMEOUT.toSeconds() + 5);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (CompletableFuture<Void> f : pending) {
            f.completeExceptionally(new CancellationException("weight publisher closed"));
        }
    }

    private static final class Publish {
        final ChangeResourceRecordSetsRequest request;
        final String description;
        final boolean awaitInSync;
        final BooleanSupplier mayWrite;
        final long startNanos = System.nanoTime();
        final CompletableFuture<Void> future = new CompletableFuture<>();

        Publish(ChangeResourceRecordSetsRequest request, String description, boolean awaitInSync,
                BooleanSupplier mayWrite) {
            this.request = request;
            this.description = description;
            this.awaitInSync = awaitInSync;
            this.mayWrite = mayWrite;
        }
    }
}
