package io.presenter.gateway.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.presenter.gateway.PresenterCluster;
import io.presenter.gateway.chaos.ChatFleet.Couple;
import io.presenter.gateway.chaos.ChatFleet.Member;
import io.presenter.gateway.client.ClientMeters;
import io.presenter.gateway.quic.QuicSettings;
import io.presenter.gateway.tls.TlsSettings.CertificateFiles;
import io.presenter.loadtest.quic.QuicClientEndpoint;
import io.presenter.testing.TestTls;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * The QUIC edge from outside: 200 QUIC clients and 100 TLS clients, mixed inside the same couples,
 * chat through one presenter to three chat servers. Every message arrives exactly once, in order,
 * whichever transport each side uses; nobody is closed; QUIC clients are counted as connections
 * like TCP ones (same limits, drain and load figure), with {@code transport=quic} on their meters.
 */
class QuicEdgeTest extends ChaosTestBase {

    static final int COUPLES = 150;
    static final int ROUNDS = 10;

    /** Side 0 of every couple dials QUIC, side 1 of every third couple too: 200 QUIC, 100 TLS. */
    static final Predicate<Member> QUIC_SIDE = member -> member.side == 0 || member.couple.id % 3 == 0;

    private final EventLoopGroup quicLoops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private QuicClientEndpoint endpoint;

    @BeforeEach
    void start() throws Exception {
        start(new PresenterCluster(), PresenterCluster.settings(), UnaryOperator.identity(), "chat-1", "chat-2", "chat-3");
        InetSocketAddress quic = presenter.startQuic(quicSettings()).address();
        endpoint = new QuicClientEndpoint(quicLoops, new InetSocketAddress("127.0.0.1", 0), true, 60_000);
        fleet.quic(endpoint, quic, QUIC_SIDE);
    }

    /** QUIC on an ephemeral UDP port with the test certificate. */
    static QuicSettings quicSettings() {
        return QuicSettings.enabled(new CertificateFiles(TestTls.certificatePem().toPath(),
                TestTls.privateKeyPem().toPath())).toBuilder().port(0).build();
    }

    @AfterEach
    void stopQuicClients() {
        if (fleet != null) {
            fleet.close();
            fleet = null;
        }
        if (endpoint != null) {
            endpoint.close();
        }
        quicLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void quicAndTlsClientsChatExactlyOnceInTheSameCouples() {
        List<Couple> all = fleet.connect(LongStream.range(0, COUPLES).map(i -> 300_000 + i).boxed().toList());
        fleet.awaitAuthenticated(all, SETTLE);
        long quicClients = all.stream().flatMap(c -> List.of(c.sides).stream()).filter(QUIC_SIDE).count();
        assertThat(quicClients).isEqualTo(200);
        assertThat(presenter.connections().active()).as("QUIC and TLS clients, one connection each")
                .isEqualTo(2 * COUPLES);

        for (int round = 0; round < ROUNDS; round++) {
            fleet.sendRound(all);
        }
        fleet.awaitAllDelivered(all, SETTLE);

        assertThat(fleet.violations()).as("duplicates, reorders, strangers").isEmpty();
        assertThat(all).allSatisfy(couple -> {
            assertThat(couple.closes()).as("closes of %s", couple).isZero();
            assertThat(couple.sides[0].gaps.get() + couple.sides[1].gaps.get()).as("gaps of %s", couple).isZero();
            assertThat(couple.sides[0].lastSequenceFromPartner).isEqualTo(ROUNDS);
        });
        assertThat(cluster.counter(ClientMeters.CONNECTIONS_OPENED, ClientMeters.TRANSPORT, ClientMeters.QUIC))
                .isEqualTo(200);
        assertThat(cluster.counter(ClientMeters.CONNECTIONS_OPENED, ClientMeters.TRANSPORT, ClientMeters.TCP))
                .isEqualTo(100);
        assertThat(cluster.counter(ClientMeters.RELAY_BYTES, "direction", "to_stream", ClientMeters.TRANSPORT,
                ClientMeters.QUIC)).isPositive();
        // The ring spread the couples: every chat server holds some, QUIC or not.
        assertThat(cluster.chatServers()).allSatisfy(server -> assertThat(server.service().sessionCount()).isPositive());
        assertThat(cluster.chatServers().stream().mapToInt(s -> s.service().sessionCount()).sum())
                .isEqualTo(2 * COUPLES);
    }
}
