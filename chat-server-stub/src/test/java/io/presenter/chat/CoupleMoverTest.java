package io.presenter.chat;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.protocol.wire.ErrorCode;
import io.presenter.ring.RingMember;
import io.presenter.ring.RingSnapshot;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CoupleMoverTest {

    private static final RingMember SELF = RingMember.active("chat-1", "127.0.0.1", 7100, 7443);
    private static final RingMember JOINER = RingMember.active("chat-2", "127.0.0.1", 7101, 7444);

    private final ChatFixture chat = new ChatFixture(ChatLimits.DEFAULTS);
    /** Its event loop is the mover's scheduler; time moves only when the test says so. */
    private final EmbeddedChannel clock = new EmbeddedChannel();

    @AfterEach
    void close() {
        chat.close();
        clock.finishAndReleaseAll();
    }

    @Test
    void couplesTakenByAJoiningServerLeaveInBatchesSpreadOverThePeriod() {
        Map<Long, EmbeddedChannel> sessions = new LinkedHashMap<>();
        for (long couple = 1000; couple < 1200; couple++) {
            sessions.put(couple, chat.member(1, couple));
        }
        RingSnapshot grown = RingSnapshot.of(2, List.of(SELF, JOINER));
        long moving = sessions.keySet().stream()
                .filter(c -> grown.owner(c).orElseThrow().equals(JOINER)).count();
        assertThat(moving).as("about half of 200 couples go to the joiner").isBetween(50L, 150L);

        CoupleMover mover = new CoupleMover(chat.service, SELF.id(), clock.eventLoop(), Duration.ofMillis(100));
        mover.ringChanged(grown);
        clock.runPendingTasks();
        long perTick = (moving + 9) / 10;
        assertThat(closed(sessions)).as("first of ten ticks").isEqualTo(perTick);

        for (int tick = 0; tick < 10; tick++) {
            clock.advanceTimeBy(10, TimeUnit.MILLISECONDS);
            clock.runScheduledPendingTasks();
        }

        sessions.forEach((couple, channel) -> {
            boolean moved = grown.owner(couple).orElseThrow().equals(JOINER);
            assertThat(channel.isOpen()).as("couple %d", couple).isEqualTo(!moved);
            if (moved) {
                assertThat(ChatFixture.drain(channel)).extracting(ClientPacket::getError)
                        .singleElement().satisfies(e -> assertThat(e.getCode()).isEqualTo(ErrorCode.SHARD_MOVED));
            }
        });
        assertThat(chat.count("chat.couples.moved")).isEqualTo(moving);
    }

    @Test
    void aNewerRingReplacesThePendingSweep() {
        Map<Long, EmbeddedChannel> sessions = new LinkedHashMap<>();
        for (long couple = 1000; couple < 1100; couple++) {
            sessions.put(couple, chat.member(1, couple));
        }
        CoupleMover mover = new CoupleMover(chat.service, SELF.id(), clock.eventLoop(), Duration.ofSeconds(10));
        mover.ringChanged(RingSnapshot.of(2, List.of(SELF, JOINER)));
        clock.runPendingTasks();
        long movedBeforeRevert = closed(sessions);
        assertThat(movedBeforeRevert).isPositive();

        mover.ringChanged(RingSnapshot.of(3, List.of(SELF)));
        clock.advanceTimeBy(10, TimeUnit.SECONDS);
        clock.runScheduledPendingTasks();

        assertThat(closed(sessions)).as("the joiner left again: nothing more moves").isEqualTo(movedBeforeRevert);
    }

    private static long closed(Map<Long, EmbeddedChannel> sessions) {
        return sessions.values().stream().filter(c -> !c.isOpen()).count();
    }
}
