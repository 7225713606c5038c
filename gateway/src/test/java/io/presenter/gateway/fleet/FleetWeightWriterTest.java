package io.presenter.gateway.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.presenter.gateway.weight.FaultyRoute53Proxy;
import io.presenter.gateway.weight.MotoServerExtension;
import io.presenter.gateway.weight.Route53WeightPublisher;
import io.presenter.gateway.weight.TestZone;
import io.presenter.gateway.weight.WeightSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.route53.model.RRType;

/**
 * The leader's writer against moto, with the presenter nodes given by hand (no ZooKeeper): only
 * differences are sent, and two leaders at once (a paused one waking up with a stale view) do not
 * leave the records flapping: the current leader's view wins at its next step.
 */
class FleetWeightWriterTest {

    @RegisterExtension
    static final MotoServerExtension moto = new MotoServerExtension();

    private static final long SECOND = 1_000_000_000L;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<Route53WeightPublisher> publishers = new ArrayList<>();
    /** Stands for the {@code fleet/weights} znode both leaders write. */
    private final AtomicReference<AppliedWeights> znode = new AtomicReference<>();

    @AfterEach
    void close() {
        publishers.forEach(Route53WeightPublisher::close);
    }

    private FleetWeightWriter writer(TestZone zone, String leaderId, AtomicBoolean leads) {
        return writer(zone, leaderId, leads, moto.client());
    }

    private FleetWeightWriter writer(TestZone zone, String leaderId, AtomicBoolean leads,
            software.amazon.awssdk.services.route53.Route53Client client) {
        WeightSettings settings = WeightSettings.defaults()
                .enabledFor(zone.id, TestZone.RECORD_NAME, List.of("192.0.2.99"))
                .withEndpoint(moto.endpoint())
                .withSchedule(Duration.ofMillis(1), Duration.ofMinutes(5), 0)
                .withPolicy(8, 200, 0.8, 1.0);
        Route53WeightPublisher publisher = new Route53WeightPublisher(client, settings, leaderId, registry);
        publishers.add(publisher);
        return new FleetWeightWriter(settings, FleetSettings.defaults(), client, publisher, leaderId,
                leads::get, leads::get, znode::set, registry);
    }

    private static Map<String, PresenterNode> nodes(int p2Connections) {
        Map<String, PresenterNode> nodes = new TreeMap<>();
        nodes.put("p1", new PresenterNode(1, "p1", List.of("192.0.2.1"), PresenterState.READY, 0, 10, 0));
        nodes.put("p2", new PresenterNode(1, "p2", List.of("192.0.2.2"), PresenterState.READY, p2Connections, 10, 0));
        return nodes;
    }

    private static void await(java.util.concurrent.CompletableFuture<Void> step) throws Exception {
        step.get(30, TimeUnit.SECONDS);
    }

    private double calls() {
        return registry.get("presenter.weight.publishes").tag("result", "ok").counter().count();
    }

    @Test
    void aStaleSecondLeaderIsOverwrittenAtTheCurrentLeadersNextStep() throws Exception {
        TestZone zone = moto.zone();
        AtomicBoolean aLeads = new AtomicBoolean(true);
        AtomicBoolean bLeads = new AtomicBoolean(true);
        FleetWeightWriter current = writer(zone, "a", aLeads);
        FleetWeightWriter paused = writer(zone, "b", bLeads);

        await(current.step(nodes(5), 1 * SECOND));
        assertThat(zone.weight(RRType.A, "p2")).isEqualTo(100);
        await(current.step(nodes(5), 2 * SECOND));  // nothing changed: nothing sent
        assertThat(calls()).isEqualTo(1);

        // The paused leader wakes up with its old view (p2 idle) and, before it learns it lost the
        // latch, gets one batch out.
        await(paused.step(nodes(0), 3 * SECOND));
        assertThat(zone.weight(RRType.A, "p2")).isEqualTo(200);
        bLeads.set(false);

        // The current leader sees fleet/weights written by b, reads Route53 again and restores its view.
        current.noticeApplied(znode.get());
        await(current.step(nodes(5), 4 * SECOND));
        assertThat(zone.weight(RRType.A, "p2")).isEqualTo(100);
        assertThat(zone.weight(RRType.A, "p1")).isEqualTo(200);
        // And b, no longer leading, writes nothing more, not even the znode.
        await(paused.step(nodes(0), 5 * SECOND));
        assertThat(zone.weight(RRType.A, "p2")).isEqualTo(100);
        assertThat(znode.get().leader()).isEqualTo("a");
        assertThat(calls()).isEqualTo(3);
        System.out.println("FLEET FleetWeightWriterTest.aStaleSecondLeaderIsOverwrittenAtTheCurrentLeadersNextStep calls="
                + (int) calls() + " final=" + current.heldWeights());
    }

    @Test
    void aFailedBatchDoesNotStopTheLeaderWhichReadsRoute53AgainAndConverges() throws Exception {
        TestZone zone = moto.zone();
        try (FaultyRoute53Proxy proxy = new FaultyRoute53Proxy(moto.endpoint());
             software.amazon.awssdk.services.route53.Route53Client proxied = TestZone.client(proxy.endpoint())) {
            FleetWeightWriter writer = writer(zone, "a", new AtomicBoolean(true), proxied);
            proxy.failNextChanges(1, FaultyRoute53Proxy.Fault.INVALID_CHANGE_BATCH);
            java.util.concurrent.CompletableFuture<Void> failed = writer.step(nodes(5), SECOND);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> await(failed))
                    .hasCauseInstanceOf(software.amazon.awssdk.awscore.exception.AwsServiceException.class);
            assertThat(zone.weight(RRType.A, "p2")).isEqualTo(-1);

            await(writer.step(nodes(5), 2 * SECOND));
            assertThat(zone.weight(RRType.A, "p1")).isEqualTo(200);
            assertThat(zone.weight(RRType.A, "p2")).isEqualTo(100);
            assertThat(registry.get("presenter.weight.publishes").tag("result", "error").counter().count()).isEqualTo(1);
            assertThat(registry.get(FleetWeightWriter.READS).tag("result", "ok").counter().count())
                    .as("Route53 read again after the failed batch").isEqualTo(2);
            System.out.println("FLEET FleetWeightWriterTest.aFailedBatchDoesNotStopTheLeaderWhichReadsRoute53AgainAndConverges"
                    + " errors=1 reads=2 final=" + writer.heldWeights());
        }
    }
}
