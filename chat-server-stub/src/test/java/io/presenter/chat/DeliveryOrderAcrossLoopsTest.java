package io.presenter.chat;

import static io.presenter.chat.ChatFixture.auth;
import static io.presenter.chat.ChatFixture.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoop;
import io.netty.channel.local.LocalChannel;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Deliveries reach a session in the couple's sequence order even when its senders run on
 * different event loops, one of them the recipient's own. Netty's {@code Channel.write} alone does
 * not give that: a write from another loop becomes a task, a write from the channel's own loop
 * runs at once and overtakes the queued task. The test makes exactly that interleaving happen,
 * on real event loops, without relying on timing.
 */
class DeliveryOrderAcrossLoopsTest {

    private static final Duration BOUND = Duration.ofSeconds(10);
    private static final long ALICE = 1;
    private static final long BOB = 2;
    private static final long COUPLE = 77;

    private final DefaultEventLoopGroup loops = new DefaultEventLoopGroup(2);
    private final EventLoop loopA = loops.next();
    private final EventLoop loopB = loops.next();
    private final ChatService service = new ChatService("chat-1", auth -> AuthStatus.OK, couple -> true,
            ChatLimits.DEFAULTS, new SimpleMeterRegistry());

    @AfterEach
    void stopLoops() {
        loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void aSessionGetsTheCouplesSequenceOrderWhenItsOwnLoopSendsWhileAnotherLoopsWriteIsQueued()
            throws Exception {
        // Alice and Bob's laptop share loop B; Bob's phone is on loop A.
        Session alice = connect(loopB, ALICE, "phone");
        Session bobPhone = connect(loopA, BOB, "phone");
        Session bobLaptop = connect(loopB, BOB, "laptop");

        // Loop B is busy (as when it reads a batch of frames) until the phone's message has been
        // sequenced on loop A; then, still on B, the laptop's message is sequenced.
        CountDownLatch phoneSequenced = new CountDownLatch(1);
        loopB.execute(() -> {
            try {
                assertThat(phoneSequenced.await(BOUND.toSeconds(), TimeUnit.SECONDS)).isTrue();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            bobLaptop.channel.pipeline().fireChannelRead(send(2, "from the laptop, second"));
        });
        loopA.execute(() -> {
            bobPhone.channel.pipeline().fireChannelRead(send(1, "from the phone, first"));
            phoneSequenced.countDown();
        });

        Await.until(BOUND, () -> alice.deliveries().size() == 2, () -> "alice got " + alice.deliveries());
        assertThat(alice.deliveries()).extracting(p -> p.getDelivery().getClientMessageId()).containsExactly(1L, 2L);
        assertThat(alice.deliveries()).extracting(p -> p.getDelivery().getSequence()).isSorted();
    }

    /** A session channel on {@code loop}, authenticated; it needs no peer: {@link Session} takes the writes. */
    private Session connect(EventLoop loop, long user, String device) throws Exception {
        Session session = new Session();
        session.channel = new LocalChannel();
        session.channel.pipeline().addLast(session, service.newSessionHandler());
        assertThat(loop.register(session.channel).await(BOUND.toMillis())).isTrue();
        ClientPacket auth = auth(user, COUPLE, "good");
        auth.getAuth().setDeviceId(device);
        loop.execute(() -> session.channel.pipeline().fireChannelRead(auth));
        Await.until(BOUND, () -> session.written.stream().anyMatch(ClientPacket::isSetAuthResult),
                () -> "no auth result for user " + user);
        return session;
    }

    /** Records what the chat stages write, in the order the channel receives the writes. */
    private static final class Session extends ChannelOutboundHandlerAdapter {
        final List<ClientPacket> written = new CopyOnWriteArrayList<>();
        Channel channel;

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            written.add((ClientPacket) msg);
            promise.setSuccess();
        }

        List<ClientPacket> deliveries() {
            return written.stream().filter(ClientPacket::isSetDelivery).toList();
        }
    }
}
