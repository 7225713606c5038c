package io.presenter.gateway.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.presenter.gateway.config.ConfigException;
import io.presenter.gateway.config.PresenterConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.Test;

/** Presenter nodes: what the leader trusts with a weight, and what it skips and counts. */
class PresenterNodeReaderTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final PresenterNodeReader reader = new PresenterNodeReader(registry);

    private static ChildData child(String id, long mzxid, String json) {
        Stat stat = new Stat();
        stat.setMzxid(mzxid);
        return new ChildData("/presenter/presenters/" + id, stat, json.getBytes(StandardCharsets.UTF_8));
    }

    private static String node(String setIdentifier, String address, String state, double cpu) {
        return "{\"format\":1,\"setIdentifier\":\"" + setIdentifier + "\",\"addresses\":[\"" + address
                + "\"],\"state\":\"" + state + "\",\"connections\":5,\"capacity\":10,\"cpu\":" + cpu
                + ",\"someFieldAddedLater\":true}";
    }

    private double rejected(String reason) {
        var counter = registry.find(PresenterNodeReader.REJECTED).tag("reason", reason).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void aNodeRoundTripsThroughItsJson() throws Exception {
        PresenterNode node = new PresenterNode(1, "p-1", List.of("192.0.2.1", "2001:db8::1"), PresenterState.DRAINING,
                3, 100, 0.25);
        assertThat(PresenterNode.decode(node.encode())).isEqualTo(node);
    }

    @Test
    void malformedNodesAreSkippedAndCountedOncePerWrite() {
        List<ChildData> children = new ArrayList<>(List.of(
                child("good", 1, node("good", "192.0.2.1", "READY", 0.1)),
                child("garbage", 2, "{not json"),
                child("future", 3, node("future", "192.0.2.3", "READY", 0.1).replace("\"format\":1", "\"format\":2")),
                child("hostname", 4, node("hostname", "chat.example.com", "READY", 0.1)),
                child("cpu", 5, node("cpu", "192.0.2.5", "READY", 1.5)),
                child("state", 6, node("state", "192.0.2.6", "ASLEEP", 0.1)),
                child("empty", 7, ""),
                child("twin", 8, node("good", "192.0.2.8", "READY", 0.1))));

        Map<String, PresenterNode> nodes = reader.read(children);
        assertThat(nodes).containsOnlyKeys("good");
        assertThat(rejected("unparseable")).isEqualTo(2);  // bad JSON, unknown state
        assertThat(rejected("unsupported_format")).isEqualTo(1);
        assertThat(rejected("invalid_field")).isEqualTo(2);  // host name, CPU above 1
        assertThat(rejected("empty")).isEqualTo(1);
        assertThat(rejected("duplicate_set_identifier")).isEqualTo(1);

        // Read again unchanged: nothing counted twice. Rewritten (new mzxid): counted again.
        reader.read(children);
        assertThat(rejected("unparseable")).isEqualTo(2);
        children.set(1, child("garbage", 20, "still not json"));
        reader.read(children);
        assertThat(rejected("unparseable")).isEqualTo(3);
    }

    @Test
    void theGracePeriodMustBeLongerThanTheRecordTtl() {
        assertThatThrownBy(() -> FleetSettings.defaults().withRecordGrace(Duration.ofSeconds(60))
                .checkedAgainst(Duration.ofSeconds(60)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("fleet.record-grace").hasMessageContaining("weight.ttl");
        assertThatThrownBy(() -> PresenterConfig.load(null, Map.of(), List.of(
                "tls.certificates=a.pem:a.key", "zookeeper.connect=127.0.0.1:2181",
                "weight.ttl=120s", "fleet.record-grace=90s")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("fleet.record-grace");
    }
}
