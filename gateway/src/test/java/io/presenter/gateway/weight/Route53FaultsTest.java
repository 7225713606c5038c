package io.presenter.gateway.weight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.presenter.gateway.weight.FaultyRoute53Proxy.Fault;
import io.presenter.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.route53.Route53Client;
import software.amazon.awssdk.services.route53.model.RRType;

/**
 * Route53's throttling and PriorRequestNotComplete, served by a proxy in front of moto with
 * Route53's real error responses: the publisher backs off, counts, and the weight converges.
 */
class Route53FaultsTest {

    @RegisterExtension
    static final MotoServerExtension moto = new MotoServerExtension();

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String ID = "presenter-1";
    /** 20ms doubling: pauses of at least 10, 20, 40, 80ms after failures 1, 2, 3, 4. */
    private static final PublishRetry FAST = new PublishRetry(Duration.ofMillis(20), Duration.ofMillis(200), 5,
            Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofSeconds(10));

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private Route53Client direct;
    private Route53Client proxied;
    private FaultyRoute53Proxy proxy;
    private TestZone zone;
    private WeightSettings settings;
    private Route53WeightPublisher publisher;

    @BeforeEach
    void start() throws Exception {
        proxy = new FaultyRoute53Proxy(moto.endpoint());
        direct = TestZone.client(moto.endpoint());
        proxied = TestZone.client(proxy.endpoint());
        zone = TestZone.create(direct);
        settings = zone.settings(proxy.endpoint(), "192.0.2.10");
    }

    @AfterEach
    void stop() {
        if (publisher != null) {
            publisher.close();
        }
        proxied.close();
        direct.close();
        proxy.close();
    }

    private Route53WeightPublisher publisher(PublishRetry retry) {
        publisher = new Route53WeightPublisher(proxied, settings, ID, registry, retry);
        return publisher;
    }

    private double count(String result) {
        return registry.get(WeightMeters.PUBLISHES).tag("result", result).counter().count();
    }

    private long weightInRoute53() {
        return zone.weight(RRType.A, ID);
    }

