package io.presenter.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.presenter.protocol.codec.DataFrame;
import io.presenter.protocol.codec.MuxFrameDecoder;
import io.presenter.protocol.codec.MuxFrameEncoder;
import io.presenter.protocol.wire.GoAway;
import io.presenter.protocol.wire.MuxFrame;
import io.presenter.protocol.wire.OpenStream;
import io.presenter.protocol.wire.ResetCode;
import io.presenter.protocol.wire.Settings;
import io.presenter.protocol.wire.muxConstants;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The far end of a mux connection that speaks raw frames with the real codec and obeys nothing,
 * so a test can send what a well-behaved session never would (frames before settings, data past
 * the window, forged lengths). It talks to a session in an {@link EmbeddedChannel}, frame by
 * frame, or to a real server over a blocking socket. Every buffer it decodes is released.
 */
public final class RawMuxPeer implements AutoCloseable {

    /** A data frame the other side wrote, copied out so the test holds no buffer. */
    public record Data(int streamId, String text) {}

    /** Where the bytes go and come from. */
    private interface Link {
        void write(ByteBuf bytes);

        /** The next bytes the other side wrote, or null when no more will come now. */
        ByteBuf read();

        boolean closedByPeer();

        void close();
    }

    private final Link link;
    private final EmbeddedChannel decoder = new EmbeddedChannel(new MuxFrameDecoder(1 << 20));

    private RawMuxPeer(Link link) {
        this.link = link;
    }

    /**
     * A peer of the session in {@code channel}: what it sends arrives as the channel's inbound
     * bytes, what it reads is what the session wrote so far (after running pending tasks).
     */
    public static RawMuxPeer over(EmbeddedChannel channel) {
        return new RawMuxPeer(new EmbeddedLink(channel));
    }

    /** A peer on a connected socket; reads block for at most 20 seconds. */
    public static RawMuxPeer over(Socket socket) throws IOException {
        return new RawMuxPeer(new SocketLink(socket));
    }

    /** A valid settings frame's body with {@code streamWindow}, 16 KiB frames and 1 MiB of connection window. */
    public static Settings settings(int streamWindow) {
        return new Settings(muxConstants.PROTOCOL_VERSION, streamWindow, 16 * 1024, 100, 30_000)
                .setInitialConnectionWindow(1 << 20);
    }

    /** Reads the other side's preface and answers with ours. */
    public RawMuxPeer handshake(Settings ours) {
        assertThat(readFrame().getSettings().getProtocolVersion()).isEqualTo(muxConstants.PROTOCOL_VERSION);
        return send(MuxFrame.settings(ours));
    }

    public RawMuxPeer send(MuxFrame frame) {
        return sendBytes(MuxFrameEncoder.encodeControl(ByteBufAllocator.DEFAULT, frame));
    }

    /** Opens a stream for shard key 42 on ring version 7 from client 10.0.0.1:5555. */
    public RawMuxPeer open(int streamId) {
        return send(MuxFrame.open(new OpenStream(streamId, 42L, 7L).setClientAddress("10.0.0.1:5555")));
    }

    public RawMuxPeer data(int streamId, String text) {
        return data(streamId, Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
    }

    public RawMuxPeer data(int streamId, byte[] payload) {
        return data(streamId, Unpooled.wrappedBuffer(payload));
    }

    public RawMuxPeer data(int streamId, ByteBuf payload) {
        return sendBytes(MuxFrameEncoder.encodeData(ByteBufAllocator.DEFAULT, new DataFrame(streamId, payload)));
    }

    /** Sends bytes as they are, framed or not. */
    public RawMuxPeer sendBytes(byte[] bytes) {
        return sendBytes(Unpooled.wrappedBuffer(bytes));
    }

    public RawMuxPeer sendBytes(ByteBuf bytes) {
        link.write(bytes);
        return this;
    }

    /**
     * Every frame the other side wrote, as {@link MuxFrame}s and {@link Data}: in an embedded
     * channel, those written since the last call; on a socket, all until the other side closes.
     */
    public List<Object> frames() {
        List<Object> frames = new ArrayList<>();
        do {
            for (Object in; (in = decoder.readInbound()) != null; ) {
                if (in instanceof DataFrame data) {
                    frames.add(new Data(data.streamId(), data.content().toString(StandardCharsets.UTF_8)));
                    data.release();
                } else {
                    frames.add(in);
                }
            }
        } while (readMore());
        return frames;
    }

    /** The one frame the other side wrote since the last call. */
    public MuxFrame readFrame() {
        List<Object> frames = frames();
        assertThat(frames).hasSize(1);
        return (MuxFrame) frames.get(0);
    }

    /** The next control frame the other side wrote (data frames are skipped), or null if none comes. */
    public MuxFrame nextControl() {
        do {
            for (Object in; (in = decoder.readInbound()) != null; ) {
                if (in instanceof DataFrame data) {
                    data.release();
                } else {
                    return (MuxFrame) in;
                }
            }
        } while (readMore());
        return null;
    }

    /** Whether the other side closed the connection (on a socket: reading and dropping what is left). */
    public boolean closedByPeer() {
        return link.closedByPeer();
    }

    /** Asserts the other side sent a goaway with {@code code} and a reason containing {@code text}, and closed. */
    public void assertGoAway(ResetCode code, String text) {
        GoAway goAway = frames().stream().filter(f -> f instanceof MuxFrame m && m.isSetGoAway())
                .map(f -> ((MuxFrame) f).getGoAway()).findFirst().orElseThrow(
                        () -> new AssertionError("no goaway sent"));
        assertThat(goAway.getCode()).isEqualTo(code);
        assertThat(goAway.getReason()).contains(text);
        assertThat(closedByPeer()).as("closed").isTrue();
    }

    private boolean readMore() {
        ByteBuf bytes = link.read();
        if (bytes == null) {
            return false;
        }
        decoder.writeInbound(bytes);
        return true;
    }

    @Override
    public void close() {
        link.close();
        decoder.finishAndReleaseAll();
    }

    private record EmbeddedLink(EmbeddedChannel channel) implements Link {
        @Override
        public void write(ByteBuf bytes) {
            channel.writeInbound(bytes);
        }

        @Override
        public ByteBuf read() {
            channel.runPendingTasks();
            return channel.readOutbound();
        }

        @Override
        public boolean closedByPeer() {
            channel.runPendingTasks();
            return !channel.isOpen();
        }

        @Override
        public void close() {
            channel.finishAndReleaseAll();
        }
    }

    private static final class SocketLink implements Link {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        private final byte[] buffer = new byte[16 * 1024];

        SocketLink(Socket socket) throws IOException {
            this.socket = socket;
            socket.setSoTimeout(20_000);
            in = socket.getInputStream();
            out = socket.getOutputStream();
        }

        @Override
        public void write(ByteBuf bytes) {
            try {
                bytes.readBytes(out, bytes.readableBytes());
                out.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                bytes.release();
            }
        }

        @Override
        public ByteBuf read() {
            try {
                int read = in.read(buffer);
                return read < 0 ? null : Unpooled.copiedBuffer(buffer, 0, read);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public boolean closedByPeer() {
            try {
                while (in.read(buffer) >= 0) {
                    // what is left unread does not matter, only that the stream ends
                }
                return true;
            } catch (SocketTimeoutException e) {
                return false;
            } catch (IOException e) {
                return e instanceof SocketException; // reset by the peer counts as closed
            }
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
