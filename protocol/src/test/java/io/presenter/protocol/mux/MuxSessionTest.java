package io.presenter.protocol.mux;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.presenter.protocol.codec.DataFrame;
import io.presenter.protocol.codec.MuxFrameEncoder;
import io.presenter.protocol.wire.GoAway;
import io.presenter.protocol.wire.GoAwayAck;
import io.presenter.protocol.wire.HalfClose;
import io.presenter.protocol.wire.MuxFrame;
import io.presenter.protocol.wire.Ping;
import io.presenter.protocol.wire.Reset;
import io.presenter.protocol.wire.ResetCode;
import io.presenter.protocol.wire.WindowUpdate;
import io.presenter.testing.RawMuxPeer;
import io.presenter.testing.RawMuxPeer.Data;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Session state over an {@link io.netty.channel.embedded.EmbeddedChannel}, frame by frame. */
class MuxSessionTest {

    private static final int WINDOW = 4096;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final MuxSettings settings = MuxSettings.builder().initialStreamWindow(WINDOW)
            .maxFramePayload(1024).initialConnectionWindow(8192).keepaliveInterval(Duration.ofSeconds(10))
            .stats(new MuxMeters(registry)).build();
    /** Streams the accepting session created, with their probes. */
    private final List<MuxStreamChannel> streams = new ArrayList<>();
    private final List<StreamProbe> probes = new ArrayList<>();
    private boolean autoRead = true;
    private boolean halfClosure = true;
    private EmbeddedChannel channel;
    private RawMuxPeer peer;

