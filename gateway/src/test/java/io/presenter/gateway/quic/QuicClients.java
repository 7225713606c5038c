package io.presenter.gateway.quic;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.presenter.gateway.PresenterCluster;
import io.presenter.gateway.tls.TlsSettings.CertificateFiles;
import io.presenter.loadtest.quic.QuicClientEndpoint;
import io.presenter.loadtest.quic.QuicClientEndpoint.Session;
import io.presenter.testing.TestChatClient;
import io.presenter.testing.TestTls;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** QUIC test clients of one presenter: the harness's endpoint, with {@link TestChatClient}s on its session streams. */
final class QuicClients implements AutoCloseable {

    private final EventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final QuicClientEndpoint endpoint;
    private final List<TestChatClient> clients = new ArrayList<>();
    private volatile Session last;

    QuicClients(boolean earlyData) throws InterruptedException {
        endpoint = new QuicClientEndpoint(loops, new InetSocketAddress("127.0.0.1", 0), earlyData, 60_000);
    }

    /** QUIC on an ephemeral UDP port with the test certificate. */
    static QuicSettings settings() {
        return QuicSettings.enabled(new CertificateFiles(TestTls.certificatePem().toPath(),
                TestTls.privateKeyPem().toPath())).toBuilder().port(0).build();
    }

    QuicClientEndpoint endpoint() {
        return endpoint;
    }

    /** A client whose session stream is open (in 0-RTT if the endpoint holds a ticket), nothing sent yet. */
    TestChatClient connect(InetSocketAddress server) throws Exception {
        TestChatClient client = TestChatClient.over(initializer -> {
            Session session = endpoint.open(server, initializer).get(TestChatClient.TIMEOUT.toMillis(),
                    TimeUnit.MILLISECONDS);
            last = session;
            return (Channel) session.stream();
        });
        clients.add(client);
        return client;
    }

    void last(Session session) {
        last = session;
    }

    /** The session {@link #connect} opened last. */
    Session lastSession() {
        return last;
    }

    /** An authenticated QUIC client of {@code server}. */
    TestChatClient authenticated(PresenterCluster cluster, InetSocketAddress server, long user, long couple)
            throws Exception {
        TestChatClient client = connect(server);
        if (client.authenticate(cluster.auth(user, couple)) != io.presenter.protocol.wire.AuthStatus.OK) {
            throw new AssertionError("auth of user " + user + " refused");
        }
        return client;
    }

    @Override
    public void close() {
        clients.forEach(c -> c.channel().parent().close().awaitUninterruptibly());
        endpoint.close();
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
