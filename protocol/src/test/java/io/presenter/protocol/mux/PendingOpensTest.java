package io.presenter.protocol.mux;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.presenter.protocol.wire.ResetCode;
import org.junit.jupiter.api.Test;

class PendingOpensTest {

    private int refused;
    private final MuxStats stats = new MuxStats() {
        @Override
        public void streamRefused() {
            refused++;
        }
    };
    private final PendingOpens pending = new PendingOpens(2, stats);

    private static PendingOpens.Open newOpen(long shardKey) {
        return new PendingOpens.ChannelOpen(StreamMetadata.of(shardKey, 1, null, "presenter-1"),
                new ChannelInboundHandlerAdapter(), ImmediateEventExecutor.INSTANCE.newPromise());
    }

    @Test
    void opensComeOutInTheOrderTheyCame() {
        PendingOpens.Open first = newOpen(1);
        PendingOpens.Open second = newOpen(2);
        pending.add(first);
        pending.add(second);
        assertThat(pending.poll()).isSameAs(first);
        assertThat(pending.poll()).isSameAs(second);
        assertThat(pending.poll()).isNull();
        assertThat(pending.isEmpty()).isTrue();
        assertThat(refused).isZero();
    }

    @Test
    void anOpenPastTheBoundIsRefusedAtOnce() {
        pending.add(newOpen(1));
        pending.add(newOpen(2));
        PendingOpens.Open third = newOpen(3);
        pending.add(third);

        assertRefused(third, "2 opens already wait for a stream slot");
        assertThat(refused).isEqualTo(1);
        assertThat(pending.poll().metadata().shardKey()).isEqualTo(1);
        assertThat(pending.poll().metadata().shardKey()).isEqualTo(2);
        assertThat(pending.poll()).isNull();
    }

    @Test
    void refusingAllEmptiesTheQueueAndCountsEach() {
        PendingOpens.Open first = newOpen(1);
        PendingOpens.Open second = newOpen(2);
        pending.add(first);
        pending.add(second);

        pending.refuseAll("peer sent goaway");

        assertRefused(first, "peer sent goaway");
        assertRefused(second, "peer sent goaway");
        assertThat(refused).isEqualTo(2);
        assertThat(pending.isEmpty()).isTrue();
        pending.add(newOpen(3));
        assertThat(pending.isEmpty()).as("room again").isFalse();
    }

    private static void assertRefused(PendingOpens.Open open, String why) {
        assertThat(open.promise().cause()).isInstanceOfSatisfying(MuxStreamRefusedException.class, e -> {
            assertThat(e.code()).isEqualTo(ResetCode.REFUSED);
            assertThat(e.getMessage()).contains(why);
        });
    }
}
