package io.presenter.protocol.codec;

import io.netty.buffer.ByteBuf;
import org.apache.thrift.TConfiguration;
import org.apache.thrift.transport.TTransport;
import org.apache.thrift.transport.TTransportException;

/**
 * A Thrift transport over one {@link ByteBuf}: reads consume it, writes append to it.
 *
 * <p>{@link #checkReadBytesAvailable} is what keeps a forged length from allocating: libthrift
 * asks the transport before it allocates a string, binary or container, and this transport
 * answers with the bytes actually left in the frame.
 *
 * <p>Retargetable ({@link #target}): {@link ThriftStructs} keeps one per thread with its protocol.
 */
final class ByteBufTransport extends TTransport {

    private static final TConfiguration CONFIGURATION = new TConfiguration();

    private ByteBuf buf;

    ByteBufTransport(ByteBuf buf) {
        this.buf = buf;
    }

    /** Points this transport at {@code next} (null: none), so that one protocol object serves many frames. */
    void target(ByteBuf next) {
        buf = next;
    }

    @Override
    public boolean isOpen() {
        return true;
    }

    @Override
    public void open() {}

    @Override
    public void close() {}

    @Override
    public int read(byte[] dst, int off, int len) throws TTransportException {
        int n = Math.min(len, buf.readableBytes());
        if (n == 0 && len > 0) {
            throw new TTransportException(TTransportException.END_OF_FILE, "truncated struct");
        }
        buf.readBytes(dst, off, n);
        return n;
    }

    @Override
    public void write(byte[] src, int off, int len) {
        buf.writeBytes(src, off, len);
    }

    @Override
    public TConfiguration getConfiguration() {
        return CONFIGURATION;
    }

    @Override
    public void updateKnownMessageSize(long size) {}

    @Override
    public void checkReadBytesAvailable(long numBytes) throws TTransportException {
        if (numBytes > buf.readableBytes()) {
            throw new TTransportException(TTransportException.END_OF_FILE,
                    "declared length " + numBytes + " exceeds the " + buf.readableBytes()
                            + " bytes left in the frame");
        }
    }

    @Override
    public void resetMessageSizeAndConsumedBytes(long newSize) {}
}
