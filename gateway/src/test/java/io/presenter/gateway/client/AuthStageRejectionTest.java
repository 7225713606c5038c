package io.presenter.gateway.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.presenter.protocol.auth.TokenKeys;
import io.presenter.protocol.auth.TokenSigner;
import io.presenter.protocol.auth.TokenVerifier;
import io.presenter.protocol.codec.ClientPackets;
import io.presenter.protocol.codec.LibthriftWire;
import io.presenter.protocol.wire.AuthResult;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.protocol.wire.AuthToken;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.testing.TestChatClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A client whose token the edge refuses is told why before the close, as a chat server tells a
 * direct client: one {@code AuthResult} with the token's status, then the close, counted under the
 * rejection's reason. Other rejections (no auth packet, a malformed one) close without a word.
 */
class AuthStageRejectionTest {

    private static final Instant NOW = Instant.parse("2026-12-06T10:00:00Z");
    private static final TokenKeys KEYS = TokenKeys.of("k1",
            Map.of("k1", "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII)));
    private static final TokenSigner SIGNER = new TokenSigner(KEYS, Clock.fixed(NOW, ZoneOffset.UTC));

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ClientMeters meters = new ClientMeters(registry);
    private final FakeStreamOpener opener = new FakeStreamOpener(0);
    private final EmbeddedChannel client = new EmbeddedChannel();

    AuthStageRejectionTest() {
        new ClientConnections(10, 0, meters).admit(client);
        client.pipeline().addLast(AuthStage.NAME, new AuthStage(Duration.ofSeconds(10), 4096,
                new TokenVerifier(KEYS, Clock.fixed(NOW, ZoneOffset.UTC), Duration.ZERO), opener, meters));
    }

    @AfterEach
    void release() {
        client.finishAndReleaseAll();
        opener.closeAll();
    }

    @Test
    void anExpiredTokenIsToldExpired() {
        assertToldAndClosed(SIGNER.sign(1, 10, NOW.minusSeconds(1)), AuthStatus.EXPIRED, "expired_token");
    }

    @Test
    void aTokenOfAnUnknownKeyIsToldUnknownKey() {
        AuthToken token = SIGNER.sign(1, 10, Duration.ofHours(1)).setKeyId("retired");
        assertToldAndClosed(token, AuthStatus.UNKNOWN_KEY, "unknown_key");
    }

    @Test
    void aForgedTokenIsToldBadSignature() {
        AuthToken token = SIGNER.sign(1, 10, Duration.ofHours(1));
        token.getSignature()[0] ^= 1;
        assertToldAndClosed(token, AuthStatus.BAD_SIGNATURE, "bad_token");
    }

    @Test
    void aSignatureOfTheWrongLengthIsToldMalformed() {
        AuthToken token = SIGNER.sign(1, 10, Duration.ofHours(1));
        token.setSignature(new byte[3]);
        assertToldAndClosed(token, AuthStatus.MALFORMED, "bad_token");
    }

    @Test
    void aFirstPacketThatIsNoAuthPacketClosesWithoutAWord() {
        client.writeInbound(Unpooled.wrappedBuffer(LibthriftWire.framed(
                ClientPacket.send(new io.presenter.protocol.wire.SendMessage(1, java.nio.ByteBuffer.allocate(1))))));

        assertThat(client.isOpen()).isFalse();
        assertThat((Object) client.readOutbound()).isNull();
        assertThat(registry.counter(ClientMeters.AUTH_REJECTED, "reason", "not_auth", ClientMeters.TRANSPORT, ClientMeters.TCP).count()).isEqualTo(1);
    }

    private void assertToldAndClosed(AuthToken token, AuthStatus status, String reason) {
        client.writeInbound(Unpooled.wrappedBuffer(LibthriftWire.framed(
                ClientPacket.auth(TestChatClient.authPacket(1, 10, token)))));

        ByteBuf written = client.readOutbound();
        AuthResult result;
        try {
            result = ClientPackets.decode(written).getAuthResult();
        } finally {
            written.release();
        }
        assertThat(result.getStatus()).isEqualTo(status);
        assertThat(result.getReason()).isEqualTo(status.name());
        assertThat((Object) client.readOutbound()).as("one packet, then the close").isNull();
        assertThat(client.isOpen()).isFalse();
        assertThat(opener.opens()).as("no stream for a refused token").isEmpty();
        assertThat(registry.counter(ClientMeters.AUTH_REJECTED, "reason", reason, ClientMeters.TRANSPORT, ClientMeters.TCP).count()).isEqualTo(1);
        assertThat(registry.counter(ClientMeters.CONNECTIONS_CLOSED, "reason", reason, ClientMeters.TRANSPORT, ClientMeters.TCP).count()).isEqualTo(1);
    }
}
