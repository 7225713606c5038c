package io.presenter.gateway.trust;

import static io.presenter.gateway.PresenterCluster.assertChat;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.Future;
import io.presenter.chat.server.ChatServer;
import io.presenter.gateway.PresenterCluster;
import io.presenter.gateway.PresenterServer;
import io.presenter.gateway.backend.BackendPool;
import io.presenter.gateway.backend.BackendTls;
import io.presenter.gateway.backend.ConnectBackoff;
import io.presenter.gateway.chaos.TestCertificates;
import io.presenter.gateway.client.ClientMeters;
import io.presenter.gateway.client.ClientRelay;
import io.presenter.protocol.mux.MuxConnection;
import io.presenter.protocol.mux.MuxPeerNames;
import io.presenter.protocol.mux.MuxSettings;
import io.presenter.protocol.mux.MuxTls;
import io.presenter.protocol.transport.Transport;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.ring.RingMember;
import io.presenter.ring.RingSnapshot;
import io.presenter.testing.Await;
import io.presenter.testing.TestChatClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chat-server identity on the mux: every certificate comes from the fleet's one CA, but the
 * presenter requires the chat server's to name the member it dialled
 * ({@code spiffe://chat.test/chat-server/<id>}), and chat servers require a presenter's name. A
 * chat server answering with another member's certificate is refused and counted by the presenter,
 * never sees a client, and clients are routed only to the real owner; a presenter holding a chat
 * server's certificate is refused and counted by the chat server.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MuxIdentityTest {

    private static final String MEMBERS = "spiffe://chat.test/chat-server/";
    private static final String PRESENTERS = "spiffe://chat.test/presenter/";
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    static Path pemDirectory;
    private TestCertificates ca;
    private PresenterCluster cluster;
    private PresenterServer presenter;
    private final MeterRegistry presenterMeters = new SimpleMeterRegistry();
    private final EventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, Transport.best().ioHandlerFactory());

    @BeforeAll
    void startFleet() throws Exception {
        ca = new TestCertificates("fleet-ca", pemDirectory);
        TestCertificates.Pem chat1 = ca.issue("chat-1", MEMBERS + "chat-1");
        cluster = new PresenterCluster();
        cluster.startChatServer("chat-1", config -> config.withMuxTls(chatServerTls(chat1)));
        // chat-2 holds a genuine certificate of the fleet's CA, but chat-1's.
        cluster.startChatServer("chat-2", config -> config.withMuxTls(chatServerTls(chat1)));
        cluster.converged(2);
        TestCertificates.Pem presenterPem = ca.issue("presenter-1", PRESENTERS + "presenter-1");
        presenter = PresenterServer.start(PresenterCluster.settings(), cluster.newServerTls(Duration.ofSeconds(10)),
                cluster.directory, cluster.verifier(), BackendTls.mutual(MuxTls.client(presenterPem.certificate(),
                        presenterPem.privateKey(), ca.caFile).withPeerNames(new MuxPeerNames(MEMBERS))), presenterMeters);
    }

    @AfterAll
    void stop() throws Exception {
        if (presenter != null) {
            presenter.close();
        }
        if (cluster != null) {
            cluster.close();
        }
        loops.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void aChatServerWithAnotherMembersCertificateIsRefusedAndClientsReachOnlyTheRealOwner() throws Exception {
        RingSnapshot ring = cluster.directory.ring();
        long honestCouple = coupleOwnedBy(ring, "chat-1");
        long impostorCouple = coupleOwnedBy(ring, "chat-2");

        TestChatClient alice = cluster.connect(presenter);
        TestChatClient bob = cluster.connect(presenter);
        assertThat(alice.authenticate(cluster.auth(1, honestCouple))).isEqualTo(AuthStatus.OK);
        assertThat(bob.authenticate(cluster.auth(2, honestCouple))).isEqualTo(AuthStatus.OK);
        assertChat(alice, bob, 1, 3);

        double unavailableBefore = clientClosed(ClientRelay.BACKEND_UNAVAILABLE);
        TestChatClient carol = cluster.connect(presenter);
        carol.send(ClientPacket.auth(cluster.auth(3, impostorCouple)));
        carol.awaitClosed();

        Await.until(WAIT, () -> counter(presenterMeters, BackendPool.TLS_IDENTITY_REFUSED) >= 1,
                () -> "identity refusals counted by the presenter: " + counter(presenterMeters, BackendPool.TLS_IDENTITY_REFUSED));
        assertThat(counter(presenterMeters, BackendPool.TLS_FAILURES))
                .isGreaterThanOrEqualTo(counter(presenterMeters, BackendPool.TLS_IDENTITY_REFUSED));
        Await.until(WAIT, () -> clientClosed(ClientRelay.BACKEND_UNAVAILABLE) > unavailableBefore,
                () -> "carol closed as backend_unavailable: " + clientClosed(ClientRelay.BACKEND_UNAVAILABLE));
        // Carol's auth packet (and token) never reached the impostor, nor anyone else.
        assertThat(cluster.chatServer("chat-2").service().sessionCount()).isZero();
        assertThat(cluster.chatServer("chat-1").service().sessionCount()).isEqualTo(2);
        assertThat(alice.channel().isActive()).isTrue();
    }

    @Test
    void aPresenterWhoseCertificateNamesNoPresenterIsRefusedByTheChatServer() throws Exception {
        MeterRegistry chatMeters = cluster.chatRegistry("chat-1");
        double before = counter(chatMeters, ChatServer.MUX_TLS_IDENTITY_REFUSED);
        // A chat server's certificate used to dial as a presenter.
        TestCertificates.Pem notAPresenter = ca.issue("chat-9", MEMBERS + "chat-9");
        BackendPool pool = new BackendPool(Transport.best(), MuxSettings.builder().peerId("not-a-presenter").build(), 1,
                Duration.ofSeconds(2), new ConnectBackoff(Duration.ofSeconds(30), Duration.ofSeconds(60)),
                BackendTls.mutual(MuxTls.client(notAPresenter.certificate(), notAPresenter.privateKey(), ca.caFile)
                        .withPeerNames(new MuxPeerNames(MEMBERS))), new SimpleMeterRegistry());
        try {
            RingMember chat1 = cluster.directory.ring().members().stream()
                    .filter(member -> member.id().equals("chat-1")).findFirst().orElseThrow();
            Future<MuxConnection> acquired = pool.acquire(loops.next(), chat1);
            assertThat(acquired.awaitUninterruptibly(WAIT.toMillis())).isTrue();
            Await.until(WAIT, () -> counter(chatMeters, ChatServer.MUX_TLS_IDENTITY_REFUSED) == before + 1,
                    () -> "identity refusals counted by chat-1: " + counter(chatMeters, ChatServer.MUX_TLS_IDENTITY_REFUSED));
            // TLS 1.3: the client may finish before the server's check; the server closes it either way.
            Await.until(WAIT, () -> pool.openConnections() == 0, () -> "open: " + pool.openConnections());
        } finally {
            pool.close();
        }
    }

    private MuxTls chatServerTls(TestCertificates.Pem pem) {
        try {
            return MuxTls.server(pem.certificate(), pem.privateKey(), ca.caFile).withPeerNames(new MuxPeerNames(PRESENTERS));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static long coupleOwnedBy(RingSnapshot ring, String memberId) {
        return LongStream.range(1_000, 100_000).filter(couple -> ring.owner(couple).orElseThrow().id().equals(memberId))
                .findFirst().orElseThrow();
    }

    private double clientClosed(String reason) {
        io.micrometer.core.instrument.Counter counter = presenterMeters.find(ClientMeters.CONNECTIONS_CLOSED)
                .tag("reason", reason).counter();
        return counter == null ? 0 : counter.count();
    }

    private static double counter(MeterRegistry registry, String name) {
        io.micrometer.core.instrument.Counter counter = registry.find(name).counter();
        return counter == null ? 0 : counter.count();
    }
}
