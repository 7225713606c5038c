package io.presenter.gateway.weight;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.presenter.testing.Await;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.route53.model.RRType;

/**
 * The weight loop against moto: sampling, hysteresis, refresh and drain. Most tests drive
 * {@link WeightLoop#tick()} themselves with a clock they own; one runs the real schedule.
 */
class WeightPublishingTest {

    @RegisterExtension
    static final MotoServerExtension moto = new MotoServerExtension();

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final int CAPACITY = 1000;
    private static final String ID = "presenter-1";

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final AtomicReference<LoadSample> load = new AtomicReference<>(LoadSample.idle(CAPACITY));
    private final LoadProbe probe = load::get;
    private final AtomicLong clock = new AtomicLong();
    private WeightPublishing publishing;

    @AfterEach
    void close() {
        if (publishing != null) {
            publishing.close();
        }
    }

    /** A loop nobody schedules: the test ticks it. */
    private WeightLoop manualLoop(WeightSettings settings) {
        WeightLoop loop = new WeightLoop(settings, probe,
                new Route53WeightPublisher(moto.client(), settings, ID, registry), registry, null, clock::get);
        publishing = loop;
        return loop;
    }

    private static void await(CompletableFuture<Void> f) throws Exception {
        f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    private void connections(int active) {
        load.set(new LoadSample(active, CAPACITY, 0, 0));
    }

    private double publishes() {
        return registry.get(WeightMeters.PUBLISHES).tag("result", "ok").counter().count();
    }

    private long weightInRoute53() {
        return moto.zone().weight(RRType.A, ID);
    }

    @Test
    void theFirstSampleIsPublishedAtOnceAndTheScheduleFollowsTheLoad() {
        connections(0);
        publishing = WeightPublishing.start(moto.zone().settings(moto.endpoint(), "192.0.2.10"), ID, probe, moto.client(), registry);

        Await.until(WAIT, () -> weightInRoute53() == 200, () -> "weight 200 in Route53, is " + weightInRoute53());
        Await.until(WAIT, () -> publishing.publishedWeight() == 200, () -> "published " + publishing.publishedWeight());
        assertThat(registry.get(WeightMeters.WEIGHT).gauge().value()).isEqualTo(200);

        connections(500);
        Await.until(WAIT, () -> weightInRoute53() == 100, () -> "weight 100 in Route53, is " + weightInRoute53());
        Await.until(WAIT, () -> publishing.publishedWeight() == 100, () -> "published " + publishing.publishedWeight());
    }

    @Test
    void onlyChangesOfAtLeastTheThresholdArePublished() throws Exception {
        WeightLoop loop = manualLoop(moto.zone().settings(moto.endpoint(), "192.0.2.10"));
        await(loop.tick());
        assertThat(weightInRoute53()).isEqualTo(200);

        connections(30); // 194: 6 below the published 200
        await(loop.tick());
        connections(35); // 193
        await(loop.tick());
        assertThat(publishes()).isEqualTo(1);
        assertThat(loop.publishedWeight()).isEqualTo(200);

        connections(600); // 80
        await(loop.tick());
        assertThat(publishes()).isEqualTo(2);
        assertThat(loop.publishedWeight()).isEqualTo(80);
        assertThat(weightInRoute53()).isEqualTo(80);
        assertThat(registry.get(WeightMeters.WEIGHT).gauge().value()).isEqualTo(80);
    }

    @Test
    void anUnchangedWeightIsRepublishedAfterTheRefreshInterval() throws Exception {
        WeightLoop loop = manualLoop(moto.zone().settings(moto.endpoint(), "192.0.2.10"));
        await(loop.tick());
        // Someone edits the record by hand; the weight is not due to change, so it stays wrong...
        moto.zone().setWeightByHand(RRType.A, ID, "192.0.2.10", 3);
        clock.addAndGet(Duration.ofMinutes(4).toNanos());
        await(loop.tick());
        assertThat(publishes()).isEqualTo(1);
        assertThat(weightInRoute53()).isEqualTo(3);

        // ...until the refresh interval (5 minutes) has passed since the last publish.
        clock.addAndGet(Duration.ofMinutes(1).toNanos());
        await(loop.tick());
        assertThat(publishes()).isEqualTo(2);
        assertThat(weightInRoute53()).isEqualTo(200);
    }

    @Test
    void drainPublishesZeroWaitsForInSyncAndTheZeroSticks() throws Exception {
        WeightLoop loop = manualLoop(moto.zone().settings(moto.endpoint(), "192.0.2.10"));
        await(loop.tick());
        assertThat(weightInRoute53()).isEqualTo(200);

        CompletableFuture<Void> drained = loop.drain();
        await(drained);
        assertThat(weightInRoute53()).isZero();
        assertThat(loop.publishedWeight()).isZero();
        assertThat(registry.get(WeightMeters.WEIGHT).gauge().value()).isZero();

        // Idle again (its clients left), but a draining presenter never comes back...
        connections(0);
        await(loop.tick());
        assertThat(weightInRoute53()).isZero();
        // ...and keeps refreshing its 0.
        clock.addAndGet(Duration.ofMinutes(6).toNanos());
        await(loop.tick());
        assertThat(publishes()).isEqualTo(3);
        assertThat(weightInRoute53()).isZero();
        assertThat(loop.drain()).isCompleted();
    }

    @Test
    void aDrainOfSeveralPresentersLeavesTheOthersAlone() throws Exception {
        WeightLoop one = manualLoop(moto.zone().settings(moto.endpoint(), "192.0.2.10"));
        WeightSettings otherSettings = moto.zone().settings(moto.endpoint(), "192.0.2.11");
        try (WeightLoop other = new WeightLoop(otherSettings, () -> new LoadSample(250, CAPACITY, 0, 0),
                new Route53WeightPublisher(moto.client(), otherSettings, "presenter-2", new SimpleMeterRegistry()),
                new SimpleMeterRegistry(), null, clock::get)) {
            await(one.tick());
            await(other.tick());
            await(one.drain());

            assertThat(moto.zone().weight(RRType.A, ID)).isZero();
            assertThat(moto.zone().weight(RRType.A, "presenter-2")).isEqualTo(150);
        }
    }

    @Test
    void closeStopsTheThreadAndRemovesTheGauge() {
        WeightSettings settings = moto.zone().settings(moto.endpoint(), "192.0.2.10");
        Route53WeightPublisher publisher = new Route53WeightPublisher(moto.client(), settings, ID, registry);
        WeightLoop loop = WeightLoop.start(settings, probe, publisher, registry, null);
        loop.close();

        assertThat(publisher.executor().isTerminated()).isTrue();
        assertThat(loop.drain()).as("a drain after close").isCompletedExceptionally();
        assertThat(registry.find(WeightMeters.WEIGHT).gauge()).isNull();
    }

    @Test
    void whenOffNothingIsPublishedDrainCompletesAtOnceAndTheLogSaysSo() {
        Logger logger = (Logger) LoggerFactory.getLogger(WeightPublishing.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try (WeightPublishing off = WeightPublishing.start(WeightSettings.defaults(), ID, probe, moto.client(), registry)) {
            assertThat(off.drain()).isCompleted();
            assertThat(off.publishedWeight()).isEqualTo(WeightPolicy.UNPUBLISHED);
            assertThat(appender.list).extracting(ILoggingEvent::getFormattedMessage)
                    .singleElement().asString().contains("weight publishing is off");
            assertThat(moto.zone().weightedRecords()).isEmpty();
            assertThat(registry.find(WeightMeters.PUBLISHES).counters()).isEmpty();
        } finally {
            logger.detachAppender(appender);
        }
    }
}
