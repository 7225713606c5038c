package io.presenter.gateway.weight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.route53.model.NoSuchHostedZoneException;
import software.amazon.awssdk.services.route53.model.RRType;
import software.amazon.awssdk.services.route53.model.ResourceRecordSet;

/** The publisher against moto's Route53: what ends up in the zone. */
class Route53WeightPublisherTest {

    @RegisterExtension
    static final MotoServerExtension moto = new MotoServerExtension();

    private static final long WAIT_SECONDS = 20;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<Route53WeightPublisher> publishers = new ArrayList<>();
    @AfterEach
    void close() {
        publishers.forEach(Route53WeightPublisher::close);
    }

    private Route53WeightPublisher publisher(WeightSettings settings, String presenterId) {
        Route53WeightPublisher publisher = new Route53WeightPublisher(moto.client(), settings, presenterId, registry);
        publishers.add(publisher);
        return publisher;
    }

    private static void await(java.util.concurrent.CompletableFuture<Void> publish) throws Exception {
        publish.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    @Test
    void upsertsAWeightedRecordWithSetIdentifierTtlAndAddress() throws Exception {
        WeightSettings settings = moto.zone().settings(moto.endpoint(), "192.0.2.10").withTtl(Duration.ofSeconds(30));
        await(publisher(settings, "presenter-1").publish(200, false));

        List<ResourceRecordSet> records = moto.zone().weightedRecords();
        assertThat(records).hasSize(1);
        ResourceRecordSet record = records.get(0);
        assertThat(record.name()).isEqualTo(TestZone.RECORD_NAME);
        assertThat(record.type()).isEqualTo(RRType.A);
        assertThat(record.setIdentifier()).isEqualTo("presenter-1");
        assertThat(record.weight()).isEqualTo(200L);
        assertThat(record.ttl()).isEqualTo(30L);
        assertThat(TestZone.values(record)).containsExactly("192.0.2.10");
        assertThat(registry.get(WeightMeters.PUBLISHES).tag("result", "ok").counter().count()).isEqualTo(1);
        assertThat(registry.get(WeightMeters.PUBLISH_LATENCY).timer().count()).isEqualTo(1);
    }

    @Test
    void publishesOneRecordSetPerTypeWithTheAddressesOfItsFamily() throws Exception {
        WeightSettings settings = moto.zone().settings(moto.endpoint(), "192.0.2.10", "2001:db8::10", "192.0.2.11");
        await(publisher(settings, "presenter-1").publish(77, false));

        ResourceRecordSet a = moto.zone().record(RRType.A, "presenter-1").orElseThrow();
        ResourceRecordSet aaaa = moto.zone().record(RRType.AAAA, "presenter-1").orElseThrow();
        assertThat(TestZone.values(a)).containsExactlyInAnyOrder("192.0.2.10", "192.0.2.11");
        assertThat(TestZone.values(aaaa)).containsExactly("2001:db8::10");
        assertThat(a.weight()).isEqualTo(77L);
        assertThat(aaaa.weight()).isEqualTo(77L);
        // Both in one ChangeResourceRecordSets call: one API request per publish.
        assertThat(registry.get(WeightMeters.PUBLISHES).tag("result", "ok").counter().count()).isEqualTo(1);
    }

    @Test
    void aNewWeightReplacesTheRecordInPlace() throws Exception {
        Route53WeightPublisher publisher = publisher(moto.zone().settings(moto.endpoint(), "192.0.2.10"), "presenter-1");
        await(publisher.publish(200, false));
        await(publisher.publish(37, false));

        assertThat(moto.zone().weightedRecords()).singleElement()
                .satisfies(r -> assertThat(r.weight()).isEqualTo(37L));
    }

    @Test
    void theSetIdentifierSettingOverridesThePresenterId() throws Exception {
        WeightSettings settings = moto.zone().settings(moto.endpoint(), "192.0.2.10").withSetIdentifier("eu-west-1a-7");
        await(publisher(settings, "presenter-1").publish(10, false));

        assertThat(moto.zone().weightedRecords()).singleElement()
                .satisfies(r -> assertThat(r.setIdentifier()).isEqualTo("eu-west-1a-7"));
    }

    @Test
    void awaitingInSyncCompletesOnceRoute53SaysSo() throws Exception {
        Route53WeightPublisher publisher = publisher(moto.zone().settings(moto.endpoint(), "192.0.2.10"), "presenter-1");
        await(publisher.publish(0, true));
        assertThat(moto.zone().weight(RRType.A, "presenter-1")).isZero();
    }

    @Test
    void severalPresentersRecordsCoexistInOneZone() throws Exception {
        Route53WeightPublisher one = publisher(moto.zone().settings(moto.endpoint(), "192.0.2.1"), "presenter-1");
        Route53WeightPublisher two = publisher(moto.zone().settings(moto.endpoint(), "192.0.2.2"), "presenter-2");
        Route53WeightPublisher three = publisher(moto.zone().settings(moto.endpoint(), "192.0.2.3"), "presenter-3");
        await(one.publish(200, false));
        await(two.publish(150, false));
        await(three.publish(1, false));
        await(two.publish(0, true));

        assertThat(moto.zone().weightedRecords()).extracting(ResourceRecordSet::setIdentifier)
                .containsExactlyInAnyOrder("presenter-1", "presenter-2", "presenter-3");
        assertThat(moto.zone().weight(RRType.A, "presenter-1")).isEqualTo(200);
        assertThat(moto.zone().weight(RRType.A, "presenter-2")).isZero();
        assertThat(moto.zone().weight(RRType.A, "presenter-3")).isEqualTo(1);
        assertThat(TestZone.values(moto.zone().record(RRType.A, "presenter-3").orElseThrow()))
                .containsExactly("192.0.2.3");
    }

    @Test
    void anErrorThatRetryingCannotFixFailsThePublishAfterOneTry() {
        WeightSettings settings = WeightSettings.defaults()
                .enabledFor("ZNOSUCHZONE", TestZone.RECORD_NAME, List.of("192.0.2.10"))
                .withEndpoint(moto.endpoint());
        Route53WeightPublisher publisher = publisher(settings, "presenter-1");

        assertThatThrownBy(() -> await(publisher.publish(100, false)))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(NoSuchHostedZoneException.class);
        assertThat(registry.get(WeightMeters.PUBLISHES).tag("result", "error").counter().count()).isEqualTo(1);
        assertThat(registry.get(WeightMeters.PUBLISHES).tag("result", "ok").counter().count()).isZero();
    }

    @Test
    void weightsOutsideRoute53sRangeAreRefused() {
        Route53WeightPublisher publisher = publisher(moto.zone().settings(moto.endpoint(), "192.0.2.10"), "presenter-1");
        assertThatThrownBy(() -> publisher.publish(256, false)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> publisher.publish(-1, false)).isInstanceOf(IllegalArgumentException.class);
    }
}
