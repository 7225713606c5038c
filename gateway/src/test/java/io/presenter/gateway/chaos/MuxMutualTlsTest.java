package io.presenter.gateway.chaos;

import static io.presenter.gateway.PresenterCluster.assertChat;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import io.presenter.chat.server.ChatServer;
import io.presenter.chat.server.ChatServerConfig;
import io.presenter.gateway.PresenterCluster;
import io.presenter.gateway.backend.BackendPool;
import io.presenter.gateway.backend.BackendTls;
import io.presenter.gateway.backend.BackendUnavailableException;
import io.presenter.gateway.backend.ConnectBackoff;
import io.presenter.protocol.auth.TokenSigner;
import io.presenter.protocol.mux.MuxConnection;
import io.presenter.protocol.mux.MuxSettings;
import io.presenter.protocol.mux.MuxTls;
import io.presenter.protocol.mux.StreamMetadata;
import io.presenter.protocol.transport.Transport;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.ring.RingMember;
import io.presenter.testing.Await;
import io.presenter.testing.TestChatClient;
import io.presenter.testing.TestTls;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutual TLS on the mux links, from PEM files signed by a private CA: the presenter's backend pool
 * and a chat server's mux door chat over it; a presenter without a client certificate, or with
 * plaintext, is refused and counted by the chat server; a chat server whose certificate comes from
 * another CA is refused and counted by the presenter.
 */
class MuxMutualTlsTest {

    static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    static Path pemDirectory;
    static TestCertificates trusted;
    static TestCertificates rogue;

