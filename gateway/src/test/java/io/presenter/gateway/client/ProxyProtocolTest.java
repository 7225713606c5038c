package io.presenter.gateway.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.presenter.gateway.PresenterCluster;
import io.presenter.gateway.PresenterServer;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.protocol.wire.AuthToken;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.testing.Await;
import io.presenter.testing.TestChatClient;
import io.presenter.testing.TestTls;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The PROXY protocol on the client listener, over real sockets and real TLS: the end client's
 * address a v1 or v2 header names is the one the stream carries and the per-address limit counts;
 * a v2 LOCAL health check is closed cleanly and not counted as a client; a malformed header, or
 * none when one is required, is a counted refusal before any TLS work.
 */
class ProxyProtocolTest {

    private static final Duration AUTH_TIMEOUT = Duration.ofSeconds(10);

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    @Test
    void v1HeaderNamesTheClientOfTheStream() throws Exception {
        EdgeServer edge = server(ProxyProtocol.REQUIRED, 0);
        TestChatClient client = client(edge, v1("203.0.113.7", 40_000));

        client.send(ClientPacket.auth(auth()));

        assertThat(edge.nextOpen().clientAddress()).isEqualTo(new InetSocketAddress("203.0.113.7", 40_000));
        client.awaitClosed();  // no chat server behind this edge
        edge.awaitCounter(1, ClientMeters.CONNECTIONS_CLOSED, "reason", ClientRelay.NO_SHARD);
    }

    @Test
    void v2HeaderNamesTheClientOfTheStream() throws Exception {
        EdgeServer edge = server(ProxyProtocol.REQUIRED, 0);
        TestChatClient client = client(edge, v2(HAProxyCommand.PROXY, HAProxyProxiedProtocol.TCP6,
                "2001:db8::17", "2001:db8::1", 51_000));

        client.send(ClientPacket.auth(auth()));

        assertThat(edge.nextOpen().clientAddress()).isEqualTo(new InetSocketAddress("2001:db8::17", 51_000));
    }

    @Test
    void perAddressLimitCountsTheEndClientNotTheBalancer() throws Exception {
        EdgeServer edge = server(ProxyProtocol.REQUIRED, 1);  // every socket here comes from 127.0.0.1

        TestChatClient first = client(edge, v1("198.51.100.1", 1_000));
        Await.until(EdgeServer.TIMEOUT, () -> edge.connections.active() == 1, () -> "active " + edge.connections.active());
        TestChatClient sameAddress = client(edge, v1("198.51.100.1", 1_001));
        sameAddress.awaitClosed();
        edge.awaitCounter(1, ClientMeters.CONNECTIONS_CLOSED, "reason", ClientConnections.OVER_ADDRESS_LIMIT);
        TestChatClient otherAddress = client(edge, v2(HAProxyCommand.PROXY, HAProxyProxiedProtocol.TCP4,
                "198.51.100.2", "10.0.0.1", 1_002));
        Await.until(EdgeServer.TIMEOUT, () -> edge.connections.active() == 2, () -> "active " + edge.connections.active());

        assertThat(first.channel().isActive()).isTrue();
        assertThat(otherAddress.channel().isActive()).isTrue();
    }

    @Test
    void localHealthCheckIsClosedCleanlyAndIsNoClient() throws Exception {
        EdgeServer edge = server(ProxyProtocol.REQUIRED, 0);

        assertThat(sendAndReadToEnd(edge, v2(HAProxyCommand.LOCAL, HAProxyProxiedProtocol.UNKNOWN, null, null, 0)))
                .as("closed with a FIN, nothing sent").isEqualTo(-1);

        edge.awaitCounter(1, ClientMeters.PROXY_HEALTH_CHECKS, "kind", "local");
        assertThat(edge.counter(ClientMeters.CONNECTIONS_OPENED)).as("not a client").isZero();
        assertThat(edge.registry.find(ClientMeters.CONNECTIONS_CLOSED).counters()).as("no close counted").isEmpty();
        assertThat(edge.connections.active()).isZero();
    }

    @Test
    void malformedHeaderIsACountedRefusal() throws Exception {
        EdgeServer edge = server(ProxyProtocol.REQUIRED, 0);

        sendAndReadToEnd(edge, "PROXY TCP4 203.0.113.999 10.0.0.1 1 443\r\n".getBytes(StandardCharsets.US_ASCII));

        edge.awaitCounter(1, ClientMeters.CONNECTIONS_CLOSED, "reason", ProxyHeaderHandler.MALFORMED);
        assertThat(edge.counter(ClientMeters.CONNECTIONS_OPENED)).isZero();
    }

