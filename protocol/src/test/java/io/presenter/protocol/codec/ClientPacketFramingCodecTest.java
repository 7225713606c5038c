package io.presenter.protocol.codec;

import static io.presenter.protocol.codec.Bytes.drain;
import static io.presenter.protocol.codec.LibthriftWire.framed;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.presenter.protocol.wire.AuthPacket;
import io.presenter.protocol.wire.AuthToken;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.protocol.wire.Heartbeat;
import io.presenter.protocol.wire.SendMessage;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The one-stage client codec decodes and encodes as {@link ClientPacketFrameDecoder} plus
 * {@link ClientPacketCodec} do, and both count the bytes of the whole packets passed on, never a
 * part of one (the count a handover reports). Its malformed input is in {@link MalformedFrameTest}.
 */
class ClientPacketFramingCodecTest {

    private static final ClientPacket AUTH = ClientPacket.auth(new AuthPacket(42L, 4242L,
            new AuthToken("k1", 1_790_000_000L, ByteBuffer.wrap(new byte[32])), "android/2.0"));
    private static final ClientPacket SEND = ClientPacket.send(new SendMessage(1L, ByteBuffer.wrap(new byte[300])));
    private static final ClientPacket PING = ClientPacket.ping(new Heartbeat(7L));

    @Test
    void decodesPacketsSplitAnywhereAndCountsOnlyWholeOnes() {
        byte[] wire = concat(framed(AUTH), framed(SEND), framed(PING));
        ClientPacketFramingCodec oneStage = new ClientPacketFramingCodec(ClientPacketFrameDecoder.DEFAULT_MAX_PACKET_LENGTH);
        ClientPacketCodec twoStage = new ClientPacketCodec();
        EmbeddedChannel one = new EmbeddedChannel(oneStage);
        EmbeddedChannel two = new EmbeddedChannel(
                new ClientPacketFrameDecoder(ClientPacketFrameDecoder.DEFAULT_MAX_PACKET_LENGTH), twoStage);

        // All of the auth packet and half of the send: only the auth counts.
        int cut = framed(AUTH).length + framed(SEND).length / 2;
        one.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(wire, 0, cut)));
        two.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(wire, 0, cut)));
        assertThat(oneStage.decodedBytes()).isEqualTo(framed(AUTH).length).isEqualTo(twoStage.decodedBytes());
        assertThat((Object) one.readInbound()).isEqualTo(AUTH);
        assertThat((Object) one.readInbound()).isNull();

        one.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(wire, cut, wire.length)));
        two.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(wire, cut, wire.length)));
        assertThat((Object) one.readInbound()).isEqualTo(SEND);
        assertThat((Object) one.readInbound()).isEqualTo(PING);
        assertThat(oneStage.decodedBytes()).isEqualTo(wire.length).isEqualTo(twoStage.decodedBytes());
        for (ClientPacket expected : new ClientPacket[] {AUTH, SEND, PING}) {
            assertThat((Object) two.readInbound()).isEqualTo(expected);
        }
        assertThat(one.finishAndReleaseAll()).isFalse();
        assertThat(two.finishAndReleaseAll()).isFalse();
    }

    @Test
    void encodesAsTheTwoStagePipelineDoes() {
        EmbeddedChannel one = new EmbeddedChannel(new ClientPacketFramingCodec(1024));
        EmbeddedChannel two = new EmbeddedChannel(new ClientPacketFrameDecoder(1024), new ClientPacketCodec());

        assertThat(one.writeOutbound(PING, AUTH)).isTrue();
        assertThat(two.writeOutbound(PING, AUTH)).isTrue();

        assertThat(drain(one.readOutbound())).isEqualTo(framed(PING)).isEqualTo(drain(two.readOutbound()));
        assertThat(drain(one.readOutbound())).isEqualTo(framed(AUTH)).isEqualTo(drain(two.readOutbound()));
        assertThat(one.finishAndReleaseAll()).isFalse();
        assertThat(two.finishAndReleaseAll()).isFalse();
    }

    private static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        byte[] all = new byte[length];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }
}
