package io.presenter.protocol.mux;

import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.presenter.protocol.codec.DataFrame;
import io.presenter.protocol.codec.MalformedFrameException;
import io.presenter.protocol.wire.GoAway;
import io.presenter.protocol.wire.Handover;
import io.presenter.protocol.wire.MuxFrame;
import io.presenter.protocol.wire.OpenStream;
import io.presenter.protocol.wire.Ping;
import io.presenter.protocol.wire.Reset;
import io.presenter.protocol.wire.ResetCode;
import io.presenter.protocol.wire.Settings;
import io.presenter.protocol.wire.WindowUpdate;
import io.presenter.protocol.wire.muxConstants;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mux session of one TCP connection: preface, frame dispatch, the connection window, goaway
 * and drain. The streams and their ids are in a {@link StreamTable}, opens waiting for a slot in
 * {@link PendingOpens}, liveness in {@link KeepAlive}. Sits behind the frame codec; everything runs
 * on the connection's event loop, so no state here is locked.
 *
 * <p>Connection window policy: connection-level credit is granted back as soon as a data frame's
 * bytes are attributed to a stream (queued within that stream's window, or dropped), because the
 * stream window already bounds each stream's queue. The connection window thus bounds only bytes
 * not yet attributed to a stream, and one stalled reader can never starve the others of
 * connection credit, the head-of-line blocking of smux v1 (xtaci/smux#18) and of pausing a shared
 * parent (netty#15011). The parent channel keeps reading at all times.
 */
final class MuxSession extends ChannelDuplexHandler implements MuxConnection {

    static final String NAME = "mux-session";

    private static final Logger log = LoggerFactory.getLogger(MuxSession.class);
    private static final int CONNECTION_STREAM_ID = 0;
    /**
     * Longest time a connection that has said everything (its output shut after a goaway and its
     * last stream) keeps reading while it waits for the peer to close its side; then it closes anyway.
     */
    static final long CLOSE_LINGER_MILLIS = 10_000;

    private final MuxSettings settings;
    private final MuxStats stats;
    /** The handler for streams the peer opens; null on the opening side. */
    private final ChannelHandler inboundStreamHandler;
    /** Bounded by the concurrent-stream limits: opens beyond them are refused or wait. */
    private final StreamTable<SessionStream> streams;
    private final PendingOpens pendingOpens;
    /** Streams that delivered data during this parent read and owe a channelReadComplete. */
    private final List<SessionStream> readCompletePending = new ArrayList<>();
    private final ReceiveWindow connectionWindow;
    /** The presenter id of the last stream the peer opened, shared by the streams that repeat it. */
    private String lastPresenterId = "";
    private ChannelHandlerContext ctx;
    private KeepAlive keepAlive;
    private boolean started;
    /** openStream calls whose task has not run yet; read by {@link #committedStreams()}. */
    private final java.util.concurrent.atomic.AtomicInteger requestedOpens = new java.util.concurrent.atomic.AtomicInteger();
    /** Volatile: {@link #maxConcurrentStreams()} may be read off the event loop. */
    private volatile Settings peer;
    private int connectionSendWindow;
    private boolean inReadLoop;
    /** A flush of the parent is queued to run after the current task ({@link #writeOpen}). */
    private boolean flushScheduled;
    private final Runnable scheduledFlush = () -> {
        flushScheduled = false;
        ctx.flush();
    };
    /** Read by {@link #isAcceptingStreams()} from any thread. */
    private volatile boolean goAwaySent;
    private volatile boolean goAwayReceived;
    private volatile boolean failed;
    /**
     * The connection has said everything and shut its output (see {@link #closeGracefully()}):
     * nothing more is written, what still arrives is read and dropped until the peer closes.
     */
    private boolean outputShut;
    private Promise<Void> drainAcked;
    /** Completed when the peer's settings arrive; null until the handler is added. */
    private Promise<Boolean> peerSettingsReceived;
    private ResetCode closeCode = ResetCode.GOING_AWAY;
    private String closeReason = "connection closed";

    MuxSession(MuxSettings settings, ChannelHandler inboundStreamHandler) {
        this.settings = settings;
        this.stats = settings.stats();
        this.inboundStreamHandler = inboundStreamHandler;
        this.streams = new StreamTable<>(settings.maxStreamId());
        this.pendingOpens = new PendingOpens(settings.maxPendingOpens(), stats);
        this.connectionWindow = new ReceiveWindow(settings.initialConnectionWindow());
    }

    // ---- MuxConnection ----

    @Override
    public Channel channel() {
        return ctx.channel();
    }

    @Override
    public Future<MuxStreamChannel> openStream(StreamMetadata metadata, ChannelHandler streamHandler) {
        Promise<MuxStreamChannel> promise = ctx.executor().newPromise();
        request(new PendingOpens.ChannelOpen(metadata, streamHandler, promise));
        return promise;
    }

    @Override
    public Future<RelayStream> openRelayStream(StreamMetadata metadata, RelayStreamListener listener) {
        Promise<RelayStream> promise = ctx.executor().newPromise();
        request(new PendingOpens.RelayOpen(metadata, listener, promise));
        return promise;
    }

    private void request(PendingOpens.Open open) {
        requestedOpens.incrementAndGet();
        ctx.executor().execute(() -> {
            requestedOpens.decrementAndGet();
            String refusal = refusal();
            if (refusal != null) {
                open.refuse(stats, refusal);
            } else if (peer == null || streams.size() >= maxOpenStreams()) {
                pendingOpens.add(open);
            } else {
                open(open);
            }
        });
    }

    @Override
    public boolean isAcceptingStreams() {
        return refusal() == null;
    }

    @Override
    public boolean handoverEnabled() {
        return settings.handover() && Frames.hasFeature(peer, muxConstants.FEATURE_HANDOVER);
    }

    @Override
    public Future<Boolean> handoverNegotiated() {
        return peerSettingsReceived;
    }

    @Override
    public int activeStreams() {
        return streams.size();
    }

    @Override
    public int maxConcurrentStreams() {
        Settings peerSettings = peer;
        return peerSettings == null ? settings.maxConcurrentStreams() : maxOpenStreams();
    }

    @Override
    public int committedStreams() {
        // Waiting opens are counted only on the event loop (the queue is confined to it); a pool
        // calls from there.
        int waiting = ctx.executor().inEventLoop() ? pendingOpens.size() : 0;
        return streams.size() + waiting + requestedOpens.get();
    }

    @Override
    public Future<Void> goAway(boolean drain, ResetCode code, String reason) {
        Promise<Void> promise = ctx.executor().newPromise();
        ctx.executor().execute(() -> {
            if (goAwaySent) {
                promise.tryFailure(new IllegalStateException("goaway already sent"));
                return;
            }
            sendGoAway(drain, code, reason);
            if (drain) {
                drainAcked = promise;
                closeIfIdle();
            } else {
                promise.trySuccess(null);
                failConnection(code, reason);
            }
        });
        return promise;
    }

    // ---- the parent pipeline ----

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.peerSettingsReceived = ctx.executor().newPromise();
        if (ctx.channel().isActive()) {
            start();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start();
        ctx.fireChannelActive();
    }

    private void start() {
        if (started) {
            return;
        }
        started = true;
        writeControl(Frames.settings(settings));
        keepAlive = new KeepAlive(ctx, settings.keepaliveInterval().toNanos(), new KeepAlive.Actions() {
            @Override
            public void sendPing() {
                writeControl(Frames.ping(ctx.executor().ticker().nanoTime(), false));
            }

            @Override
            public void timedOut(long silentMillis) {
                failConnection(ResetCode.GOING_AWAY, "keepalive timeout: no frame for " + silentMillis + " ms");
            }
        });
        keepAlive.start();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        inReadLoop = true;
        if (failed) {
            ReferenceCountUtil.release(msg);
            return;
        }
        keepAlive.inboundFrame();
        if (peer == null && !(msg instanceof MuxFrame frame && frame.isSetSettings())) {
            ReferenceCountUtil.release(msg);
            failConnection(ResetCode.PROTOCOL_ERROR, "expected settings first, got " + frameType(msg));
        } else if (msg instanceof DataFrame data) {
            stats.frameRead(data.content().readableBytes());
            onData(data);
        } else if (msg instanceof MuxFrame frame) {
            stats.frameRead(0);
            onControl(frame);
        } else {
            ctx.fireChannelRead(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // Still "in the read loop" while streams see their read-complete: what they write then
        // goes out in the one flush below, not one flush per stream.
        for (int i = 0; i < readCompletePending.size(); i++) {
            readCompletePending.get(i).fireReadCompleteIfPending();
        }
        readCompletePending.clear();
        inReadLoop = false;
        ctx.flush();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        boolean writable = ctx.channel().isWritable();
        streams.forEachFairly(stream -> stream.parentWritabilityChanged(writable));
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof MalformedFrameException malformed) {
            failConnection(ResetCode.PROTOCOL_ERROR, malformed.getMessage());
        } else {
            log.debug("{} closing after {}", ctx.channel(), cause.toString());
            closeCode = ResetCode.INTERNAL;
            closeReason = "connection failed: " + cause;
            ctx.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (keepAlive != null) {
            keepAlive.stop();
        }
        pendingOpens.refuseAll("connection closed");
        peerSettingsReceived.tryFailure(new MuxStreamRefusedException(closeCode, "closed before the peer's settings"));
        for (SessionStream stream : streams.snapshot()) {
            stream.connectionClosed(closeCode, closeReason);
        }
        if (drainAcked != null) {
            drainAcked.tryFailure(new MuxStreamRefusedException(closeCode, "closed before the drain was acknowledged"));
        }
        ctx.fireChannelInactive();
    }

    // ---- inbound frames ----

    private void onData(DataFrame data) {
        int streamId = data.streamId();
        int bytes = data.content().readableBytes();
        if (!connectionWindow.tryReceive(bytes)) {
            data.release();
            failConnection(ResetCode.FLOW_CONTROL_ERROR, "connection window exceeded: " + bytes
                    + " bytes on stream " + streamId + " with " + connectionWindow.available() + " left");
            return;
        }
        SessionStream stream = streams.get(streamId);
        if (stream != null) {
            stream.dataReceived(data.content());
        } else if (streams.wasOpened(streamId)) {
            // Already reset or closed here; the peer had sent it before it learned.
            stats.droppedAfterReset(bytes);
            data.release();
        } else {
            data.release();
            failConnection(ResetCode.PROTOCOL_ERROR, "data for stream " + streamId + " that was never opened");
            return;
        }
        // The bytes are now attributed to a stream (or gone): the connection credit goes back.
        grantCredit(CONNECTION_STREAM_ID, connectionWindow.consume(bytes));
    }

    private static Object frameType(Object msg) {
        return msg instanceof MuxFrame frame ? frame.getSetField() : "DATA";
    }

    private void onControl(MuxFrame frame) {
        switch (frame.getSetField()) {
            case SETTINGS -> onSettings(frame.getSettings());
            case OPEN -> onOpen(frame.getOpen());
            case HALF_CLOSE -> withStream(frame.getHalfClose().getStreamId(), "half-close", SessionStream::finReceived);
            case RESET -> withStream(frame.getReset().getStreamId(), "reset",
                    stream -> stream.resetReceived(frame.getReset()));
            case WINDOW_UPDATE -> onWindowUpdate(frame.getWindowUpdate());
            case PING -> onPing(frame.getPing());
            case GO_AWAY -> onGoAway(frame.getGoAway());
            case HANDOVER -> onHandover(frame.getHandover());
            case GO_AWAY_ACK -> {
                if (drainAcked != null) {
                    drainAcked.trySuccess(null);
                    closeIfIdle();
                }
            }
            default -> failConnection(ResetCode.PROTOCOL_ERROR, "unexpected frame " + frame.getSetField());
        }
    }

    private void onSettings(Settings received) {
        if (peer != null) {
            failConnection(ResetCode.PROTOCOL_ERROR, "settings sent twice");
        } else if (received.getProtocolVersion() != muxConstants.PROTOCOL_VERSION) {
            failConnection(ResetCode.PROTOCOL_ERROR, "protocol version " + received.getProtocolVersion()
                    + ", expected " + muxConstants.PROTOCOL_VERSION);
        } else if (received.getInitialStreamWindow() <= 0
                || received.getMaxFramePayload() < MuxSettings.MIN_MAX_FRAME_PAYLOAD
                || received.getMaxConcurrentStreams() <= 0
                || received.isSetInitialConnectionWindow() && received.getInitialConnectionWindow() <= 0) {
            failConnection(ResetCode.PROTOCOL_ERROR, "settings out of range: " + received);
        } else {
            peer = received;
            peerSettingsReceived.trySuccess(handoverEnabled());
            connectionSendWindow = received.isSetInitialConnectionWindow()
                    ? received.getInitialConnectionWindow() : MuxSettings.DEFAULT_CONNECTION_WINDOW;
            openPending();
        }
    }

    private void onOpen(OpenStream open) {
        int streamId = open.getStreamId();
        if (inboundStreamHandler == null) {
            failConnection(ResetCode.PROTOCOL_ERROR, "peer opened stream " + streamId
                    + " on the opening side of the connection");
        } else if (!streams.advanceTo(streamId)) {
            failConnection(ResetCode.PROTOCOL_ERROR, "stream id " + streamId + " is not odd and above "
                    + streams.lastStreamId());
        } else {
            if (goAwaySent) {
                refuseInbound(streamId, "going away");
            } else if (open.isSetHandover() && !handoverEnabled()) {
                refuseInbound(streamId, "handover not negotiated on this connection");
            } else if (streams.size() >= settings.maxConcurrentStreams()) {
                refuseInbound(streamId, "more than " + settings.maxConcurrentStreams() + " concurrent streams");
            } else {
                register(new MuxStream(this, streamId, Frames.metadata(sharePresenterId(open))), inboundStreamHandler);
            }
        }
    }

    /**
     * Lets the stream share the presenter id of the previous one when it is the same, as it nearly
     * always is (one presenter per connection): each open frame decodes its own copy, and a
     * thousand idle streams should not hold a thousand copies of one name (~56 bytes each).
     */
    private OpenStream sharePresenterId(OpenStream open) {
        if (open.isSetPresenterId()) {
            if (open.getPresenterId().equals(lastPresenterId)) {
                open.setPresenterId(lastPresenterId);
            } else {
                lastPresenterId = open.getPresenterId();
            }
        }
        return open;
    }

    /**
     * A chat server hands a stream's session over. Only an opening side that announced the feature
     * may receive one; a handover naming a stream never opened is dropped and counted rather than
     * failing the connection, since it concerns no live stream and the others need not suffer.
     */
    private void onHandover(Handover handover) {
        int streamId = handover.getStreamId();
        if (inboundStreamHandler != null || !handoverEnabled()) {
            failConnection(ResetCode.PROTOCOL_ERROR, "handover for stream " + streamId
                    + " on a connection that did not negotiate it");
            return;
        }
        SessionStream stream = streams.get(streamId);
        if (stream != null) {
            stats.handoverReceived();
            stream.handoverReceived(handover);
        } else if (!streams.wasOpened(streamId)) {
            stats.handoverForUnknownStream();
            log.info("{} dropped a handover for stream {}, never opened", ctx.channel(), streamId);
        }
    }

    private void onWindowUpdate(WindowUpdate update) {
        int streamId = update.getStreamId();
        if (update.getIncrement() <= 0) {
            failConnection(ResetCode.PROTOCOL_ERROR, "window increment " + update.getIncrement()
                    + " on stream " + streamId);
        } else if (streamId != CONNECTION_STREAM_ID) {
            withStream(streamId, "window update", stream -> stream.windowUpdated(update.getIncrement()));
        } else if (connectionSendWindow > Integer.MAX_VALUE - update.getIncrement()) {
            failConnection(ResetCode.FLOW_CONTROL_ERROR, "connection window above 2^31-1");
        } else {
            connectionSendWindow += update.getIncrement();
            streams.forEachFairly(SessionStream::writePending);
        }
    }

    private void onPing(Ping ping) {
        if (!ping.isAck()) {
            writeControl(Frames.ping(ping.getOpaque(), true));
        }
    }

    private void onGoAway(GoAway goAway) {
        goAwayReceived = true;
        pendingOpens.refuseAll("peer sent goaway");
        if (goAway.isDrain()) {
            writeControl(Frames.goAwayAck(goAway.getLastStreamId()));
        }
        MuxGoAwayEvent event = new MuxGoAwayEvent(goAway.getLastStreamId(), goAway.isDrain(), Frames.code(goAway),
                goAway.isSetReason() ? goAway.getReason() : "");
        for (SessionStream stream : streams.snapshot()) {
            if (stream.streamId() > goAway.getLastStreamId()) {
                stream.resetLocally(ResetCode.GOING_AWAY, "peer will not process stream above "
                        + goAway.getLastStreamId());
            } else {
                stream.goAwayReceived(event);
            }
        }
        ctx.fireUserEventTriggered(event);
        closeIfIdle();
    }

    private void withStream(int streamId, String what, Consumer<SessionStream> action) {
        SessionStream stream = streams.get(streamId);
        if (stream != null) {
            action.accept(stream);
        } else if (!streams.wasOpened(streamId)) {
            failConnection(ResetCode.PROTOCOL_ERROR, what + " for stream " + streamId + " that was never opened");
        }
    }

    // ---- opening streams ----

    /** Why no stream can be opened now, or null if one can. */
    private String refusal() {
        if (inboundStreamHandler != null) {
            return "only the opening side opens streams";
        } else if (!ctx.channel().isActive() || failed) {
            return "connection closed";
        } else if (goAwaySent) {
            return streams.idsExhausted() ? "stream ids exhausted (max " + settings.maxStreamId() + ")"
                    : "goaway sent";
        } else if (goAwayReceived) {
            return "peer sent goaway";
        }
        return null;
    }

    /** The peer's limit, and ours too: the stream map stays bounded whatever the peer says. */
    private int maxOpenStreams() {
        return Math.min(peer.getMaxConcurrentStreams(), settings.maxConcurrentStreams());
    }

    private void open(PendingOpens.Open open) {
        if (!open.promise().setUncancellable()) {
            return; // the caller gave up waiting: spend no stream id on it
        }
        int streamId = streams.nextStreamId();
        writeOpen(Frames.open(streamId, open.metadata()));
        if (streams.idsExhausted()) {
            // Rotate before the ids run out (yamux ErrStreamsExhausted): announce it, keep the
            // streams running, and close when the last one ends so a pool replaces us.
            sendGoAway(true, ResetCode.GOING_AWAY, "stream ids exhausted");
        }
        if (open instanceof PendingOpens.RelayOpen relay) {
            // No channel to register: the stream is live, and its opener's, at once.
            MuxRelayStream stream = new MuxRelayStream(this, streamId, relay.listener());
            streams.add(streamId, stream);
            stats.streamOpened();
            relay.promise().trySuccess(stream);
            return;
        }
        PendingOpens.ChannelOpen channelOpen = (PendingOpens.ChannelOpen) open;
        MuxStream stream = new MuxStream(this, streamId, open.metadata());
        register(stream, channelOpen.handler()).addListener(future -> {
            if (future.isSuccess()) {
                channelOpen.promise().trySuccess(stream);
            } else {
                channelOpen.promise().tryFailure(future.cause());
            }
        });
    }

    private ChannelFuture register(MuxStream stream, ChannelHandler handler) {
        streams.add(stream.streamId(), stream);
        stats.streamOpened();
        stream.pipeline().addLast(handler);
        ChannelFuture registered = ctx.channel().eventLoop().register(stream);
        registered.addListener(future -> {
            if (!future.isSuccess()) {
                log.warn("{} stream {} failed to register", ctx.channel(), stream.streamId(), future.cause());
                stream.unsafe().closeForcibly();
            }
        });
        return registered;
    }

    private void openPending() {
        while (!pendingOpens.isEmpty() && streams.size() < maxOpenStreams()) {
            PendingOpens.Open open = pendingOpens.poll();
            String refusal = refusal();
            if (refusal != null) {
                open.refuse(stats, refusal);
            } else {
                open(open);
            }
        }
    }

    private void refuseInbound(int streamId, String why) {
        stats.streamRefused();
        sendReset(Frames.reset(streamId, ResetCode.REFUSED, why, null, -1));
    }

    // ---- called by streams ----

    MuxSettings settings() {
        return settings;
    }

    int peerInitialStreamWindow() {
        return peer.getInitialStreamWindow();
    }

    /** How many payload bytes a stream may put in its next data frame. */
    int sendableBytes(int streamWindow) {
        return Math.min(Math.min(streamWindow, connectionSendWindow), peer.getMaxFramePayload());
    }

    boolean isParentWritable() {
        return ctx.channel().isWritable();
    }

    ChannelFuture writeData(DataFrame frame) {
        int bytes = frame.content().readableBytes();
        connectionSendWindow -= bytes;
        stats.frameWritten(bytes);
        return ctx.write(frame);
    }

    /** Flushes stream data now, or at the end of the parent's read loop if inside it. */
    void flushData() {
        if (!inReadLoop) {
            ctx.flush();
        }
    }

    void sendReset(Reset reset) {
        stats.resetSent(reset.getCode());
        writeControl(MuxFrame.reset(reset));
    }

    ChannelFuture sendHandover(MuxFrame handover) {
        stats.handoverSent();
        stats.frameWritten(0);
        ChannelFuture written = ctx.write(handover);
        flushData();
        return written;
    }

    void grantCredit(int streamId, int increment) {
        if (increment > 0 && ctx.channel().isActive()) {
            writeControl(Frames.windowUpdate(streamId, increment));
        }
    }

    void halfClose(int streamId) {
        writeControl(Frames.halfClose(streamId));
    }

    /** A stream delivered data inside the parent read loop; its read-complete waits for the loop's end. */
    boolean deferReadComplete(SessionStream stream) {
        if (inReadLoop) {
            readCompletePending.add(stream);
        }
        return inReadLoop;
    }

    boolean isConnected() {
        return ctx.channel().isActive() && !failed;
    }

    void streamClosed(SessionStream stream) {
        if (streams.remove(stream.streamId())) {
            stats.streamClosed();
            if (peer != null && inboundStreamHandler == null) {
                openPending();
            }
            closeIfIdle();
        }
    }

    // ---- connection lifecycle ----

    /**
     * Control frames go straight to the parent and are flushed at once (or at the end of the
     * read loop): they never wait behind stream data, which only enters the parent while it is
     * writable, so the parent's buffer stays shallow.
     */
    private void writeControl(MuxFrame frame) {
        if (outputShut) {
            return;  // a window update or refusal for a peer we have already said goodbye to
        }
        stats.frameWritten(0);
        ctx.write(frame, ctx.voidPromise());
        flushData();
    }

    /**
     * An open goes out with what the opener writes right after it (the presenter's auth packet,
     * in the same task): its flush waits for the end of the current task, so open and first data
     * leave in one write, one syscall, instead of two. Nothing waits longer than that task.
     */
    private void writeOpen(MuxFrame frame) {
        stats.frameWritten(0);
        ctx.write(frame, ctx.voidPromise());
        if (!inReadLoop && !flushScheduled) {
            flushScheduled = true;
            ctx.executor().execute(scheduledFlush);
        }
    }

    private void sendGoAway(boolean drain, ResetCode code, String reason) {
        goAwaySent = true;
        pendingOpens.refuseAll("goaway sent");
        writeControl(Frames.goAway(streams.lastStreamId(), drain, code, reason));
    }

    /**
     * Closes once a goaway went either way and no stream is left; a drain we asked for also
     * waits for its acknowledgement, which the peer sends at once, so it learns of the drain
     * before the connection goes.
     */
    private void closeIfIdle() {
        boolean awaitingAck = drainAcked != null && !drainAcked.isDone();
        if ((goAwaySent || goAwayReceived) && !awaitingAck && streams.isEmpty() && ctx.channel().isActive()
                && !outputShut) {
            // The last stream's last frame (a FIN or a handover) may still be in the outbound
            // buffer, even inside a flush that is writing it: end only once everything queued
            // before this point is written, or ending would fail it unwritten.
            ctx.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER).addListener(written -> closeGracefully());
        }
    }

    /**
     * Ends an idle connection without an abortive close. Closing a socket while the peer's bytes
     * sit unread in its receive buffer (the peer keeps sending window updates and client bytes
     * until it learns of the end) makes the kernel send a RST instead of a FIN; the peer's kernel
     * then fails its next write, and Netty closes that channel on the write error before it reads
     * what is still queued: the drained chat server's last handovers were lost that way (issue 18).
     * So the output is shut (a FIN after everything written), the input is read and dropped, and
     * the connection closes when the peer closes its side, which it does once it has read
     * everything up to the FIN, or after {@value #CLOSE_LINGER_MILLIS} ms at most.
     */
    private void closeGracefully() {
        if (outputShut || !ctx.channel().isActive()) {
            return;
        }
        if (!(ctx.channel() instanceof io.netty.channel.socket.DuplexChannel duplex)) {
            ctx.close();
            return;
        }
        outputShut = true;
        if (keepAlive != null) {
            keepAlive.stop();  // no ping can go out any more; the linger bounds the wait instead
        }
        duplex.shutdownOutput().addListener(shut -> {
            if (!shut.isSuccess()) {
                ctx.close();
            }
        });
        Future<?> linger = ctx.executor().schedule(() -> ctx.close(), CLOSE_LINGER_MILLIS,
                java.util.concurrent.TimeUnit.MILLISECONDS);
        ctx.channel().closeFuture().addListener(closed -> linger.cancel(false));
    }

    /** Ends the connection: goaway with the reason, then close; streams get reset events. */
    private void failConnection(ResetCode code, String reason) {
        if (failed) {
            return;
        }
        failed = true;
        closeCode = code;
        closeReason = reason;
        if (code != ResetCode.GOING_AWAY) {
            stats.connectionError(code);
            log.info("{} mux connection error {}: {}", ctx.channel(), code, reason);
        }
        if (!goAwaySent && !outputShut) {
            goAwaySent = true;
            ctx.write(Frames.goAway(streams.lastStreamId(), false, code, reason));
        }
        ctx.flush();
        ctx.close();
    }
}
