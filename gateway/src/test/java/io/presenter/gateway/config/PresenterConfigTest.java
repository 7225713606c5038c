package io.presenter.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.presenter.gateway.client.EdgeSettings;
import io.presenter.gateway.client.HandoverLimits;
import io.presenter.gateway.client.ProxyProtocol;
import io.presenter.protocol.transport.TransportChoice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PresenterConfigTest {

    private static final List<String> REQUIRED = List.of("tls.certificates=c.pem:k.pem", "zookeeper.connect=zk:2181");

    @TempDir
    Path dir;

    @Test
    void defaultsApplyWhenOnlyRequiredSettingsAreGiven() throws ConfigException {
        PresenterConfig config = PresenterConfig.load(null, Map.of(), REQUIRED);

        assertThat(config.gateway().listenAddress().getPort()).isEqualTo(7443);
        assertThat(config.gateway().maxConnectionsPerAddress()).isEqualTo(2000);
        assertThat(config.gateway().eventLoops()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(config.tls().certificates()).singleElement()
                .satisfies(pair -> assertThat(pair.chain()).isEqualTo(Path.of("c.pem")));
        assertThat(config.drain().quietPeriod()).as("twice the record TTL").isEqualTo(Duration.ofMinutes(2));
        assertThat(config.admin().address().getAddress().isLoopbackAddress()).isTrue();
        assertThat(config.tokenKeyFile()).isNull();
    }

    @Test
    void yamlSectionsBecomeDottedKeys() throws Exception {
        Path file = write("""
                presenter:
                  id: edge-1
                listen:
                  port: 8443
                  backlog: 128
                limits:
                  idle-timeout: 90s
                tls:
                  certificates:
                    - chain: ec.pem
                      key: ec.key
                    - chain: rsa.pem
                      key: rsa.key
                  protocols: [TLSv1.3]
                zookeeper:
                  connect: zk1:2181,zk2:2181/chat
                drain:
                  quiet-period: 250ms
                """);

        PresenterConfig config = PresenterConfig.load(file, Map.of(), List.of());

        assertThat(config.gateway().presenterId()).isEqualTo("edge-1");
        assertThat(config.gateway().listenAddress().getPort()).isEqualTo(8443);
        assertThat(config.gateway().backlog()).isEqualTo(128);
        assertThat(config.gateway().idleTimeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(config.tls().certificates()).hasSize(2);
        assertThat(config.tls().protocols()).containsExactly("TLSv1.3");
        assertThat(config.zooKeeper().connectString()).isEqualTo("zk1:2181,zk2:2181/chat");
        assertThat(config.drain().quietPeriod()).isEqualTo(Duration.ofMillis(250));
    }

    @Test
    void setBeatsEnvironmentWhichBeatsTheFile() throws Exception {
        Path file = write("listen:\n  port: 1000\nlimits:\n  max-connections: 10\n");
        Map<String, String> env = Map.of("PRESENTER_LISTEN_PORT", "2000", "PRESENTER_LIMITS_MAX_CONNECTIONS", "20");

        PresenterConfig config = PresenterConfig.load(file, env,
                List.of("listen.port=3000", "tls.certificates=c.pem:k.pem", "zookeeper.connect=zk:2181"));

        assertThat(config.gateway().listenAddress().getPort()).isEqualTo(3000);
        assertThat(config.gateway().maxConnections()).isEqualTo(20);
    }

    @Test
    void everyProblemIsReportedAtOnceWithItsKeyAndSource() throws Exception {
        Path file = write("listen:\n  port: seventy\n  colour: blue\nlimits:\n  idle-timeout: soon\n");

        assertThatThrownBy(() -> PresenterConfig.load(file, Map.of("PRESENTER_DRAIN_CLOSE_RATE", "-1"),
                List.of("nonsense=1")))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).containsExactlyInAnyOrder(
                        "listen.colour: unknown setting",
                        "--set nonsense: unknown setting",
                        "listen.port (" + file + "): expected a whole number, got 'seventy'",
                        "limits.idle-timeout (" + file + "): expected a duration like 250ms, 10s, 5m, 24h or ISO-8601 PT10S, got 'soon'",
                        "drain.close-rate (environment PRESENTER_DRAIN_CLOSE_RATE): must be 1..1000000, got -1",
                        "tls.certificates is required",
                        "zookeeper.connect is required"));
    }

    @Test
    void anExposedAdminEndpointNeedsACredential() {
        assertThatThrownBy(() -> PresenterConfig.load(null, Map.of(),
                List.of("tls.certificates=c.pem:k.pem", "zookeeper.connect=zk:2181", "admin.address=0.0.0.0")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("admin.token-file");
    }

    @Test
    void mutualTlsOnTheMuxLinksNeedsAllThreeFiles() throws ConfigException {
        assertThat(PresenterConfig.load(null, Map.of(), REQUIRED).backendTls()).as("plaintext by default").isNull();
        List<String> partial = new java.util.ArrayList<>(REQUIRED);
        partial.add("backend.tls-certificate=p.pem");
        assertThatThrownBy(() -> PresenterConfig.load(null, Map.of(), partial))
                .isInstanceOf(ConfigException.class).hasMessageContaining("go together");
        partial.addAll(List.of("backend.tls-key=p.key", "backend.tls-ca=ca.pem"));
        assertThat(PresenterConfig.load(null, Map.of(), partial).backendTls().ca()).isEqualTo(Path.of("ca.pem"));
    }

    @Test
    void crossSettingRulesAreConfigErrors() {
        assertThatThrownBy(() -> PresenterConfig.load(null, Map.of(),
                List.of("tls.certificates=c.pem:k.pem", "zookeeper.connect=zk:2181", "tls.protocols=TLSv1.1")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("tls.protocols");
    }

    @Test
    void edgeGuardsReachTheListenerSettings() throws Exception {
        Path file = write("""
                listen:
                  proxy-protocol: required
                limits:
                  max-handshake-rate: 800
                  max-connection-rate-per-ip: 20
                  max-connection-age: 24h
                  max-connection-age-jitter: 0.2
                drain:
                  close-rate: 50
                tls:
                  certificates: c.pem:k.pem
                zookeeper:
                  connect: zk:2181
                """);

        EdgeSettings edge = PresenterConfig.load(file, Map.of(), List.of()).gateway().edge();

        assertThat(edge).isEqualTo(new EdgeSettings(ProxyProtocol.REQUIRED, 800, 20, Duration.ofHours(24), 0.2, 50));
        assertThat(PresenterConfig.load(null, Map.of(), REQUIRED).gateway().edge()).as("off by default")
                .isEqualTo(EdgeSettings.DEFAULTS);
        assertThat(PresenterConfig.load(write("listen:\n  proxy-protocol: off\n"), Map.of(), REQUIRED).gateway()
                .edge().proxyProtocol()).as("YAML's bare off is a boolean").isEqualTo(ProxyProtocol.OFF);
        assertThatThrownBy(() -> PresenterConfig.load(null, Map.of(),
                List.of("tls.certificates=c.pem:k.pem", "zookeeper.connect=zk:2181", "listen.proxy-protocol=maybe")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("listen.proxy-protocol");
    }

    @Test
    void handoverLimitsReachTheClientPipelineSettings() throws Exception {
        assertThat(PresenterConfig.load(null, Map.of(), REQUIRED).gateway().clientLimits().handover())
                .as("defaults").isEqualTo(HandoverLimits.DEFAULTS);
        Path file = write("""
                backend:
                  handover-replay-slack-bytes: 32768
                  handover-replay-max-bytes: 262144
                  handover-timeout: 5s
                  handover-max-state-bytes: 2048
                tls:
                  certificates: c.pem:k.pem
                zookeeper:
                  connect: zk:2181
                """);

        assertThat(PresenterConfig.load(file, Map.of(), List.of()).gateway().clientLimits().handover())
                .isEqualTo(new HandoverLimits(32768, 262144, Duration.ofSeconds(5), 2048));
        assertThatThrownBy(() -> PresenterConfig.load(file, Map.of(), List.of("backend.handover-replay-max-bytes=1024")))
                .as("the maximum below the slack").isInstanceOf(ConfigException.class).hasMessageContaining("replay");
    }

    @Test
    void theTransportIsASettingAndOnlyEpollHandsItsListenerOver() throws Exception {
        assertThat(PresenterConfig.load(null, Map.of(), REQUIRED).gateway().transport()).as("default")
                .isEqualTo(TransportChoice.AUTO);
        assertThat(PresenterConfig.load(write("listen:\n  transport: io_uring\n"), Map.of(), REQUIRED).gateway()
                .transport()).isEqualTo(TransportChoice.IO_URING);
        assertThat(PresenterConfig.load(null, Map.of("PRESENTER_LISTEN_TRANSPORT", "nio"), REQUIRED).gateway()
                .transport()).isEqualTo(TransportChoice.NIO);
        assertThatThrownBy(() -> PresenterConfig.load(null, Map.of(), with("listen.transport=kqueue")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("listen.transport")
                .hasMessageContaining("io_uring");
        for (String refused : List.of("io_uring", "nio")) {
            assertThatThrownBy(() -> PresenterConfig.load(null, Map.of(),
                    with("listen.transport=" + refused, "handover.socket=/tmp/presenter-handover.sock")))
                    .as("handover on %s", refused).isInstanceOf(ConfigException.class)
                    .hasMessageContaining("handover.socket needs the epoll transport");
        }
        assertThat(PresenterConfig.load(null, Map.of(),
                with("listen.transport=epoll", "handover.socket=/tmp/presenter-handover.sock")).handover().enabled())
                .isTrue();
    }

    private static List<String> with(String... overrides) {
        List<String> all = new java.util.ArrayList<>(REQUIRED);
        all.addAll(List.of(overrides));
        return all;
    }

    private Path write(String yaml) throws IOException {
        return Files.writeString(dir.resolve("presenter.yaml"), yaml);
    }
}
