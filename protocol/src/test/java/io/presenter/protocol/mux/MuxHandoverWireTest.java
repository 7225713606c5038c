package io.presenter.protocol.mux;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.embedded.EmbeddedChannel;
import io.presenter.protocol.wire.Handover;
import io.presenter.protocol.wire.HandoverTicket;
import io.presenter.protocol.wire.MuxFrame;
import io.presenter.protocol.wire.OpenStream;
import io.presenter.protocol.wire.ResetCode;
import io.presenter.protocol.wire.Settings;
import io.presenter.protocol.wire.muxConstants;
import io.presenter.testing.RawMuxPeer;
import io.presenter.testing.RawMuxPeer.Data;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The handover frames on the wire, byte-level against a raw peer: negotiation, order, fail-closed. */
class MuxHandoverWireTest {

    private static final int WINDOW = 4096;
    private static final byte[] STATE = "sealed state".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] MAC = new byte[32];

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final MuxSettings settings = MuxSettings.builder().initialStreamWindow(WINDOW).maxFramePayload(1024)
            .initialConnectionWindow(8192).keepaliveInterval(Duration.ofSeconds(10)).stats(new MuxMeters(registry))
            .handover(true).build();
    private final List<MuxStreamChannel> streams = new ArrayList<>();
    private final List<StreamProbe> probes = new ArrayList<>();
    private EmbeddedChannel channel;
    private RawMuxPeer peer;

    private static Settings withHandover() {
        return RawMuxPeer.settings(WINDOW).setFeatures(muxConstants.FEATURE_HANDOVER);
    }

    private static HandoverTicket ticket() {
        return new HandoverTicket(ByteBuffer.wrap(STATE), ByteBuffer.wrap(MAC));
    }

    private ChannelHandler recordingStreams() {
        return new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                StreamProbe probe = new StreamProbe();
                ch.pipeline().addLast(probe);
                streams.add((MuxStreamChannel) ch);
                probes.add(probe);
            }
        };
    }

    private RawMuxPeer peerOf(MuxInitializer session) {
        channel = new EmbeddedChannel(session);
        channel.freezeTime();
        peer = RawMuxPeer.over(channel);
        return peer;
    }

    @AfterEach
    void tearDown() {
        if (peer != null) {
            peer.close();
        }
    }

    private double count(String name, String... tags) {
        return registry.get(name).tags(tags).counter().count();
    }

    @Test
    void thePrefaceAnnouncesHandoverOnlyWhenEnabled() {
        peerOf(MuxInitializer.accepting(settings, recordingStreams()));
        Settings announced = peer.readFrame().getSettings();
        assertThat(announced.getFeatures() & muxConstants.FEATURE_HANDOVER).isEqualTo(muxConstants.FEATURE_HANDOVER);
        peer.close();

        peerOf(MuxInitializer.accepting(settings.toBuilder().handover(false).build(), recordingStreams()));
        assertThat(peer.readFrame().getSettings().getFeatures()).isZero();
    }

    @Test
    void aStreamHandedOverSendsItsBytesThenTheHandoverAndNoReset() {
        peerOf(MuxInitializer.accepting(settings, recordingStreams()));
        peer.handshake(withHandover()).open(1);
        assertThat(MuxConnection.of(channel).handoverEnabled()).isTrue();
        MuxStreamChannel stream = streams.get(0);
        stream.writeAndFlush(Unpooled.copiedBuffer("last delivery", StandardCharsets.UTF_8));
        ChannelFuture handedOver = stream.handover("chat-4", 12, 300, new SessionHandover(STATE, MAC));
        channel.runPendingTasks();

        assertThat(peer.frames()).containsExactly(new Data(1, "last delivery"),
                MuxFrame.handover(new Handover(1, "chat-4", 12, 300, ticket())));
        assertThat(handedOver.isSuccess()).isTrue();
        assertThat(stream.isOpen()).isFalse();
        assertThat(peer.frames()).as("no reset after a handover").isEmpty();
        assertThat(count("mux.handovers", "direction", "sent")).isEqualTo(1);
    }

    @Test
    void theHandoverWaitsForCreditBehindTheBytesAlreadyWritten() {
        peerOf(MuxInitializer.accepting(settings, recordingStreams()));
        peer.handshake(withHandover().setInitialStreamWindow(1024)).open(1);
        MuxStreamChannel stream = streams.get(0);
        stream.writeAndFlush(Unpooled.copiedBuffer("x".repeat(1500), StandardCharsets.UTF_8));
        ChannelFuture handedOver = stream.handover("chat-4", 12, 0, new SessionHandover(STATE, MAC));
        channel.runPendingTasks();
        assertThat(peer.frames()).containsExactly(new Data(1, "x".repeat(1024)));
        assertThat(handedOver.isDone()).isFalse();

        peer.send(MuxFrame.windowUpdate(new io.presenter.protocol.wire.WindowUpdate(1, 1024)));
        assertThat(peer.frames()).containsExactly(new Data(1, "x".repeat(476)),
                MuxFrame.handover(new Handover(1, "chat-4", 12, 0, ticket())));
        assertThat(handedOver.isSuccess()).isTrue();
    }

    @Test
    void aDrainingConnectionsLastHandoverIsFlushedBeforeItCloses() {
        peerOf(MuxInitializer.accepting(settings, recordingStreams()));
        peer.handshake(withHandover().setInitialStreamWindow(1024)).open(1);
        MuxStreamChannel stream = streams.get(0);
        stream.writeAndFlush(Unpooled.copiedBuffer("x".repeat(1500), StandardCharsets.UTF_8));
        stream.handover("chat-4", 12, 0, new SessionHandover(STATE, MAC));
        MuxConnection.of(channel).goAway(true, ResetCode.GOING_AWAY, "draining");
        channel.runPendingTasks();
        assertThat(peer.frames()).hasSize(2); // the first 1024 bytes and the goaway
        peer.send(MuxFrame.goAwayAck(new io.presenter.protocol.wire.GoAwayAck(1)));

        // The credit arrives in a read loop: the handover goes out in it, the stream closes, and
        // with it the idle draining connection, which must flush the handover first.
        peer.send(MuxFrame.windowUpdate(new io.presenter.protocol.wire.WindowUpdate(1, 1024)));
        assertThat(peer.frames()).containsExactly(new Data(1, "x".repeat(476)),
                MuxFrame.handover(new Handover(1, "chat-4", 12, 0, ticket())));
        assertThat(channel.isActive()).isFalse();
    }

    /**
     * A drained connection that has said everything must not close under bytes the peer is still
     * sending: the kernel would answer with a RST, and the peer's Netty, failing its next write,
     * closes before reading the handovers still queued (the drained chat server's lost sessions).
     * It shuts its output (the peer reads every frame, then an orderly end), reads and drops what
     * still comes, and closes once the peer has closed.
     */
    @Test
    void aDrainedConnectionEndsWithAFinAndClosesOnlyAfterThePeer() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        List<MuxStreamChannel> accepted = new CopyOnWriteArrayList<>();
        try (Socket socket = new Socket()) {
            Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(MuxInitializer.accepting(settings, new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            accepted.add((MuxStreamChannel) ch);
                        }
                    })).bind(InetAddress.getLoopbackAddress(), 0).sync().channel();
            socket.connect(server.localAddress());
            peer = RawMuxPeer.over(socket);
            assertThat(peer.nextControl().isSetSettings()).isTrue();
            peer.send(MuxFrame.settings(withHandover())).open(1);
            StreamProbe.await(() -> !accepted.isEmpty(), () -> "stream 1 not accepted");
            MuxStreamChannel stream = accepted.get(0);
            Channel connection = stream.parent();
            connection.eventLoop().submit(() -> {
                stream.handover("chat-4", 12, 0, new SessionHandover(STATE, MAC));
                MuxConnection.of(connection).goAway(true, ResetCode.GOING_AWAY, "draining");
            }).sync();

            // The acknowledgement lets it close; 512 KiB more for the stream it handed over are
            // still on their way, more than one read loop takes.
            io.netty.buffer.CompositeByteBuf burst = Unpooled.compositeBuffer(Integer.MAX_VALUE);
            burst.addComponent(true, io.presenter.protocol.codec.MuxFrameEncoder.encodeControl(
                    io.netty.buffer.ByteBufAllocator.DEFAULT, MuxFrame.goAwayAck(new io.presenter.protocol.wire.GoAwayAck(1))));
            for (int i = 0; i < 512; i++) {
                burst.addComponent(true, io.presenter.protocol.codec.MuxFrameEncoder.encodeData(
                        io.netty.buffer.ByteBufAllocator.DEFAULT, new io.presenter.protocol.codec.DataFrame(1,
                                Unpooled.wrappedBuffer(new byte[1024]))));
            }
            peer.sendBytes(burst);

            List<Object> frames = peer.frames();  // to the end of the stream; a reset would throw here
            assertThat(frames).contains(MuxFrame.handover(new Handover(1, "chat-4", 12, 0, ticket())));
            assertThat(frames).anyMatch(f -> f instanceof MuxFrame m && m.isSetGoAway() && m.getGoAway().isDrain());
            assertThat(connection.isActive()).as("still reading until the peer closes").isTrue();
            peer.close();
            peer = null;
            assertThat(connection.closeFuture().await(20, TimeUnit.SECONDS)).as("closed after the peer").isTrue();
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void handoverFailsOnAConnectionThatDidNotNegotiateIt() {
        peerOf(MuxInitializer.accepting(settings, recordingStreams()));
        peer.handshake(RawMuxPeer.settings(WINDOW)).open(1);
        assertThat(MuxConnection.of(channel).handoverEnabled()).isFalse();
        ChannelFuture handedOver = streams.get(0).handover("chat-4", 12, 0, new SessionHandover(STATE, MAC));
        channel.runPendingTasks();
        assertThat(handedOver.cause()).hasMessageContaining("handover not negotiated");
        assertThat(streams.get(0).isOpen()).isTrue();
    }

    @Test
    void aHandedOverOpenCarriesTheTicketToTheStream() {
        peerOf(MuxInitializer.accepting(settings, recordingStreams()));
        peer.handshake(withHandover());
        peer.send(MuxFrame.open(new OpenStream(1, 42, 12).setHandover(ticket())));
        assertThat(streams.get(0).streamMetadata().handover()).isEqualTo(new SessionHandover(STATE, MAC));
    }

    @Test
    void aHandedOverOpenWithoutNegotiationIsRefused() {
        peerOf(MuxInitializer.accepting(settings, recordingStreams()));
        peer.handshake(RawMuxPeer.settings(WINDOW));
        peer.send(MuxFrame.open(new OpenStream(1, 42, 12).setHandover(ticket())));
        assertThat(streams).isEmpty();
        assertThat(peer.readFrame().getReset().getCode()).isEqualTo(ResetCode.REFUSED);
    }

    @Test
    void theOpenerFiresTheHandoverAfterTheQueuedBytesAndSendsNoReset() {
        peerOf(MuxInitializer.opening(settings));
        peer.handshake(withHandover());
        StreamProbe probe = new StreamProbe();
        var opened = MuxConnection.of(channel).openStream(StreamMetadata.of(42, 7, null, "p"),
                new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.config().setAutoRead(false);
                        ch.pipeline().addLast(probe);
                    }
                });
        channel.runPendingTasks();
        MuxStreamChannel stream = opened.getNow();
        assertThat(peer.readFrame().getOpen().getStreamId()).isEqualTo(1);

        peer.data(1, "before the handover");
        peer.send(MuxFrame.handover(new Handover(1, "chat-4", 12, 77, ticket())));
        assertThat(probe.event(MuxHandoverEvent.class)).as("not before the queued bytes are read").isNull();
        stream.read();
        assertThat(probe.received()).isEqualTo("before the handover");
        assertThat(probe.event(MuxHandoverEvent.class))
                .isEqualTo(new MuxHandoverEvent("chat-4", 12, 77, new SessionHandover(STATE, MAC)));
        assertThat(stream.isOpen()).isFalse();
        assertThat(peer.frames()).as("the peer forgot the stream: no reset").noneMatch(f -> f instanceof MuxFrame m
                && m.isSetReset());
        assertThat(count("mux.handovers", "direction", "received")).isEqualTo(1);
    }

    @Test
    void aHandoverReceivedBeforeTheConnectionClosesIsStillDelivered() {
        peerOf(MuxInitializer.opening(settings));
        peer.handshake(withHandover());
        StreamProbe probe = new StreamProbe();
        var opened = MuxConnection.of(channel).openStream(StreamMetadata.of(42, 7, null, "p"),
                new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.config().setAutoRead(false);
                        ch.pipeline().addLast(probe);
                    }
                });
        channel.runPendingTasks();
        MuxStreamChannel stream = opened.getNow();
        peer.frames();
        peer.data(1, "queued");
        peer.send(MuxFrame.handover(new Handover(1, "chat-4", 12, 5, ticket())));
        channel.close();  // the drained chat server exits
        assertThat(probe.event(MuxStreamResetEvent.class)).as("not a lost backend").isNull();
        stream.read();
        assertThat(probe.received()).isEqualTo("queued");
        assertThat(probe.event(MuxHandoverEvent.class)).isNotNull();
        assertThat(stream.isOpen()).isFalse();
    }

    @Test
    void aHandoverForAStreamNeverOpenedIsDroppedAndCountedWithoutHarmingTheConnection() {
        peerOf(MuxInitializer.opening(settings));
        peer.handshake(withHandover());
        peer.send(MuxFrame.handover(new Handover(99, "chat-4", 12, 0, ticket())));
        assertThat(channel.isActive()).isTrue();
        assertThat(peer.frames()).isEmpty();
        assertThat(count("mux.handovers", "direction", "unknown_stream")).isEqualTo(1);
    }

    @Test
    void aHandoverOnAConnectionThatDidNotNegotiateItFailsClosed() {
        peerOf(MuxInitializer.opening(settings.toBuilder().handover(false).build()));
        peer.handshake(withHandover());
        peer.send(MuxFrame.handover(new Handover(1, "chat-4", 12, 0, ticket())));
        peer.assertGoAway(ResetCode.PROTOCOL_ERROR, "did not negotiate it");
    }

    @Test
    void turningAutoReadOffStopsDeliveryBeforeTheNextFrame() {
        peerOf(MuxInitializer.accepting(settings, recordingStreams()));
        peer.handshake(withHandover()).open(1).data(1, "a");
        assertThat(probes.get(0).received()).isEqualTo("a");
        streams.get(0).config().setAutoRead(false);
        peer.data(1, "b");
        assertThat(probes.get(0).received()).as("frozen: nothing more consumed").isEqualTo("a");
    }
}
