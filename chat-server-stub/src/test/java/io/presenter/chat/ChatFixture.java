package io.presenter.chat;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.presenter.protocol.wire.AuthPacket;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.protocol.wire.AuthToken;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.protocol.wire.SendMessage;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A chat service whose sessions are {@link EmbeddedChannel}s: tokens with key id "good" pass,
 * couple 13 is owned elsewhere. Close it after each test to release every channel.
 */
final class ChatFixture implements AutoCloseable {

    static final long COUPLE = 77;
    static final long NOT_OURS = 13;

    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final ChatService service;
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    ChatFixture(ChatLimits limits) {
        Authenticator tokenMustBeValid = auth -> auth.getToken().getKeyId().equals("good")
                ? AuthStatus.OK : AuthStatus.BAD_SIGNATURE;
        service = new ChatService("chat-1", tokenMustBeValid, couple -> couple != NOT_OURS, limits, registry);
    }

    EmbeddedChannel connect(ChannelHandler... handlers) {
        EmbeddedChannel channel = new EmbeddedChannel(handlers.length == 0
                ? new ChannelHandler[] {service.newSessionHandler()} : handlers);
        channels.add(channel);
        return channel;
    }

    /** A direct session of {@code user} in {@code couple}, past its (asserted) auth result. */
    EmbeddedChannel member(long user, long couple) {
        return member(auth(user, couple, "good"));
    }

    /** A direct session of {@code user}'s device {@code deviceId} in {@code couple}, past its auth result. */
    EmbeddedChannel member(long user, long couple, String deviceId) {
        ClientPacket auth = auth(user, couple, "good");
        auth.getAuth().setDeviceId(deviceId);
        return member(auth);
    }

    private EmbeddedChannel member(ClientPacket auth) {
        EmbeddedChannel channel = connect();
        channel.writeInbound(auth);
        ClientPacket result = channel.readOutbound();
        assertThat(result.getAuthResult().getStatus()).isEqualTo(AuthStatus.OK);
        return channel;
    }

    static ClientPacket auth(long user, long couple, String keyId) {
        AuthToken token = new AuthToken(keyId, 4_000_000_000L, ByteBuffer.wrap(new byte[32]));
        return ClientPacket.auth(new AuthPacket(user, couple, token, "test/1"));
    }

    static ClientPacket send(long clientMessageId, String body) {
        return ClientPacket.send(new SendMessage(clientMessageId,
                ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8))));
    }

    static List<ClientPacket> drain(EmbeddedChannel channel) {
        List<ClientPacket> packets = new ArrayList<>();
        for (ClientPacket p; (p = channel.readOutbound()) != null; ) {
            packets.add(p);
        }
        return packets;
    }

    double count(String name, String... tags) {
        return registry.counter(name, tags).count();
    }

    @Override
    public void close() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }
}
