package io.presenter.protocol.mux;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.util.ReferenceCountUtil;
import io.presenter.protocol.wire.ResetCode;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Streams as channels over a real transport; subclasses pick in-VM or TCP loopback. */
abstract class AbstractMuxStreamTest {

    private final BlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();
    private MuxPair pair;

    abstract MuxPair.Transport transport();

    private MuxPair connect(ChannelHandler... acceptorHandlers) throws Exception {
        pair = MuxPair.connect(transport(), MuxSettings.defaults(),
                StreamProbe.streams(true, accepted::add, acceptorHandlers));
        return pair;
    }

    @AfterEach
    void tearDown() throws Exception {
        if (pair != null) {
            pair.close();
        }
    }

    private static ByteBuf text(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
    }

    @Test
    void echoesBytesBothWaysWithTheOpenersMetadata() throws Exception {
        StreamProbe probe = new StreamProbe();
        MuxStreamChannel stream = connect(EchoHandler.INSTANCE).open(probe.on(true));
        stream.writeAndFlush(text("hello ")).sync();
        stream.writeAndFlush(text("mux")).sync();
        probe.awaitReceived("hello mux");

        MuxStreamChannel server = (MuxStreamChannel) accepted.poll(MuxPair.TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertThat(server.streamId()).isEqualTo(stream.streamId()).isOdd();
        assertThat(server.streamMetadata()).isEqualTo(stream.streamMetadata());
        assertThat(server.remoteAddress()).isEqualTo(InetSocketAddress.createUnresolved("192.0.2.1", 4242));
        assertThat(pair.acceptor.activeStreams()).isEqualTo(1);
    }

    @Test
    void halfCloseDeliversEverythingThenEndsTheStreamOnBothSides() throws Exception {
        StreamProbe probe = new StreamProbe();
        MuxStreamChannel stream = connect(EchoHandler.INSTANCE).open(probe.on(true));
        stream.write(text("last "));
        stream.writeAndFlush(text("words"));
        stream.shutdownOutput().sync();
        assertThat(stream.isOutputShutdown()).isTrue();

        probe.awaitReceived("last words").awaitInactive();
        assertThat(probe.events).containsSubsequence(ChannelInputShutdownEvent.INSTANCE,
                ChannelInputShutdownReadComplete.INSTANCE);
        assertThat(probe.event(MuxStreamResetEvent.class)).as("a clean end, no reset").isNull();
        StreamProbe.await(() -> pair.acceptor.activeStreams() == 0 && pair.opener.activeStreams() == 0,
                () -> "streams still open");
    }

    @Test
    void resetReachesTheOpenerWithOwnerHint() throws Exception {
        StreamProbe probe = new StreamProbe();
        MuxStreamChannel stream = connect(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ReferenceCountUtil.release(msg);
                ((MuxStreamChannel) ctx.channel()).reset(ResetCode.WRONG_SHARD, "moved", "chat-2", 9L);
            }
        }).open(probe.on(true));
        stream.writeAndFlush(text("auth"));

        MuxStreamResetEvent reset = probe.awaitEvent(MuxStreamResetEvent.class);
        assertThat(reset).isEqualTo(new MuxStreamResetEvent(ResetCode.WRONG_SHARD, "moved", "chat-2", 9L, true));
        probe.awaitInactive();
        assertThat(stream.isOpen()).isFalse();
    }

    @Test
    void closeResetsThePeersStreamWithCancel() throws Exception {
        StreamProbe serverProbe = new StreamProbe();
        MuxStreamChannel stream = connect(serverProbe).open(new StreamProbe().on(true));
        stream.writeAndFlush(text("bye")).sync();
        serverProbe.awaitReceived("bye");
        stream.close().sync();
        assertThat(serverProbe.awaitEvent(MuxStreamResetEvent.class).code()).isEqualTo(ResetCode.CANCEL);
        serverProbe.awaitInactive();
    }

    @Test
    void pausedReaderGetsNothingUntilItReads() throws Exception {
        StreamProbe probe = new StreamProbe();
        MuxStreamChannel stream = connect(EchoHandler.INSTANCE).open(probe.on(false));
        stream.writeAndFlush(text("held")).sync();
        StreamProbe.await(() -> queued(stream) == 4, () -> "echo not queued yet");
        assertThat(probe.receivedBytes()).isZero();

        stream.read();
        probe.awaitReceived("held");
        assertThat(queued(stream)).isZero();
    }

    static int queued(MuxStreamChannel stream) {
        try {
            return stream.eventLoop().submit(((MuxStream) stream)::queuedInboundBytes).get();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
