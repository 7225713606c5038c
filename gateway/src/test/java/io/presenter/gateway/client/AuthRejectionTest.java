package io.presenter.gateway.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.netty.buffer.Unpooled;
import io.presenter.gateway.HonestCoupleTestBase;
import io.presenter.gateway.PresenterCluster;
import io.presenter.gateway.PresenterServer;
import io.presenter.gateway.tls.TlsSettings;
import io.presenter.protocol.auth.TokenKeys;
import io.presenter.protocol.auth.TokenSigner;
import io.presenter.protocol.codec.ClientPackets;
import io.presenter.protocol.codec.MalformedFrameException;
import io.presenter.protocol.wire.AuthPacket;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.testing.TestChatClient;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Bad clients are closed by the auth stage with a counted reason, while an honest couple on the
 * same presenter keeps chatting after each of them.
 */
class AuthRejectionTest extends HonestCoupleTestBase {

    private static final Duration AUTH_TIMEOUT = Duration.ofSeconds(1);

    AuthRejectionTest() {
        super(AUTH_TIMEOUT, TlsSettings.DEFAULT_HANDSHAKE_TIMEOUT);
    }

    @Test
    void plainTextOnTheTlsPort() throws Exception {
        try (Socket socket = new Socket(presenter.address().getAddress(), presenter.address().getPort())) {
            socket.setSoTimeout((int) TestChatClient.TIMEOUT.toMillis());
            socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: presenter\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            while (in.read() >= 0) {
                // whatever the TLS stack answers (an alert, or nothing), then end of stream
            }
        }
        cluster.awaitCounter(1, ClientMeters.CONNECTIONS_CLOSED, "reason", "tls_handshake_failed");
    }

    @Test
    void noAuthPacketBeforeTheDeadline() throws Exception {
        TestChatClient silent = cluster.connect(presenter);
        silent.awaitClosed();
        assertRejected("auth_timeout");
    }

    @Test
    void oversizedAuthPacket() throws Exception {
        AuthPacket auth = cluster.auth(3, 501);
        auth.setClientVersion("x".repeat(5_000));
        TestChatClient client = cluster.connect(presenter);
        client.send(ClientPacket.auth(auth));
        client.awaitClosed();
        assertRejected("auth_too_large");
    }

    @Test
    void garbageAuthPacket() throws Exception {
        byte[] garbage = {0, 0, 0, 6, (byte) 0xff, (byte) 0xfe, 0x7f, 0x13, 0x00, 0x42};
        MalformedFrameException expected = catchThrowableOfType(
                () -> ClientPackets.decode(Unpooled.wrappedBuffer(garbage)), MalformedFrameException.class);
        TestChatClient client = cluster.connect(presenter);
        client.channel().writeAndFlush(Unpooled.wrappedBuffer(garbage));
        client.awaitClosed();
        assertRejected("malformed_" + expected.reason().tag());
    }

    @Test
    void firstPacketIsNotAnAuthPacket() throws Exception {
        TestChatClient client = cluster.connect(presenter);
        client.sendMessage(1, "hello before auth");
        client.awaitClosed();
        assertRejected("not_auth");
    }

    @Test
    void forgedToken() throws Exception {
        TokenKeys forgerKeys = TokenKeys.of("k1", Map.of("k1", "not the presenter's secret, at all!"
                .getBytes(StandardCharsets.US_ASCII)));
        TestChatClient client = cluster.connect(presenter);
        client.send(ClientPacket.auth(TestChatClient.authPacket(4, 502,
                new TokenSigner(forgerKeys, Clock.systemUTC()).sign(4, 502, Duration.ofHours(1)))));
        assertThat(client.next(ClientPacket::isSetAuthResult).getAuthResult().getStatus())
                .as("told why before the close").isEqualTo(AuthStatus.BAD_SIGNATURE);
        client.awaitClosed();
        assertRejected("bad_token");
    }

    @Test
    void coupleWithNoLiveShard() throws Exception {
        PresenterServer ringless = cluster.startPresenter(PresenterCluster.settings(), cluster.newDirectory("/nobody"));
        TestChatClient client = cluster.connect(ringless);
        client.send(ClientPacket.auth(cluster.auth(5, 503)));
        client.awaitClosed();
        assertRejected("no_shard");
    }

    @Test
    void connectionsBeyondTheLimitAreClosedAtOnce() throws Exception {
        PresenterServer small = cluster.startPresenter(PresenterCluster.settings().withMaxConnections(1), cluster.directory);
        TestChatClient admitted = cluster.authenticated(small, 6, 504);
        TestChatClient refused = cluster.connect(small);
        refused.awaitClosed();
        cluster.awaitCounter(1, ClientMeters.CONNECTIONS_CLOSED, "reason", ClientConnections.OVER_LIMIT);
        assertThat(admitted.channel().isActive()).isTrue();
    }

    private void assertRejected(String reason) {
        cluster.awaitCounter(1, ClientMeters.AUTH_REJECTED, "reason", reason);
        cluster.awaitCounter(1, ClientMeters.CONNECTIONS_CLOSED, "reason", reason);
        assertHonestCoupleConnected();
    }
}
