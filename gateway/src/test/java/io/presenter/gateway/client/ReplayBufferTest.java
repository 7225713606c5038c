package io.presenter.gateway.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What a handover can replay: the bytes after the credited offset, less the slack, and no more than the cap. */
class ReplayBufferTest {

    private final ReplayBuffer replay = new ReplayBuffer(PooledByteBufAllocator.DEFAULT,
            HandoverLimits.DEFAULT_REPLAY_SLACK_BYTES, HandoverLimits.DEFAULT_REPLAY_MAX_BYTES);

    @AfterEach
    void release() {
        replay.release();
    }

    private void append(String text) {
        ByteBuf bytes = Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
        replay.append(bytes);
        assertThat(bytes.readerIndex()).as("the relayed buffer is left as it was").isZero();
        bytes.release();
    }

    private String from(long offset) {
        ByteBuf bytes = replay.from(offset);
        try {
            return bytes.toString(StandardCharsets.US_ASCII);
        } finally {
            bytes.release();
        }
    }

    @Test
    void replaysFromAnyOffsetItStillHolds() {
        append("hello ");
        append("world");
        assertThat(replay.end()).isEqualTo(11);
        assertThat(replay.holdsFrom(0)).isTrue();
        assertThat(from(6)).isEqualTo("world");
        replay.trimBefore(6);
        assertThat(replay.holdsFrom(5)).as("trimmed").isFalse();
        assertThat(from(6)).isEqualTo("world");
        assertThat(replay.holdsFrom(12)).as("beyond the end").isFalse();
    }

    @Test
    void creditTrimsOnlyWhatLiesMoreThanTheSlackBehindIt() {
        append("x".repeat(HandoverLimits.DEFAULT_REPLAY_SLACK_BYTES + 100));
        replay.trimCredited(HandoverLimits.DEFAULT_REPLAY_SLACK_BYTES + 100);
        assertThat(replay.holdsFrom(99)).isFalse();
        assertThat(replay.holdsFrom(100)).as("a partly read packet may start here").isTrue();
    }

    @Test
    void givesUpPastTheCapSoALaterHandoverFallsBack() {
        append("y".repeat(HandoverLimits.DEFAULT_REPLAY_MAX_BYTES));
        assertThat(replay.holdsFrom(0)).isTrue();
        append("z");
        assertThat(replay.holdsFrom(HandoverLimits.DEFAULT_REPLAY_MAX_BYTES)).isFalse();
        assertThat(replay.end()).isEqualTo(HandoverLimits.DEFAULT_REPLAY_MAX_BYTES + 1L);
    }
}
