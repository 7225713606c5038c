package io.presenter.gateway.chaos;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.presenter.protocol.codec.DataFrame;
import io.presenter.protocol.codec.MuxFrameDecoder;
import io.presenter.protocol.codec.MuxFrameEncoder;
import io.presenter.protocol.wire.MuxFrame;
import io.presenter.protocol.wire.Settings;
import io.presenter.protocol.wire.muxConstants;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;

/**
 * A mux peer on a blocking socket that speaks raw frames with the real codec and obeys nothing:
 * the hostile-input tests use it as a chat server that ignores flow control, or as a peer that
 * sends a forged length. Frames it reads are decoded in an {@link EmbeddedChannel}; every buffer
 * is released.
 */
final class RawMuxPeer implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final EmbeddedChannel decoder = new EmbeddedChannel(new MuxFrameDecoder(1 << 20));

    RawMuxPeer(Socket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout(20_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    static Settings settings() {
        return new Settings(muxConstants.PROTOCOL_VERSION, 64 * 1024, 16 * 1024, 100, 30_000)
                .setInitialConnectionWindow(1 << 20);
    }

    void send(MuxFrame frame) throws IOException {
        write(MuxFrameEncoder.encodeControl(ByteBufAllocator.DEFAULT, frame));
    }

    void sendData(int streamId, byte[] payload) throws IOException {
        write(MuxFrameEncoder.encodeData(ByteBufAllocator.DEFAULT, new DataFrame(streamId, Unpooled.wrappedBuffer(payload))));
    }

    void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    private void write(ByteBuf frame) throws IOException {
        try {
            out.write(ByteBufUtil.getBytes(frame));
            out.flush();
        } finally {
            frame.release();
        }
    }

    /** The next control frame (data frames are skipped), or null at end of stream. */
    MuxFrame nextControl() throws IOException {
        byte[] buffer = new byte[16 * 1024];
        while (true) {
            for (Object decoded; (decoded = decoder.readInbound()) != null; ) {
                if (decoded instanceof DataFrame data) {
                    data.release();
                } else {
                    return (MuxFrame) decoded;
                }
            }
            int read = in.read(buffer);
            if (read < 0) {
                return null;
            }
            decoder.writeInbound(Unpooled.copiedBuffer(buffer, 0, read));
        }
    }

    /** Reads until the peer closes; true if it did within the socket timeout. */
    boolean closedByPeer() {
        try {
            byte[] buffer = new byte[4096];
            while (in.read(buffer) >= 0) {
                // discard
            }
            return true;
        } catch (IOException e) {
            return e instanceof java.net.SocketException;  // reset by the peer counts as closed
        }
    }

    @Override
    public void close() throws IOException {
        decoder.finishAndReleaseAll();
        socket.close();
    }
}