    @Test
    void noHeaderWhenRequiredIsACountedRefusalBeforeTls() throws Exception {
        EdgeServer edge = server(ProxyProtocol.REQUIRED, 0);

        TestChatClient direct = client(edge, new byte[0]);  // starts with its TLS ClientHello
        direct.awaitClosed();

        edge.awaitCounter(1, ClientMeters.CONNECTIONS_CLOSED, "reason", ProxyHeaderHandler.MISSING);
        assertThat(edge.counter(ClientMeters.CONNECTIONS_OPENED)).isZero();
        assertThat(edge.registry.find("presenter.tls.handshakes").counters().stream().mapToDouble(c -> c.count()).sum())
                .as("no TLS work").isZero();
    }

    @Test
    void optionalTakesAHeaderOrTheSocketsPeer() throws Exception {
        EdgeServer edge = server(ProxyProtocol.OPTIONAL, 0);

        TestChatClient proxied = client(edge, v1("203.0.113.8", 2_000));
        proxied.send(ClientPacket.auth(auth()));
        assertThat(edge.nextOpen().clientAddress()).isEqualTo(new InetSocketAddress("203.0.113.8", 2_000));

        TestChatClient direct = client(edge, new byte[0]);
        direct.send(ClientPacket.auth(auth()));
        assertThat(edge.nextOpen().clientAddress()).isEqualTo(direct.channel().localAddress());
    }

    @Test
    void aCoupleChatsThroughAPresenterBehindABalancer() throws Exception {
        PresenterCluster cluster = PresenterCluster.withOneChatServer();
        closeables.add(cluster);
        PresenterServer presenter = cluster.startPresenter(PresenterCluster.settings().toBuilder()
                .edge(EdgeSettings.DEFAULTS.withProxyProtocol(ProxyProtocol.REQUIRED)).build(), cluster.directory);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        closeables.add(() -> group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly());

        TestChatClient alice = TestChatClient.connect(group, presenter.address(), TestTls.client(),
                v2(HAProxyCommand.PROXY, HAProxyProxiedProtocol.TCP4, "203.0.113.21", "10.0.0.1", 3_000));
        closeables.add(alice);
        TestChatClient bob = TestChatClient.connect(group, presenter.address(), TestTls.client(),
                v1("203.0.113.22", 3_001));
        closeables.add(bob);
        assertThat(alice.authenticate(cluster.auth(1, 900))).isEqualTo(AuthStatus.OK);
        assertThat(bob.authenticate(cluster.auth(2, 900))).isEqualTo(AuthStatus.OK);

        PresenterCluster.assertChat(alice, bob, 1, 5);
        PresenterCluster.assertChat(bob, alice, 1, 5);
        TestChatClient direct = cluster.connect(presenter);
        direct.awaitClosed();
        cluster.awaitCounter(1, ClientMeters.CONNECTIONS_CLOSED, "reason", ProxyHeaderHandler.MISSING);
    }

    private EdgeServer server(ProxyProtocol mode, int maxPerAddress) throws Exception {
        EdgeServer edge = new EdgeServer(EdgeSettings.DEFAULTS.withProxyProtocol(mode), maxPerAddress, AUTH_TIMEOUT);
        closeables.add(edge);
        return edge;
    }

    private TestChatClient client(EdgeServer edge, byte[] preface) throws Exception {
        TestChatClient client = edge.connect(preface);
        closeables.add(client);
        return client;
    }

    /** Sends {@code bytes} on a plain socket; the first byte read back (-1 at a clean end of stream). */
    private static int sendAndReadToEnd(EdgeServer edge, byte[] bytes) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(edge.address(), 5_000);
            socket.setSoTimeout((int) EdgeServer.TIMEOUT.toMillis());
            socket.getOutputStream().write(bytes);
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            return in.read();
        }
    }

    private static io.presenter.protocol.wire.AuthPacket auth() {
        return TestChatClient.authPacket(1, 10, new AuthToken("k1", 0, ByteBuffer.allocate(32)));
    }

    static byte[] v1(String source, int sourcePort) {
        return ("PROXY TCP4 " + source + " 10.0.0.1 " + sourcePort + " 443\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** A v2 header as Netty's encoder writes it. */
    static byte[] v2(HAProxyCommand command, HAProxyProxiedProtocol protocol, String source, String destination,
            int sourcePort) {
        EmbeddedChannel encoder = new EmbeddedChannel(HAProxyMessageEncoder.INSTANCE);
        encoder.writeOutbound(new HAProxyMessage(HAProxyProtocolVersion.V2, command, protocol, source, destination,
                sourcePort, source == null ? 0 : 443));
        ByteBuf encoded = encoder.readOutbound();
        try {
            return ByteBufUtil.getBytes(encoded);
        } finally {
            encoded.release();
            encoder.finishAndReleaseAll();
        }
    }
}
