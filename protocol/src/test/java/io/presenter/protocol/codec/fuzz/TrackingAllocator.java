package io.presenter.protocol.codec.fuzz;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledDirectByteBuf;
import io.netty.buffer.UnpooledHeapByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * Hands out unpooled heap buffers and remembers them, so one fuzz input can prove it released
 * every buffer it caused (reads, the decoder's cumulation, encoder output) the moment it ends.
 *
 * <p>The leak extension sees misses only after a garbage collection, at the end of the class, with
 * no input to blame; in fuzzing mode that is too late to save the input that leaked. These buffers
 * are not wrapped for Netty's leak detector (AbstractByteBufAllocator leaves that to subclasses):
 * the check here is exact, and buffers from anywhere else stay under the detector.
 */
public final class TrackingAllocator extends AbstractByteBufAllocator {

    private final List<ByteBuf> allocated = new ArrayList<>();

    public TrackingAllocator() {
        super(false);
    }

    @Override
    protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
        return track(new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity));
    }

    @Override
    protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
        return track(new UnpooledDirectByteBuf(this, initialCapacity, maxCapacity));
    }

    @Override
    public boolean isDirectBufferPooled() {
        return false;
    }

    /** Throws if any buffer handed out is still referenced. */
    public void assertAllReleased() {
        for (ByteBuf buf : allocated) {
            if (buf.refCnt() != 0) {
                throw new AssertionError("buffer never released (refCnt " + buf.refCnt() + "): " + buf);
            }
        }
    }

    private ByteBuf track(ByteBuf buf) {
        allocated.add(buf);
        return buf;
    }
}
