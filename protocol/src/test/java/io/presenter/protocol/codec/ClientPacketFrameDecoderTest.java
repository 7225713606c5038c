package io.presenter.protocol.codec;

import static io.presenter.protocol.codec.Bytes.drain;
import static io.presenter.protocol.codec.LibthriftWire.framed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.presenter.protocol.codec.MalformedFrameException.Reason;
import io.presenter.protocol.wire.AuthPacket;
import io.presenter.protocol.wire.AuthToken;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.protocol.wire.Heartbeat;
import io.presenter.protocol.wire.SendMessage;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * The presenter's view of a client stream: packets come out whole and byte-exact, prefix included,
 * so the auth packet can be forwarded as is; the size cap holds; single-decode mode leaves
 * everything after the first packet for whoever replaces the decoder.
 */
class ClientPacketFrameDecoderTest {

    private static final byte[] AUTH = framed(ClientPacket.auth(new AuthPacket(42L, 4242L,
            new AuthToken("k1", 1_790_000_000L, ByteBuffer.wrap(new byte[32])), "android/2.0")));
    private static final byte[] SEND = framed(ClientPacket.send(new SendMessage(1L, ByteBuffer.wrap(new byte[300]))));
    private static final byte[] PING = framed(ClientPacket.ping(new Heartbeat(7L)));

    @Test
    void passesEachPacketWithItsPrefixByteForByte() {
        EmbeddedChannel channel = new EmbeddedChannel(
                new ClientPacketFrameDecoder(ClientPacketFrameDecoder.DEFAULT_MAX_PACKET_LENGTH));

        channel.writeInbound(Unpooled.wrappedBuffer(AUTH, SEND, PING));

        assertThat(drain(channel.readInbound())).isEqualTo(AUTH);
        assertThat(drain(channel.readInbound())).isEqualTo(SEND);
        assertThat(drain(channel.readInbound())).isEqualTo(PING);
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void reassemblesAPacketReadOneByteAtATime() {
        EmbeddedChannel channel = new EmbeddedChannel(
                new ClientPacketFrameDecoder(ClientPacketFrameDecoder.DEFAULT_MAX_PACKET_LENGTH));

        for (byte b : AUTH) {
            assertThat((Object) channel.readInbound()).isNull();
            channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        }

        assertThat(drain(channel.readInbound())).isEqualTo(AUTH);
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void acceptsAPacketOfExactlyTheMaximumLength() {
        EmbeddedChannel channel = new EmbeddedChannel(new ClientPacketFrameDecoder(SEND.length - Integer.BYTES));

        channel.writeInbound(Unpooled.wrappedBuffer(SEND));

        assertThat(drain(channel.readInbound())).isEqualTo(SEND);
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void rejectsAPacketOneByteOverTheMaximumLength() {
        int max = SEND.length - Integer.BYTES - 1;
        EmbeddedChannel channel = new EmbeddedChannel(new ClientPacketFrameDecoder(max));

        assertThatThrownBy(() -> channel.writeInbound(Unpooled.wrappedBuffer(SEND)))
                .isInstanceOfSatisfying(MalformedFrameException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.TOO_LONG))
                .hasMessageContaining("frame length " + (max + 1) + " outside [2, " + max + "]");
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    /**
     * The gateway's auth stage reads one packet, then swaps the decoder out of the pipeline; the
     * bytes that arrived with the auth packet must reach the next stage untouched.
     */
    @Test
    void singleDecodeStopsAfterOnePacketAndHandsTheRestOnWhenRemoved() {
        ClientPacketFrameDecoder decoder = new ClientPacketFrameDecoder(
                ClientPacketFrameDecoder.DEFAULT_MAX_PACKET_LENGTH);
        decoder.setSingleDecode(true);
        EmbeddedChannel channel = new EmbeddedChannel(decoder);
        byte[] partialPing = {PING[0], PING[1], PING[2]};

        channel.writeInbound(Unpooled.wrappedBuffer(AUTH, SEND, partialPing));
        assertThat(drain(channel.readInbound())).isEqualTo(AUTH);
        assertThat((Object) channel.readInbound()).as("one packet per decode").isNull();

        channel.pipeline().remove(decoder);
        assertThat(drain(channel.readInbound())).isEqualTo(Bytes.concat(SEND, partialPing));
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }
}
