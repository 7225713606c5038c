package io.presenter.gateway.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.presenter.gateway.config.ConfigException;
import io.presenter.gateway.config.PresenterConfig;
import io.presenter.gateway.weight.RecordType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** weight.addresses: [instance-metadata] against a stand-in for EC2 instance metadata (IMDSv2). */
class PublicAddressesTest {

    private static final List<String> REQUIRED = List.of("tls.certificates=c.pem:k.pem", "zookeeper.connect=zk:2181",
            "weight.enabled=true", "weight.hosted-zone-id=Z123", "weight.record-name=chat.example.com.",
            "weight.addresses=instance-metadata");

    @Test
    void theRecordsValuesComeFromInstanceMetadata() throws Exception {
        try (FakeImds imds = new FakeImds()) {
            imds.set(PublicAddresses.PUBLIC_IPV4, "203.0.113.7").set(PublicAddresses.IPV6, "2001:db8::7");

            PresenterConfig config = PresenterConfig.load(null, Map.of(), concat("weight.record-types=A,AAAA",
                    "weight.instance-metadata-url=" + imds.uri()));

            assertThat(config.weight().addresses()).containsExactly("203.0.113.7", "2001:db8::7");
            assertThat(config.weight().addresses(RecordType.AAAA)).containsExactly("2001:db8::7");
            assertThat(imds.tokenRequests()).as("IMDSv2: a session token first").isEqualTo(1);
        }
    }

    @Test
    void withoutAPublicAddressTheConfigIsRefused() throws Exception {
        try (FakeImds imds = new FakeImds()) {
            assertThatThrownBy(() -> PresenterConfig.load(null, Map.of(),
                    concat("weight.instance-metadata-url=" + imds.uri())))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("weight.addresses").hasMessageContaining("public address");
        }
    }

    private static List<String> concat(String... more) {
        List<String> all = new java.util.ArrayList<>(REQUIRED);
        all.addAll(List.of(more));
        return all;
    }
}