    private final Transport transport = Transport.best();
    private final EventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, transport.ioHandlerFactory());
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final TokenSigner signer = new TokenSigner(PresenterCluster.TOKEN_KEYS, Clock.systemUTC());

    @BeforeAll
    static void certificates() throws Exception {
        trusted = new TestCertificates("presenter-mux-ca", pemDirectory);
        rogue = new TestCertificates("rogue-ca", pemDirectory);
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        loops.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void chatWorksEndToEndOverMutualTls() throws Exception {
        MeterRegistry chatMeters = new SimpleMeterRegistry();
        ChatServer server = chatServer("chat-1", trusted, chatMeters);
        MeterRegistry presenterMeters = new SimpleMeterRegistry();
        BackendPool pool = pool(presenterTls(trusted.issue("presenter-1")), presenterMeters);

        MuxConnection connection = acquire(pool, member(server)).get();
        SslHandler tls = connection.channel().pipeline().get(SslHandler.class);
        assertThat(tls).as("TLS on the mux connection").isNotNull();
        X509Certificate peer = (X509Certificate) tls.engine().getSession().getPeerCertificates()[0];
        assertThat(peer.getSubjectX500Principal().getName()).isEqualTo("CN=chat-1");
        assertThat(tls.engine().getSession().getProtocol()).isEqualTo("TLSv1.3");

        long couple = 77;
        TestChatClient alice = stream(connection, 1, couple);
        TestChatClient bob = stream(connection, 2, couple);
        assertChat(alice, bob, 1, 5);
        assertChat(bob, alice, 1, 5);
        assertThat(counter(chatMeters, ChatServer.MUX_TLS_FAILURES)).isZero();
        assertThat(counter(presenterMeters, BackendPool.TLS_FAILURES)).isZero();
        ChaosReport.print("MuxMutualTlsTest.chatWorksEndToEndOverMutualTls", "protocol",
                tls.engine().getSession().getProtocol(), "cipher", tls.engine().getSession().getCipherSuite(),
                "chatServerCertificate", peer.getSubjectX500Principal().getName(), "messages", 10);
    }

    @Test
    void aPresenterWithoutAClientCertificateIsRefused() throws Exception {
        MeterRegistry chatMeters = new SimpleMeterRegistry();
        ChatServer server = chatServer("chat-1", trusted, chatMeters);
        BackendPool certless = pool(BackendTls.mutual(
                MuxTls.client(SslContextBuilder.forClient().trustManager(trusted.caFile.toFile()))),
                new SimpleMeterRegistry());
        BackendPool plaintext = pool(BackendTls.PLAINTEXT, new SimpleMeterRegistry());

        // In TLS 1.3 the client finishes its handshake before the server has checked the client's
        // certificate, so the certless connection may be handed out, and dies at once.
        Future<MuxConnection> noCertificate = acquire(certless, member(server));
        Future<MuxConnection> noTls = acquire(plaintext, member(server));
        // Plaintext connects (TCP), then the chat server's TLS reads the mux preface as garbage and closes.
        Await.until(WAIT, () -> counter(chatMeters, ChatServer.MUX_TLS_FAILURES) == 2,
                () -> "mux TLS refusals counted by the chat server: " + counter(chatMeters, ChatServer.MUX_TLS_FAILURES));
        for (Future<MuxConnection> refused : List.of(noCertificate, noTls)) {
            Await.until(WAIT, () -> !refused.isSuccess() || !refused.getNow().channel().isActive(),
                    () -> "refused connection still open");
        }
        Await.until(WAIT, () -> certless.openConnections() == 0 && plaintext.openConnections() == 0,
                () -> "open: " + certless.openConnections() + " certless, " + plaintext.openConnections() + " plaintext");
        assertThat(server.service().sessionCount()).isZero();
        ChaosReport.print("MuxMutualTlsTest.aPresenterWithoutAClientCertificateIsRefused",
                "refusedByChatServer", counter(chatMeters, ChatServer.MUX_TLS_FAILURES),
                "certlessAcquire", noCertificate.isSuccess() ? "handed out, closed by the server" : String.valueOf(noCertificate.cause()));
    }

    @Test
    void aChatServerWithACertificateFromAnotherCaIsRefused() throws Exception {
        MeterRegistry chatMeters = new SimpleMeterRegistry();
        // Its own certificate is signed by the rogue CA; it would accept our client certificate.
        ChatServer impostor = ChatServer.start(ChatServerConfig.loopback("chat-1").withMuxTls(
                MuxTls.server(SslContextBuilder.forServer(rogue.issue("chat-1").certificate().toFile(),
                        pemFile(rogue, "chat-1-key.pem")).trustManager(trusted.caFile.toFile()))),
                TestTls.server(), auth -> AuthStatus.OK, chatMeters);
        closeables.add(impostor);
        MeterRegistry presenterMeters = new SimpleMeterRegistry();
        BackendPool pool = pool(presenterTls(trusted.issue("presenter-1")), presenterMeters);

        Future<MuxConnection> acquired = acquire(pool, member(impostor));
        assertThat(acquired.cause()).isInstanceOf(BackendUnavailableException.class);
        // The handshake failure is counted by its own listener, which may run after the acquire failed.
        Await.until(WAIT, () -> counter(presenterMeters, BackendPool.TLS_FAILURES) == 1,
                () -> "TLS failures counted: " + counter(presenterMeters, BackendPool.TLS_FAILURES));
        assertThat(pool.openConnections()).isZero();
        assertThat(impostor.service().sessionCount()).isZero();
        ChaosReport.print("MuxMutualTlsTest.aChatServerWithACertificateFromAnotherCaIsRefused",
                "refusedByPresenter", counter(presenterMeters, BackendPool.TLS_FAILURES),
                "cause", String.valueOf(acquired.cause().getCause()));
    }

    private ChatServer chatServer(String id, TestCertificates ca, MeterRegistry meters) throws Exception {
        TestCertificates.Pem pem = ca.issue(id);
        ChatServer server = ChatServer.start(ChatServerConfig.loopback(id)
                        .withMuxTls(MuxTls.server(pem.certificate(), pem.privateKey(), ca.caFile)),
                TestTls.server(), auth -> AuthStatus.OK, meters);
        closeables.add(server);
        return server;
    }

    private static java.io.File pemFile(TestCertificates ca, String name) {
        return pemDirectory.resolve(name).toFile();
    }

    private static BackendTls presenterTls(TestCertificates.Pem pem) throws Exception {
        return BackendTls.mutual(MuxTls.client(pem.certificate(), pem.privateKey(), trusted.caFile));
    }

    private BackendPool pool(BackendTls tls, MeterRegistry meters) {
        BackendPool pool = new BackendPool(transport, MuxSettings.builder().peerId("presenter-mtls").build(), 1,
                Duration.ofSeconds(2), new ConnectBackoff(Duration.ofSeconds(30), Duration.ofSeconds(60)), tls, meters);
        closeables.add(pool);
        return pool;
    }

    private static RingMember member(ChatServer server) {
        return RingMember.active(server.id(), "127.0.0.1", server.muxAddress().getPort(),
                server.directAddress().getPort());
    }

    private Future<MuxConnection> acquire(BackendPool pool, RingMember member) {
        Future<MuxConnection> acquired = pool.acquire(loops.next(), member);
        assertThat(acquired.awaitUninterruptibly(WAIT.toMillis())).as("acquire done within %s", WAIT).isTrue();
        return acquired;
    }

    private TestChatClient stream(MuxConnection connection, long user, long couple) throws Exception {
        TestChatClient client = TestChatClient.overStream(connection, StreamMetadata.of(couple, 1,
                new InetSocketAddress("10.0.0.1", 40_000 + (int) user), "presenter-mtls"));
        closeables.add(client);
        assertThat(client.authenticate(TestChatClient.authPacket(user, couple,
                signer.sign(user, couple, Duration.ofHours(1))))).isEqualTo(AuthStatus.OK);
        return client;
    }

    private static double counter(MeterRegistry registry, String name) {
        var counter = registry.find(name).counter();
        return counter == null ? 0 : counter.count();
    }
}
