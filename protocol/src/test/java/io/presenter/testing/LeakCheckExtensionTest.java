package io.presenter.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;

/** Proves the leak check can fail: a buffer dropped without release is reported. */
class LeakCheckExtensionTest {

    @Test
    void reportsABufferThatWasNeverReleased() throws InterruptedException {
        assertThat(LeakCheckExtension.collectLeaks()).isEmpty();
        leakOneBuffer();
        assertThat(LeakCheckExtension.collectLeaks())
                .anySatisfy(leak -> assertThat(leak).contains("LEAK: ByteBuf"));
    }

    private static void leakOneBuffer() {
        ByteBuf leaked = PooledByteBufAllocator.DEFAULT.directBuffer(64);
        leaked.writeLong(42);
    }
}
