package io.presenter.gateway.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.presenter.gateway.config.PresenterConfig;
import io.presenter.gateway.weight.RecordType;
import io.presenter.gateway.weight.WeightSettings;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * weight.addresses: [instance-metadata] against a stand-in for EC2 instance metadata (IMDSv2):
 * reading the config leaves it as it is, the daemon's lookup fills it in.
 */
class PublicAddressesTest {

    private static final List<String> REQUIRED = List.of("tls.certificates=c.pem:k.pem", "zookeeper.connect=zk:2181",
            "weight.enabled=true", "weight.hosted-zone-id=Z123", "weight.record-name=chat.example.com.",
            "weight.addresses=instance-metadata");

    @Test
    void theRecordsValuesComeFromInstanceMetadataAtStartNotWhenTheConfigIsRead() throws Exception {
        try (FakeImds imds = new FakeImds()) {
            imds.set(PublicAddresses.PUBLIC_IPV4, "203.0.113.7").set(PublicAddresses.IPV6, "2001:db8::7");

            PresenterConfig config = PresenterConfig.load(null, Map.of(), concat("weight.record-types=A,AAAA",
                    "weight.instance-metadata-url=" + imds.uri()));

            assertThat(config.weight().addressesFromInstanceMetadata()).isTrue();
            assertThat(imds.tokenRequests()).as("the config reader does not call out").isZero();

            WeightSettings resolved = PublicAddresses.resolve(config.weight(), config.instanceMetadataUrl());

            assertThat(resolved.addresses()).containsExactly("203.0.113.7", "2001:db8::7");
            assertThat(resolved.addresses(RecordType.AAAA)).containsExactly("2001:db8::7");
            assertThat(imds.tokenRequests()).as("IMDSv2: a session token first").isEqualTo(1);
        }
    }

    @Test
    void withoutAPublicAddressThePresenterDoesNotStart() throws Exception {
        try (FakeImds imds = new FakeImds()) {
            PresenterConfig config = PresenterConfig.load(null, Map.of(),
                    concat("weight.instance-metadata-url=" + imds.uri()));

            assertThatThrownBy(() -> PublicAddresses.resolve(config.weight(), config.instanceMetadataUrl()))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("weight.addresses").hasMessageContaining("public address");
        }
    }

    @Test
    void unresolvedAddressesAreNeverPublished() throws Exception {
        PresenterConfig config = PresenterConfig.load(null, Map.of(), REQUIRED);

        assertThatThrownBy(() -> config.weight().addresses(RecordType.A)).isInstanceOf(IllegalStateException.class);
    }

    private static List<String> concat(String... more) {
        List<String> all = new java.util.ArrayList<>(REQUIRED);
        all.addAll(List.of(more));
        return all;
    }
}