    private ChannelHandler recordingStreams() {
        return new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                StreamProbe probe = new StreamProbe();
                ch.config().setAutoRead(autoRead);
                ch.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, halfClosure);
                ch.pipeline().addLast(probe);
                streams.add((MuxStreamChannel) ch);
                probes.add(probe);
            }
        };
    }

    private RawMuxPeer accepting() {
        return peerOf(MuxInitializer.accepting(settings, recordingStreams()));
    }

    /** The session under test in an embedded channel, and the raw peer facing it. */
    private RawMuxPeer peerOf(MuxInitializer session) {
        channel = new EmbeddedChannel(session);
        channel.freezeTime(); // keepalive runs on the test's clock
        peer = RawMuxPeer.over(channel);
        return peer;
    }

    private MuxConnection connection() {
        return MuxConnection.of(channel);
    }

    /** Opens a stream on an opening session and returns it once registered. */
    private MuxStreamChannel openStream(ChannelHandler handler) {
        var opened = connection().openStream(StreamMetadata.of(1, 1, null, "presenter-1"), handler);
        channel.runPendingTasks();
        assertThat(opened.isSuccess()).as("open: %s", opened.cause()).isTrue();
        return opened.getNow();
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
    void sendsSettingsFirstAndAcceptsThePeers() {
        MuxFrame preface = accepting().readFrame();
        assertThat(preface.isSetSettings()).isTrue();
        assertThat(preface.getSettings().getInitialStreamWindow()).isEqualTo(WINDOW);
        assertThat(preface.getSettings().getMaxFramePayload()).isEqualTo(1024);
        peer.send(MuxFrame.settings(RawMuxPeer.settings(WINDOW)));
        assertThat(channel.isOpen()).isTrue();
        assertThat(peer.frames()).isEmpty();
    }

    @Test
    void rejectsAFirstFrameThatIsNotSettings() {
        accepting().frames();
        peer.open(1);
        peer.assertGoAway(ResetCode.PROTOCOL_ERROR, "expected settings first, got OPEN");
    }

    @Test
    void rejectsDataBeforeSettings() {
        accepting().frames();
        peer.data(1, "too early");
        peer.assertGoAway(ResetCode.PROTOCOL_ERROR, "expected settings first, got DATA");
    }

    @Test
    void rejectsAnotherProtocolVersion() {
        accepting().frames();
        peer.send(MuxFrame.settings(RawMuxPeer.settings(WINDOW).setProtocolVersion(2)));
        peer.assertGoAway(ResetCode.PROTOCOL_ERROR, "protocol version 2, expected 1");
    }

    @Test
    void deliversOpenDataAndFinToTheStreamChannel() {
        accepting().handshake(RawMuxPeer.settings(WINDOW)).open(1).data(1, "hello");
        assertThat(streams).hasSize(1);
        MuxStreamChannel stream = streams.get(0);
        assertThat(stream.streamId()).isEqualTo(1);
        assertThat(stream.streamMetadata().shardKey()).isEqualTo(42L);
        assertThat(stream.remoteAddress()).hasToString("10.0.0.1/<unresolved>:5555");
        assertThat(probes.get(0).received()).isEqualTo("hello");

        stream.writeAndFlush(Unpooled.copiedBuffer("world", StandardCharsets.UTF_8));
        assertThat(peer.frames()).containsExactly(new Data(1, "world"));

        peer.send(MuxFrame.halfClose(new HalfClose(1)));
        assertThat(probes.get(0).events).containsExactly(ChannelInputShutdownEvent.INSTANCE,
                ChannelInputShutdownReadComplete.INSTANCE);
        assertThat(stream.isInputShutdown()).isTrue();
        assertThat(stream.isActive()).isTrue();

        stream.shutdownOutput();
        channel.runPendingTasks();
        assertThat(peer.frames()).containsExactly(MuxFrame.halfClose(new HalfClose(1)));
        assertThat(stream.isOpen()).as("both sides sent FIN").isFalse();
        assertThat(connection().activeStreams()).isZero();
    }

    @Test
    void withoutHalfClosureFinClosesTheStreamAfterItsQueuedData() {
        halfClosure = false;
        autoRead = false;
        accepting().handshake(RawMuxPeer.settings(WINDOW)).open(1).data(1, "queued");
        peer.send(MuxFrame.halfClose(new HalfClose(1)));
        assertThat(streams.get(0).isOpen()).as("a paused reader has not seen the FIN").isTrue();
        streams.get(0).read();
        channel.runPendingTasks();
        assertThat(probes.get(0).received()).isEqualTo("queued");
        assertThat(probes.get(0).events).containsExactly(ChannelInputShutdownEvent.INSTANCE,
                ChannelInputShutdownReadComplete.INSTANCE);
        assertThat(probes.get(0).inactive).isTrue();
        assertThat(peer.frames()).as("we never sent FIN, so closing cancels")
                .last().matches(f -> ((MuxFrame) f).getReset().getCode() == ResetCode.CANCEL);
    }

    @Test
    void aResetCodeFromANewerPeerIsReadAsInternalRatherThanFailingTheConnection() {
        accepting().handshake(RawMuxPeer.settings(WINDOW)).open(1);
        ByteBuf reset = MuxFrameEncoder.encodeControl(ByteBufAllocator.DEFAULT,
                MuxFrame.reset(new Reset(1).setCode(ResetCode.CANCEL)));
        // prefix(4) 0x5C | 0x15 streamId | 0x15 code: make the code 50, which no version defines yet.
        assertThat(reset.getByte(8)).isEqualTo((byte) 0x02);
        reset.setByte(8, 100);
        peer.sendBytes(reset);

        assertThat(probes.get(0).event(MuxStreamResetEvent.class).code()).isEqualTo(ResetCode.INTERNAL);
        assertThat(connection().channel().isActive()).isTrue();
        assertThat(count("mux.resets", "direction", "received", "code", "internal")).isEqualTo(1);
    }

    @Test
    void peerResetFiresAnEventAndClosesTheStreamWithoutAnswering() {
        accepting().handshake(RawMuxPeer.settings(WINDOW)).open(1);
        peer.send(MuxFrame.reset(new Reset(1).setCode(ResetCode.CANCEL).setReason("client left")));
        MuxStreamResetEvent event = probes.get(0).event(MuxStreamResetEvent.class);
        assertThat(event.code()).isEqualTo(ResetCode.CANCEL);
        assertThat(event.reason()).isEqualTo("client left");
        assertThat(event.remote()).isTrue();
        assertThat(probes.get(0).inactive).isTrue();
        assertThat(peer.frames()).isEmpty();
        assertThat(count("mux.resets", "direction", "received", "code", "cancel")).isEqualTo(1);
    }

    @Test
    void wrongShardResetCarriesOwnerHintAndRingVersion() {
        accepting().handshake(RawMuxPeer.settings(WINDOW)).open(1);
        streams.get(0).reset(ResetCode.WRONG_SHARD, "not mine", "chat-7", 12L);
        channel.runPendingTasks();
        Reset reset = peer.readFrame().getReset();
        assertThat(reset).isEqualTo(new Reset(1).setCode(ResetCode.WRONG_SHARD).setReason("not mine")
                .setOwnerHint("chat-7").setRingVersion(12L));
        assertThat(streams.get(0).isOpen()).isFalse();
    }

    @Test
    void closeSendsCancelAndLaterDataIsDroppedAndCounted() {
        accepting().handshake(RawMuxPeer.settings(WINDOW)).open(1);
        streams.get(0).close();
        assertThat(peer.readFrame().getReset().getCode()).isEqualTo(ResetCode.CANCEL);
        peer.data(1, "late");
        assertThat(channel.isOpen()).isTrue();
        assertThat(count("mux.dropped.after.reset")).isEqualTo(4);
    }

    static Stream<Arguments> protocolErrors() {
        return Stream.of(
                Arguments.of("even stream id", (Scenario) p -> p.open(2), "stream id 2 is not odd"),
                Arguments.of("reused stream id", (Scenario) p -> p.open(3).open(1), "stream id 1 is not odd and above 3"),
                Arguments.of("data for a never-opened stream", (Scenario) p -> p.data(5, "x"),
                        "data for stream 5 that was never opened"),
                Arguments.of("window update for a never-opened stream",
                        (Scenario) p -> p.send(MuxFrame.windowUpdate(new WindowUpdate(9, 10))),
                        "window update for stream 9 that was never opened"),
                Arguments.of("bad length", (Scenario) p -> p.sendBytes(Unpooled.buffer().writeInt(1).writeByte(0)),
                        "bad_length: frame length 1"),
                Arguments.of("too long", (Scenario) p -> p.sendBytes(Unpooled.buffer().writeInt(1 << 20)),
                        "too_long: frame length 1048576"),
                Arguments.of("unknown frame type",
                        (Scenario) p -> p.sendBytes(Unpooled.buffer().writeInt(3).writeByte(0xF8).writeByte(0).writeByte(0)),
                        "unknown_type"),
                Arguments.of("truncated struct",
                        (Scenario) p -> p.sendBytes(Unpooled.buffer().writeInt(3).writeByte(0x3C).writeByte(0x15).writeByte(0x02)),
                        "invalid_struct"));
    }

    interface Scenario {
        void play(RawMuxPeer peer);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("protocolErrors")
    void answersAProtocolErrorWithAPreciseGoAway(String name, Scenario scenario, String reason) {
        accepting().handshake(RawMuxPeer.settings(WINDOW));
        scenario.play(peer);
        peer.assertGoAway(ResetCode.PROTOCOL_ERROR, reason);
        assertThat(count("mux.connection.errors", "code", "protocol_error")).isEqualTo(1);
    }

    @Test
    void connectionErrorFiresResetEventsOnLiveStreams() {
        accepting().handshake(RawMuxPeer.settings(WINDOW)).open(1).data(1, "queued?");
        peer.open(1);
        MuxStreamResetEvent event = probes.get(0).event(MuxStreamResetEvent.class);
        assertThat(event.code()).isEqualTo(ResetCode.PROTOCOL_ERROR);
        assertThat(probes.get(0).inactive).isTrue();
    }

    @Test
    void overrunningAStreamWindowResetsOnlyThatStream() {
        autoRead = false;
        accepting().handshake(RawMuxPeer.settings(WINDOW)).open(1).open(3);
        streams.get(1).config().setAutoRead(true);
        String kib = "x".repeat(1024);
        for (int i = 0; i < 4; i++) {
            peer.data(1, kib);
        }
        assertThat(peer.frames()).as("connection credit on arrival, no stream credit before a read")
                .containsExactly(MuxFrame.windowUpdate(new WindowUpdate(0, 4096)));
        peer.data(1, "y");
        Reset reset = peer.readFrame().getReset();
        assertThat(reset.getStreamId()).isEqualTo(1);
        assertThat(reset.getCode()).isEqualTo(ResetCode.FLOW_CONTROL_ERROR);
        assertThat(reset.getReason()).isEqualTo("stream window exceeded: 1 bytes with 0 left");
        assertThat(probes.get(0).event(MuxStreamResetEvent.class).code()).isEqualTo(ResetCode.FLOW_CONTROL_ERROR);
        peer.data(3, "still fine");
        assertThat(probes.get(1).received()).isEqualTo("still fine");
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void overrunningTheConnectionWindowIsAConnectionError() {
        // The connection window bounds only bytes not yet attributed to a stream, so only a frame
        // larger than the whole window can overrun it.
        peerOf(MuxInitializer.accepting(settings.toBuilder().initialConnectionWindow(1024).build(), recordingStreams()));
        peer.handshake(RawMuxPeer.settings(WINDOW)).open(1).data(1, "x".repeat(1050));
        peer.assertGoAway(ResetCode.FLOW_CONTROL_ERROR, "connection window exceeded: 1050 bytes on stream 1 with 1024 left");
        assertThat(probes.get(0).event(MuxStreamResetEvent.class).code()).isEqualTo(ResetCode.FLOW_CONTROL_ERROR);
    }

    @Test
    void grantsStreamCreditOnlyWhenTheReaderTakesTheBytesAndAtHalfTheWindow() {
        autoRead = false;
        accepting().handshake(RawMuxPeer.settings(WINDOW)).open(1);
        String kib = "x".repeat(1024);
        peer.data(1, kib).data(1, kib).data(1, kib);
        assertThat(peer.frames()).as("nothing read yet: no stream credit").isEmpty();
        assertThat(probes.get(0).receivedBytes()).isZero();
        assertThat(((MuxStream) streams.get(0)).queuedInboundBytes())
                .isEqualTo(3 * 1024);

        streams.get(0).read();
        assertThat(probes.get(0).receivedBytes()).isEqualTo(3 * 1024);
        assertThat(peer.frames()).as("one coalesced update, flushed outside the read loop")
                .containsExactly(MuxFrame.windowUpdate(new WindowUpdate(1, 3 * 1024)));
    }

    @Test
    void readFromInsideChannelReadKeepsDelivering() {
        autoRead = false;
        accepting().handshake(RawMuxPeer.settings(WINDOW)).open(1);
        MuxStreamChannel stream = streams.get(0);
        stream.pipeline().addFirst(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ctx.fireChannelRead(msg);
                ctx.read();
            }
        });
        peer.data(1, "a").data(1, "b");
        stream.read();
        assertThat(probes.get(0).received()).isEqualTo("ab");
        peer.data(1, "c");
        assertThat(probes.get(0).received()).as("the reentrant read is still pending").isEqualTo("abc");
    }

    @Test
    void finWaitsBehindQueuedDataForAPausedReader() {
        autoRead = false;
        accepting().handshake(RawMuxPeer.settings(WINDOW)).open(1).data(1, "last words");
        peer.send(MuxFrame.halfClose(new HalfClose(1)));
        peer.send(MuxFrame.goAway(new GoAway(1, true).setCode(ResetCode.GOING_AWAY)));
        assertThat(probes.get(0).events).as("goaway reaches a paused reader")
                .containsExactly(new MuxGoAwayEvent(1, true, ResetCode.GOING_AWAY, ""));
        streams.get(0).read();
        assertThat(probes.get(0).received()).isEqualTo("last words");
        assertThat(probes.get(0).events).contains(ChannelInputShutdownEvent.INSTANCE);
    }

    @Test
    void pingsOnlyAfterSilenceAndClosesWhenThePeerStaysSilent() {
        accepting().handshake(RawMuxPeer.settings(WINDOW)).open(1);
        for (int i = 0; i < 5; i++) {
            channel.advanceTimeBy(6, TimeUnit.SECONDS);
            channel.runScheduledPendingTasks();
            peer.data(1, "tick");
        }
        assertThat(peer.frames()).as("an active peer is never pinged")
                .noneMatch(f -> f instanceof MuxFrame m && m.isSetPing());

        channel.advanceTimeBy(10, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        assertThat(peer.readFrame().getPing().isAck()).isFalse();
        channel.advanceTimeBy(10, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        peer.assertGoAway(ResetCode.GOING_AWAY, "keepalive timeout: no frame for 20000 ms");
        assertThat(probes.get(0).event(MuxStreamResetEvent.class).reason()).startsWith("keepalive timeout");
    }

    @Test
    void answersPingsAtOnce() {
        accepting().handshake(RawMuxPeer.settings(WINDOW));
        peer.send(MuxFrame.ping(new Ping(99L, false)));
        assertThat(peer.readFrame()).isEqualTo(MuxFrame.ping(new Ping(99L, true)));
    }

    @Test
    void refusesStreamsBeyondTheConcurrencyLimit() {
        peerOf(MuxInitializer.accepting(settings.toBuilder().maxConcurrentStreams(1).build(), recordingStreams()));
        peer.handshake(RawMuxPeer.settings(WINDOW)).open(1).open(3);
        Reset reset = peer.readFrame().getReset();
        assertThat(reset.getStreamId()).isEqualTo(3);
        assertThat(reset.getCode()).isEqualTo(ResetCode.REFUSED);
        assertThat(streams).hasSize(1);
    }

    @Test
    void openingSideSplitsWritesAtTheWindowAndWaitsForCredit() {
        peerOf(MuxInitializer.opening(settings));
        peer.handshake(RawMuxPeer.settings(1500).setMaxFramePayload(1024));
        MuxStreamChannel stream = openStream(new StreamProbe());
        assertThat(peer.readFrame().getOpen().getStreamId()).isEqualTo(1);
        var written = stream.writeAndFlush(Unpooled.copiedBuffer("z".repeat(2000), StandardCharsets.UTF_8));
        assertThat(peer.frames()).containsExactly(new Data(1, "z".repeat(1024)), new Data(1, "z".repeat(476)));
        assertThat(written.isDone()).as("promise waits for the last byte").isFalse();
        assertThat(stream.isWritable()).as("no send window").isFalse();
        assertThat(count("mux.window.stalls")).isEqualTo(1);

        peer.send(MuxFrame.windowUpdate(new WindowUpdate(1, 1000)));
        assertThat(peer.frames()).containsExactly(new Data(1, "z".repeat(500)));
        assertThat(written.isSuccess()).isTrue();
        assertThat(stream.isWritable()).isTrue();
    }

    @Test
    void opensBeyondThePeersLimitWaitInABoundedQueue() {
        peerOf(MuxInitializer.opening(settings.toBuilder().maxPendingOpens(1).build()));
        peer.handshake(RawMuxPeer.settings(WINDOW).setMaxConcurrentStreams(1));
        MuxStreamChannel first = openStream(new StreamProbe());
        var waiting = connection().openStream(StreamMetadata.of(1, 1, null, "p"), new StreamProbe());
        var refused = connection().openStream(StreamMetadata.of(1, 1, null, "p"), new StreamProbe());
        channel.runPendingTasks();
        assertThat(waiting.isDone()).isFalse();
        assertThat(refused.cause()).isInstanceOf(MuxStreamRefusedException.class)
                .hasMessage("REFUSED: 1 opens already wait for a stream slot");
        assertThat(peer.readFrame().getOpen().getStreamId()).isEqualTo(1);

        first.close();
        channel.runPendingTasks();
        assertThat(waiting.getNow().streamId()).isEqualTo(3);
        assertThat(peer.frames()).hasSize(2).allMatch(f -> f instanceof MuxFrame m && (m.isSetReset() || m.isSetOpen()));
        assertThat(count("mux.streams.refused")).isEqualTo(1);
    }

    @Test
    void idsExhaustedAnnouncesADrainingGoAwayAndRefusesOpens() {
        peerOf(MuxInitializer.opening(settings.toBuilder().maxStreamId(2).build()));
        peer.handshake(RawMuxPeer.settings(WINDOW));
        MuxStreamChannel only = openStream(new StreamProbe());
        assertThat(peer.frames()).last().isEqualTo(MuxFrame.goAway(
                new GoAway(1, true).setCode(ResetCode.GOING_AWAY).setReason("stream ids exhausted")));
        assertThat(connection().isAcceptingStreams()).isFalse();
        only.close();
        assertThat(channel.isOpen()).as("rotated once the last stream ended").isFalse();
    }

    @Test
    void aFailedWriteToTheConnectionResetsTheStream() {
        accepting().handshake(RawMuxPeer.settings(WINDOW)).open(1);
        channel.pipeline().addBefore(MuxSession.NAME, "failing-data",
                new ChannelOutboundHandlerAdapter() {
                    @Override
                    public void write(ChannelHandlerContext ctx, Object msg,
                            ChannelPromise promise) {
                        if (msg instanceof DataFrame data) {
                            data.release();
                            promise.setFailure(new IOException("disk on fire"));
                        } else {
                            ctx.write(msg, promise);
                        }
                    }
                });
        streams.get(0).writeAndFlush(Unpooled.copiedBuffer("lost", StandardCharsets.UTF_8));
        Reset reset = peer.readFrame().getReset();
        assertThat(reset.getCode()).isEqualTo(ResetCode.INTERNAL);
        assertThat(reset.getReason()).contains("write failed").contains("disk on fire");
        assertThat(probes.get(0).event(MuxStreamResetEvent.class).remote()).isFalse();
        assertThat(streams.get(0).isOpen()).isFalse();
    }

    @Test
    void goAwayWithoutDrainResetsStreamsAboveTheLastProcessed() {
        peerOf(MuxInitializer.opening(settings));
        peer.handshake(RawMuxPeer.settings(WINDOW));
        StreamProbe kept = new StreamProbe();
        StreamProbe dropped = new StreamProbe();
        openStream(kept);
        openStream(dropped);
        peer.frames();
        peer.send(MuxFrame.goAway(new GoAway(1, false).setCode(ResetCode.GOING_AWAY)));
        assertThat(dropped.event(MuxStreamResetEvent.class).code()).isEqualTo(ResetCode.GOING_AWAY);
        assertThat(dropped.inactive).isTrue();
        assertThat(kept.event(MuxGoAwayEvent.class).drain()).isFalse();
        assertThat(kept.inactive).isFalse();
        assertThat(connection().isAcceptingStreams()).isFalse();
        assertThat(peer.frames()).as("no ack without drain").noneMatch(f -> ((MuxFrame) f).isSetGoAwayAck());
    }

    @Test
    void drainRefusesLateOpensAndClosesOnceAckedAndIdle() {
        accepting().handshake(RawMuxPeer.settings(WINDOW)).open(1);
        var acked = connection().goAway(true, ResetCode.GOING_AWAY, "deploy");
        channel.runPendingTasks();
        assertThat(peer.readFrame()).isEqualTo(MuxFrame.goAway(
                new GoAway(1, true).setCode(ResetCode.GOING_AWAY).setReason("deploy")));

        peer.open(3);
        Reset refused = peer.readFrame().getReset();
        assertThat(refused.getStreamId()).isEqualTo(3);
        assertThat(refused.getCode()).isEqualTo(ResetCode.REFUSED);
        peer.send(MuxFrame.goAwayAck(new GoAwayAck(1)));
        assertThat(acked.isSuccess()).isTrue();

        peer.data(1, "still served");
        assertThat(probes.get(0).received()).isEqualTo("still served");
        assertThat(channel.isOpen()).isTrue();
        peer.send(MuxFrame.halfClose(new HalfClose(1)));
        streams.get(0).shutdownOutput();
        channel.runPendingTasks();
        assertThat(channel.isOpen()).as("closed once the last stream ended").isFalse();
    }

    @Test
    void aWritePromiseWaitsUntilTheConnectionHasWrittenTheBytes() {
        accepting().handshake(RawMuxPeer.settings(WINDOW)).open(1);
        List<ChannelPromise> connectionWrites = new ArrayList<>();
        channel.pipeline().addBefore(MuxSession.NAME, "held-writes", new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                if (msg instanceof DataFrame) {
                    connectionWrites.add(promise);
                    promise = ctx.newPromise();
                }
                ctx.write(msg, promise);
            }
        });
        ChannelFuture first = streams.get(0).write(Unpooled.copiedBuffer("one", StandardCharsets.UTF_8));
        ChannelFuture empty = streams.get(0).write(Unpooled.EMPTY_BUFFER);
        ChannelFuture second = streams.get(0).writeAndFlush(Unpooled.copiedBuffer("two", StandardCharsets.UTF_8));
        assertThat(peer.frames()).as("both sent").containsExactly(new Data(1, "one"), new Data(1, "two"));
        assertThat(List.of(first, empty, second)).as("the connection has not written them yet")
                .noneMatch(ChannelFuture::isDone);

        connectionWrites.get(0).setSuccess();
        assertThat(first.isSuccess()).isTrue();
        assertThat(empty.isDone()).as("completes with the message after it").isFalse();
        connectionWrites.get(1).setSuccess();
        assertThat(List.of(empty, second)).allMatch(ChannelFuture::isSuccess);
    }
}
