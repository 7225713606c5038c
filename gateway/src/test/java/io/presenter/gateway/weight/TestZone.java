package io.presenter.gateway.weight;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.route53.Route53Client;
import software.amazon.awssdk.services.route53.model.Change;
import software.amazon.awssdk.services.route53.model.ChangeAction;
import software.amazon.awssdk.services.route53.model.RRType;
import software.amazon.awssdk.services.route53.model.ResourceRecord;
import software.amazon.awssdk.services.route53.model.ResourceRecordSet;

/** A hosted zone in moto, created through the SDK, and what the weight tests read back from it. */
public final class TestZone {

    static final String ZONE_NAME = "example.com.";
    public static final String RECORD_NAME = "chat.example.com.";

    public final String id;
    private final Route53Client client;

    private TestZone(String id, Route53Client client) {
        this.id = id;
        this.client = client;
    }

    /** A client for moto (or a proxy in front of it): fake credentials, the production client settings. */
    public static Route53Client client(URI endpoint) {
        return Route53WeightPublisher.newClient(WeightSettings.defaults().withEndpoint(endpoint),
                StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing")));
    }

    public static TestZone create(Route53Client client) {
        String id = client.createHostedZone(b -> b.name(ZONE_NAME).callerReference(UUID.randomUUID().toString()))
                .hostedZone().id();
        return new TestZone(id, client);
    }

    /**
     * Settings that publish {@link #RECORD_NAME} in this zone through {@code endpoint}, sampled every
     * few milliseconds, with no smoothing (each sample is the load) so tests can predict weights.
     */
    WeightSettings settings(URI endpoint, String... addresses) {
        return WeightSettings.defaults()
                .enabledFor(id, RECORD_NAME, List.of(addresses))
                .withEndpoint(endpoint)
                .withSchedule(Duration.ofMillis(20), Duration.ofMinutes(5), 0.2)
                .withPolicy(WeightSettings.DEFAULT_THRESHOLD, WeightSettings.DEFAULT_MAX,
                        WeightSettings.DEFAULT_CPU_TARGET, 1.0);
    }

    /** Every weighted record set of {@link #RECORD_NAME}, read through the client that made the zone. */
    public List<ResourceRecordSet> weightedRecords() {
        return client.listResourceRecordSets(b -> b.hostedZoneId(id)).resourceRecordSets().stream()
                .filter(r -> r.name().equals(RECORD_NAME) && r.setIdentifier() != null)
                .toList();
    }

    Optional<ResourceRecordSet> record(RRType type, String setIdentifier) {
        return weightedRecords().stream()
                .filter(r -> r.type() == type && r.setIdentifier().equals(setIdentifier))
                .findFirst();
    }

    /** The weight of that record, or -1 when there is none. */
    public long weight(RRType type, String setIdentifier) {
        return record(type, setIdentifier).map(ResourceRecordSet::weight).orElse(-1L);
    }

    /** UPSERTs a weighted record directly, as an operator in the console would. */
    void setWeightByHand(RRType type, String setIdentifier, String address, long weight) {
        client.changeResourceRecordSets(b -> b.hostedZoneId(id).changeBatch(c -> c.changes(Change.builder()
                .action(ChangeAction.UPSERT)
                .resourceRecordSet(r -> r.name(RECORD_NAME).type(type).setIdentifier(setIdentifier).weight(weight)
                        .ttl(60L).resourceRecords(ResourceRecord.builder().value(address).build()))
                .build())));
    }

    static List<String> values(ResourceRecordSet record) {
        return record.resourceRecords().stream().map(ResourceRecord::value).toList();
    }
}
