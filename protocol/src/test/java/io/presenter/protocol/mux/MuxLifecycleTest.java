package io.presenter.protocol.mux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.Unpooled;
import io.presenter.protocol.wire.ResetCode;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Rotating a connection: stream id exhaustion and a drain with acknowledgement. */
class MuxLifecycleTest {

    @Test
    void exhaustedStreamIdsStopOpensAndCloseTheConnectionAfterTheLastStream() throws Exception {
        MuxSettings opener = MuxSettings.builder().maxStreamId(5).build();
        try (MuxPair pair = MuxPair.connect(MuxPair.Transport.LOCAL, opener, MuxSettings.defaults(),
                EchoHandler.INSTANCE)) {
            MuxStreamChannel first = pair.open(new StreamProbe().on(true));
            assertThat(pair.opener.isAcceptingStreams()).isTrue();
            StreamProbe lastProbe = new StreamProbe();
            MuxStreamChannel last = pair.open(lastProbe.on(true));
            MuxStreamChannel third = pair.open(new StreamProbe().on(true));
            assertThat(third.streamId()).isEqualTo(5);
            assertThat(pair.opener.isAcceptingStreams()).isFalse();
            assertThatThrownBy(() -> pair.open(new StreamProbe().on(true)))
                    .isInstanceOf(ExecutionException.class).cause()
                    .isInstanceOf(MuxStreamRefusedException.class).hasMessageContaining("stream ids exhausted (max 5)");

            last.writeAndFlush(Unpooled.copiedBuffer("still served", StandardCharsets.UTF_8));
            lastProbe.awaitReceived("still served");
            first.close();
            last.close();
            StreamProbe.await(() -> pair.acceptor.activeStreams() == 1, () -> "resets not seen");
            assertThat(pair.opener.channel().isActive()).as("one stream still runs").isTrue();
            third.close();
            assertThat(pair.opener.closeFuture().await(MuxPair.TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void drainIsAcknowledgedRefusesNewStreamsAndClosesWhenTheLastEnds() throws Exception {
        try (MuxPair pair = MuxPair.connect(MuxPair.Transport.LOCAL, MuxSettings.defaults(), EchoHandler.INSTANCE)) {
            StreamProbe probe = new StreamProbe();
            MuxStreamChannel stream = pair.open(probe.on(true));

            pair.acceptor.goAway(true, ResetCode.GOING_AWAY, "deploy").get(MuxPair.TIMEOUT_SECONDS, TimeUnit.SECONDS);
            assertThat(probe.awaitEvent(MuxGoAwayEvent.class))
                    .isEqualTo(new MuxGoAwayEvent(stream.streamId(), true, ResetCode.GOING_AWAY, "deploy"));
            assertThat(pair.opener.isAcceptingStreams()).isFalse();
            assertThatThrownBy(() -> pair.open(new StreamProbe().on(true))).cause()
                    .isInstanceOf(MuxStreamRefusedException.class).hasMessageContaining("peer sent goaway");

            stream.writeAndFlush(Unpooled.copiedBuffer("finishing", StandardCharsets.UTF_8));
            probe.awaitReceived("finishing");
            stream.shutdownOutput();
            probe.awaitInactive();
            assertThat(pair.acceptor.closeFuture().await(MuxPair.TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
            assertThat(pair.opener.closeFuture().await(MuxPair.TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void drainingAnIdleConnectionClosesItOnceAcknowledged() throws Exception {
        try (MuxPair pair = MuxPair.connect(MuxPair.Transport.TCP, MuxSettings.defaults(), EchoHandler.INSTANCE)) {
            assertThat(pair.opener.goAway(true, ResetCode.GOING_AWAY, "scale-in")
                    .await(MuxPair.TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
            assertThat(pair.opener.closeFuture().await(MuxPair.TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
            assertThat(pair.acceptor.closeFuture().await(MuxPair.TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
        }
    }
}