    private static void await(CompletableFuture<Void> f) throws Exception {
        f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    @Test
    void throttlingIsRetriedWithGrowingPausesAndCounted() throws Exception {
        proxy.failNextChanges(3, Fault.THROTTLING);
        await(publisher(FAST).publish(120, false));

        assertThat(weightInRoute53()).isEqualTo(120);
        assertThat(count("throttled")).isEqualTo(3);
        assertThat(count("ok")).isEqualTo(1);
        List<Long> calls = proxy.changeCallNanos();
        assertThat(calls).hasSize(4);
        // Half of each exponential step is fixed, so these are floors whatever the jitter drew.
        for (int failure = 1; failure <= 3; failure++) {
            long pause = calls.get(failure) - calls.get(failure - 1);
            long floor = FAST.base().toNanos() << (failure - 1) >> 1;
            assertThat(pause).as("pause after failure %d", failure).isGreaterThanOrEqualTo(floor);
        }
    }

    @Test
    void priorRequestNotCompleteIsRetriedAndCounted() throws Exception {
        proxy.failNextChanges(2, Fault.PRIOR_REQUEST_NOT_COMPLETE);
        await(publisher(FAST).publish(90, false));

        assertThat(weightInRoute53()).isEqualTo(90);
        assertThat(count("prior_request_not_complete")).isEqualTo(2);
        assertThat(count("throttled")).isZero();
        assertThat(count("ok")).isEqualTo(1);
    }

    @Test
    void serverErrorsAreRetriedAndCountedAsErrors() throws Exception {
        proxy.failNextChanges(1, Fault.SERVICE_UNAVAILABLE);
        await(publisher(FAST).publish(60, false));

        assertThat(weightInRoute53()).isEqualTo(60);
        assertThat(count("error")).isEqualTo(1);
        assertThat(count("ok")).isEqualTo(1);
    }

    @Test
    void aPublishGivesUpAfterItsTriesAndTheNextPublishConverges() throws Exception {
        proxy.failNextChanges(FAST.attempts() + 2, Fault.THROTTLING);
        Route53WeightPublisher publisher = publisher(FAST);
        assertThatThrownBy(() -> await(publisher.publish(200, false)))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(AwsServiceException.class,
                        e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("Throttling"));
        assertThat(count("throttled")).isEqualTo(FAST.attempts());
        assertThat(weightInRoute53()).isEqualTo(-1);

        await(publisher.publish(200, false));  // the fleet loop's next step
        assertThat(count("throttled")).isEqualTo(FAST.attempts() + 2);
        assertThat(count("ok")).isEqualTo(1);
        assertThat(weightInRoute53()).isEqualTo(200);
    }

    @Test
    void aZeroAwaitingInSyncPollsGetChangeThroughPriorRequestNotComplete() throws Exception {
        Route53WeightPublisher publisher = publisher(FAST);
        await(publisher.publish(200, false));
        assertThat(proxy.getChangeCalls()).isZero(); // a plain publish does not wait for INSYNC

        proxy.reportChangesPending(true);
        proxy.failNextChanges(2, Fault.PRIOR_REQUEST_NOT_COMPLETE);
        await(publisher.publish(0, true));

        assertThat(weightInRoute53()).isZero();
        assertThat(count("prior_request_not_complete")).isEqualTo(2);
        assertThat(proxy.getChangeCalls()).isPositive();
    }

    @Test
    void aZeroSupersedesAPublishStillBackingOff() throws Exception {
        // Pauses of 0.5 to 1s: long enough for the zero to go first, short enough for a test.
        PublishRetry slow = new PublishRetry(Duration.ofSeconds(1), Duration.ofSeconds(1), 5,
                Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofSeconds(10));
        proxy.failNextChanges(1, Fault.THROTTLING);
        Route53WeightPublisher publisher = publisher(slow);
        CompletableFuture<Void> backingOff = publisher.publish(200, false);
        Await.until(WAIT, () -> count("throttled") == 1, () -> "the first publish throttled");

        CompletableFuture<Void> zero = publisher.publish(0, true);
        assertThatThrownBy(() -> await(backingOff)).isInstanceOf(CancellationException.class)
                .hasMessageContaining("superseded");
        await(zero);
        assertThat(weightInRoute53()).isZero();
        // Once the superseded publish's retry has come due, it has sent nothing: the 200 cannot
        // overwrite the 0.
        ScheduledThreadPoolExecutor thread = (ScheduledThreadPoolExecutor) publisher.executor();
        Await.until(WAIT, () -> thread.getQueue().isEmpty(), () -> "the retry due, queue " + thread.getQueue());
        assertThat(proxy.changeCallNanos()).hasSize(2);
        assertThat(weightInRoute53()).isZero();
    }

    @Test
    void aBatchStopsRetryingOnceItMayNoLongerWrite() throws Exception {
        // The fleet leader's batches ask "still the leader?" before every try.
        proxy.failNextChanges(1, Fault.THROTTLING);
        java.util.concurrent.atomic.AtomicBoolean leader = new java.util.concurrent.atomic.AtomicBoolean(true);
        Route53WeightPublisher publisher = publisher(FAST);
        CompletableFuture<Void> batch = publisher.publishChanges(List.of(software.amazon.awssdk.services.route53.model
                .Change.builder().action("UPSERT").resourceRecordSet(r -> r.name(TestZone.RECORD_NAME).type(RRType.A)
                        .setIdentifier(ID).weight(50L).ttl(60L).resourceRecords(rr -> rr.value("192.0.2.10")))
                .build()), "test batch", false, leader::get);
        Await.until(WAIT, () -> count("throttled") == 1, () -> "the first try throttled");
        leader.set(false);
        assertThatThrownBy(() -> await(batch)).isInstanceOf(CancellationException.class)
                .hasMessageContaining("no longer allowed");
        assertThat(proxy.changeCallNanos()).hasSize(1);
        assertThat(weightInRoute53()).isEqualTo(-1);
    }
}
