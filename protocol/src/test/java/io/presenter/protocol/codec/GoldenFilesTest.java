package io.presenter.protocol.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.presenter.protocol.wire.AuthPacket;
import io.presenter.protocol.wire.AuthResult;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.protocol.wire.AuthToken;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.protocol.wire.ClientPlatform;
import io.presenter.protocol.wire.Delivery;
import io.presenter.protocol.wire.ErrorCode;
import io.presenter.protocol.wire.ErrorPacket;
import io.presenter.protocol.wire.GoAway;
import io.presenter.protocol.wire.GoAwayAck;
import io.presenter.protocol.wire.HalfClose;
import io.presenter.protocol.wire.Heartbeat;
import io.presenter.protocol.wire.MuxFrame;
import io.presenter.protocol.wire.OpenStream;
import io.presenter.protocol.wire.Ping;
import io.presenter.protocol.wire.Presence;
import io.presenter.protocol.wire.Reset;
import io.presenter.protocol.wire.ResetCode;
import io.presenter.protocol.wire.SendAck;
import io.presenter.protocol.wire.SendMessage;
import io.presenter.protocol.wire.Settings;
import io.presenter.protocol.wire.WindowUpdate;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One golden file per frame kind and client packet kind. Each case proves, in this order, that
 * libthrift still writes the golden bytes, that the codec writes the same bytes, and that the
 * codec reads them back into an equal struct. See {@link GoldenFiles} for regenerating.
 */
class GoldenFilesTest {

    private static final int MAX_LENGTH = 64 * 1024;

    static Stream<Arguments> muxFrames() {
        return Stream.of(
                Arguments.of("data-stream1-hello", MuxFrames.data(1, ascii("hello"))),
                Arguments.of("settings", MuxFrame.settings(new Settings(1, 65_536, 16_384, 1_000, 30_000)
                        .setPeerId("presenter-a").setInitialConnectionWindow(1 << 20))),
                Arguments.of("open-stream", MuxFrame.open(new OpenStream(3, 4242L, 7L)
                        .setClientAddress("[2001:db8::1]:50123").setPresenterId("presenter-a").setAttempt(1))),
                Arguments.of("half-close", MuxFrame.halfClose(new HalfClose(5))),
                Arguments.of("reset-wrong-shard", MuxFrame.reset(new Reset(3).setCode(ResetCode.WRONG_SHARD)
                        .setReason("couple moved").setOwnerHint("chat-2").setRingVersion(8L))),
                Arguments.of("window-update-connection", MuxFrame.windowUpdate(new WindowUpdate(0, 65_536))),
                Arguments.of("ping-ack", MuxFrame.ping(new Ping(0x0123_4567_89AB_CDEFL, true))),
                Arguments.of("go-away-drain", MuxFrame.goAway(new GoAway(101, true).setCode(ResetCode.GOING_AWAY)
                        .setReason("scale-in"))),
                Arguments.of("go-away-ack", MuxFrame.goAwayAck(new GoAwayAck(101))));
    }

    static Stream<Arguments> clientPackets() {
        AuthToken token = new AuthToken("k2026-11", 1_790_000_000L, ByteBuffer.wrap(new byte[] {1, 2, 3, -4}));
        return Stream.of(
                Arguments.of("auth", ClientPacket.auth(new AuthPacket(42L, 4242L, token, "ios/3.14.1")
                        .setPlatform(ClientPlatform.IOS).setDeviceId("device-7").setLastSeenSequence(99L)
                        .setLocale("de-CH"))),
                Arguments.of("auth-result", ClientPacket.authResult(new AuthResult(AuthStatus.OK)
                        .setServerId("chat-1").setCoupleSequence(100L))),
                Arguments.of("send", ClientPacket.send(new SendMessage(7L, ByteBuffer.wrap(ascii("hi there")))
                        .setSentAtMicros(1_700_000_000_000_000L).setEcho(true))),
                Arguments.of("send-ack", ClientPacket.sendAck(new SendAck(7L, 101L))),
                Arguments.of("delivery", ClientPacket.delivery(new Delivery(43L, 8L, 102L,
                        ByteBuffer.wrap(ascii("hello back"))).setSentAtMicros(1_700_000_000_000_001L))),
                Arguments.of("presence", ClientPacket.presence(new Presence(43L, true))),
                Arguments.of("ping", ClientPacket.ping(new Heartbeat(-5L))),
                Arguments.of("pong", ClientPacket.pong(new Heartbeat(-5L))),
                Arguments.of("error", ClientPacket.error(new ErrorPacket(ErrorCode.RATE_LIMITED)
                        .setReason("slow down"))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("muxFrames")
    void muxFrameCodecWritesAndReadsLibthriftsBytes(String name, MuxFrame frame) {
        String file = "mux/" + name + ".bin";
        GoldenFiles.assertMatches(file, LibthriftWire.framed(frame));
        byte[] golden = GoldenFiles.read(file);
        EmbeddedChannel channel = new EmbeddedChannel(MuxFrameEncoder.INSTANCE, new MuxFrameDecoder(MAX_LENGTH));

        channel.writeOutbound(MuxFrames.toMessage(frame));
        assertThat(Bytes.drain(channel.readOutbound())).isEqualTo(golden);

        channel.writeInbound(Unpooled.wrappedBuffer(golden));
        assertThat(MuxFrames.fromDecoded(channel.readInbound())).isEqualTo(frame);
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("clientPackets")
    void clientPacketCodecWritesAndReadsLibthriftsBytes(String name, ClientPacket packet) {
        String file = "client/" + name + ".bin";
        GoldenFiles.assertMatches(file, LibthriftWire.framed(packet));
        byte[] golden = GoldenFiles.read(file);
        EmbeddedChannel channel = new EmbeddedChannel(
                new ClientPacketFrameDecoder(MAX_LENGTH), new ClientPacketCodec());

        assertThat(Bytes.drain(ClientPackets.encode(PooledByteBufAllocator.DEFAULT, packet)))
                .isEqualTo(golden);
        channel.writeOutbound(packet);
        assertThat(Bytes.drain(channel.readOutbound())).isEqualTo(golden);

        channel.writeInbound(Unpooled.wrappedBuffer(golden));
        assertThat((ClientPacket) channel.readInbound()).isEqualTo(packet);
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
