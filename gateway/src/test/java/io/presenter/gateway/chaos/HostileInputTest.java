package io.presenter.gateway.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.util.internal.PlatformDependent;
import io.presenter.gateway.client.ClientMeters;
import io.presenter.gateway.HonestCoupleTestBase;
import io.presenter.gateway.PresenterCluster;
import io.presenter.gateway.PresenterServer;
import io.presenter.gateway.StalledClient;
import io.presenter.gateway.tls.TlsMeters;
import io.presenter.protocol.codec.ClientPackets;
import io.presenter.protocol.wire.AuthResult;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.protocol.wire.MuxFrame;
import io.presenter.protocol.wire.ResetCode;
import io.presenter.ring.MemberRegistration;
import io.presenter.ring.MemberState;
import io.presenter.ring.RingMember;
import io.presenter.testing.Await;
import io.presenter.testing.RawMuxPeer;
import io.presenter.testing.TestChatClient;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Hostile peers over real sockets, each cut off by its limit with a counted reason, while an
 * honest couple on the same presenter keeps chatting after every one of them. (The embedded-channel
 * versions of some of these live in the protocol module; see RELIABILITY.md for which.)
 */
class HostileInputTest extends HonestCoupleTestBase {

    static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(1);
    static final Duration AUTH_TIMEOUT = Duration.ofSeconds(3);
    static final Duration SETTLE = Duration.ofSeconds(30);

    private final ScheduledExecutorService dribbler = Executors.newSingleThreadScheduledExecutor();

    HostileInputTest() {
        super(AUTH_TIMEOUT, HANDSHAKE_TIMEOUT);
    }

    @AfterAll
    void stopDribbler() {
        dribbler.shutdownNow();
    }

    @Test
    void tlsHandshakesThatNeverCompleteAreCutByTheHandshakeTimeout() throws Exception {
        int sockets = 50;
        double before = cluster.counter(TlsMeters.HANDSHAKES, "result", "failed", "reason", "timeout");
        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < sockets; i++) {
                Socket socket = new Socket(presenter.address().getAddress(), presenter.address().getPort());
                socket.setSoTimeout((int) SETTLE.toMillis());
                socket.getOutputStream().write(new byte[] {0x16, 0x03, 0x01});  // a record header begun, never ended
                socket.getOutputStream().flush();
                slow.add(socket);
            }
            int closedByServer = 0;
            for (Socket socket : slow) {
                while (socket.getInputStream().read() >= 0) {
                    // whatever comes, then the end
                }
                closedByServer++;
            }
            assertThat(closedByServer).isEqualTo(sockets);
        } finally {
            for (Socket socket : slow) {
                socket.close();
            }
        }
        Await.until(SETTLE, () -> cluster.counter(TlsMeters.HANDSHAKES, "result", "failed", "reason", "timeout")
                        - before == sockets,
                () -> "handshake timeouts counted: " + cluster.counter(TlsMeters.HANDSHAKES, "result", "failed", "reason", "timeout"));
        ChaosReport.print("HostileInputTest.tlsHandshakesThatNeverComplete", "sockets", sockets,
                "handshakeTimeouts", cluster.counter(TlsMeters.HANDSHAKES, "result", "failed", "reason", "timeout") - before,
                "presenterClosed", ChaosReport.byTag(cluster.registry, ClientMeters.CONNECTIONS_CLOSED, "reason"));
    }

    @Test
    void anAuthPacketDribbledSlowerThanTheDeadlineIsCut() throws Exception {
        double before = cluster.counter(ClientMeters.AUTH_REJECTED, "reason", "auth_timeout");
        TestChatClient slowpoke = cluster.connect(presenter);
        ByteBuf encoded = ClientPackets.encode(ByteBufAllocator.DEFAULT, ClientPacket.auth(cluster.auth(7, 507)));
        byte[] auth = ByteBufUtil.getBytes(encoded);
        encoded.release();
        AtomicInteger dribbled = new AtomicInteger();
        // A byte every 100 ms: the whole packet would take auth.length / 10 seconds, far beyond the deadline.
        ScheduledFuture<?> drip = dribbler.scheduleAtFixedRate(() -> {
            int next = dribbled.get();
            if (next < auth.length && slowpoke.channel().isActive()) {
                slowpoke.channel().writeAndFlush(Unpooled.wrappedBuffer(new byte[] {auth[next]}));
                dribbled.incrementAndGet();
            }
        }, 0, 100, TimeUnit.MILLISECONDS);
        try {
            slowpoke.awaitClosed();
        } finally {
            drip.cancel(false);
        }
        assertThat(dribbled.get()).as("bytes dribbled before the cut").isLessThan(auth.length);
        Await.until(SETTLE, () -> cluster.counter(ClientMeters.AUTH_REJECTED, "reason", "auth_timeout") == before + 1,
                () -> "auth timeouts " + cluster.counter(ClientMeters.AUTH_REJECTED, "reason", "auth_timeout"));
        ChaosReport.print("HostileInputTest.anAuthPacketDribbled", "authPacketBytes", auth.length,
                "bytesBeforeCut", dribbled.get(), "authTimeouts",
                cluster.counter(ClientMeters.AUTH_REJECTED, "reason", "auth_timeout") - before);
    }

    @Test
    void aClientThatNeverReadsWhileItsPartnerFloodsCannotGrowMemory() throws Exception {
        // 96 MiB at a client that reads nothing. What may pile up is bounded by the stub's pending
        // deliveries (1,024 x 8 KiB) plus windows and water marks, and the allocator's chunk size;
        // half the flood is a generous ceiling that a presenter or chat server buffering for the
        // client would still blow through.
        int messages = 12_000;
        String body = "x".repeat(8 * 1024);
        MeterRegistry chat = cluster.chatRegistry("chat-1");
        double slowBefore = counter(chat, "chat.sessions.closed.slow");
        long baseline = usedMemory();
        AtomicLong peak = new AtomicLong(baseline);
        ScheduledFuture<?> sampler = dribbler.scheduleAtFixedRate(() -> peak.accumulateAndGet(usedMemory(), Math::max),
                0, 10, TimeUnit.MILLISECONDS);
        try (SSLSocket stalled = StalledClient.open(presenter.address(), cluster.auth(11, 900))) {
            TestChatClient flooder = cluster.authenticated(presenter, 12, 900);
            for (int i = 1; i <= messages; i++) {
                flooder.sendMessage(i, body);
                if (!flooder.channel().isWritable()) {  // flood as fast as the presenter takes it, no faster
                    Await.until(SETTLE, () -> flooder.channel().isWritable() || !flooder.channel().isActive(),
                            () -> "flooder never writable again");
                }
            }
            Await.until(SETTLE, () -> counter(chat, "chat.sessions.closed.slow") == slowBefore + 1,
                    () -> "slow sessions closed: " + counter(chat, "chat.sessions.closed.slow"));
            assertThat(flooder.channel().isActive()).as("the flooder itself is not punished").isTrue();
        } finally {
            sampler.cancel(false);
        }
        long growth = peak.get() - baseline;
        long flooded = (long) messages * body.length();
        assertThat(growth).as("peak buffer growth while %d bytes were flooded at a stalled client", flooded)
                .isLessThan(flooded / 2);
        ChaosReport.print("HostileInputTest.aClientThatNeverReads", "floodedBytes", flooded,
                "peakBufferGrowthBytes", growth, "allocator", ByteBufAllocator.DEFAULT.getClass().getSimpleName(),
                "slowSessionsClosed", counter(chat, "chat.sessions.closed.slow") - slowBefore,
                "presenterClosed", ChaosReport.byTag(cluster.registry, ClientMeters.CONNECTIONS_CLOSED, "reason"));
    }

    @Test
    void aChatServerThatIgnoresFlowControlHasItsStreamReset() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            MemberRegistration evil = new MemberRegistration(cluster.curator(), "/evil", new RingMember("evil-1",
                    "127.0.0.1", listener.getLocalPort(), listener.getLocalPort(), 1, MemberState.ACTIVE));
            evil.start();
            assertThat(evil.awaitRegistered(SETTLE)).isTrue();
            try (evil) {
                var ring = cluster.newDirectory("/evil");
                Await.until(SETTLE, () -> ring.ring().member("evil-1").isPresent(), () -> "no evil member");
                // One event loop: the presenter opens one mux connection per loop up front, and this fake
                // chat server serves only the first it accepts.
                PresenterServer victim = cluster.startPresenter(PresenterCluster.settings().withEventLoops(1), ring);
                double resetsBefore = cluster.counter("mux.resets", "direction", "sent", "code", "flow_control_error");
                CompletableFuture<Long> overrun = CompletableFuture.supplyAsync(() -> serveIgnoringFlowControl(listener));
                try (SSLSocket stalled = StalledClient.open(victim.address(), cluster.auth(21, 901))) {
                    long sent = overrun.get(SETTLE.toSeconds(), TimeUnit.SECONDS);
                    Await.until(SETTLE, () -> cluster.counter("mux.resets", "direction", "sent", "code",
                                    "flow_control_error") == resetsBefore + 1,
                            () -> "flow-control resets sent: " + cluster.counter("mux.resets", "direction", "sent",
                                    "code", "flow_control_error"));
                    cluster.awaitCounter(1, ClientMeters.CONNECTIONS_CLOSED, "reason", "reset_flow_control_error");
                    ChaosReport.print("HostileInputTest.aChatServerThatIgnoresFlowControl", "bytesSentBeyondWindow",
                            sent - 64 * 1024, "flowControlResetsSent", cluster.counter("mux.resets", "direction", "sent",
                                    "code", "flow_control_error") - resetsBefore,
                            "clientClosedAs", "reset_flow_control_error");
                }
            }
        }
    }

    @Test
    void framesAnnouncingHugeLengthsAreRefusedOnTheirPrefix() throws Exception {
        // A client packet of 2^31-1 bytes, announced after a good TLS handshake.
        double tooLarge = cluster.counter(ClientMeters.AUTH_REJECTED, "reason", "auth_too_large");
        TestChatClient liar = cluster.connect(presenter);
        liar.channel().writeAndFlush(Unpooled.wrappedBuffer(new byte[] {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff}));
        liar.awaitClosed();
        Await.until(SETTLE, () -> cluster.counter(ClientMeters.AUTH_REJECTED, "reason", "auth_too_large") == tooLarge + 1,
                () -> "auth_too_large " + cluster.counter(ClientMeters.AUTH_REJECTED, "reason", "auth_too_large"));

        // A mux frame of 2^31-1 bytes at the chat server's mux door, right after a valid preface.
        MeterRegistry chat = cluster.chatRegistry("chat-1");
        double errorsBefore = sum(chat, "mux.connection.errors");
        InetSocketAddress mux = cluster.chatServer("chat-1").muxAddress();
        boolean closed;
        try (RawMuxPeer peer = RawMuxPeer.over(new Socket(mux.getAddress(), mux.getPort()))) {
            peer.send(MuxFrame.settings(RawMuxPeer.settings(64 * 1024)));
            peer.sendBytes(new byte[] {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, 1, 2, 3});
            closed = peer.closedByPeer();
        }
        assertThat(closed).as("chat server closed the connection").isTrue();
        Await.until(SETTLE, () -> sum(chat, "mux.connection.errors") == errorsBefore + 1,
                () -> "mux connection errors " + sum(chat, "mux.connection.errors"));
        ChaosReport.print("HostileInputTest.framesAnnouncingHugeLengths", "clientAuthTooLarge",
                cluster.counter(ClientMeters.AUTH_REJECTED, "reason", "auth_too_large") - tooLarge,
                "muxConnectionErrors", ChaosReport.byTag(chat, "mux.connection.errors", "code"));
    }

    /**
     * Plays a chat server that accepts one presenter connection, answers the client's auth, then
     * sends 4 MiB on its stream without waiting for credit; returns the payload bytes it wrote.
     */
    private static long serveIgnoringFlowControl(ServerSocket listener) {
        try (RawMuxPeer peer = RawMuxPeer.over(listener.accept())) {
            peer.send(MuxFrame.settings(RawMuxPeer.settings(64 * 1024)));
            int stream = -1;
            for (MuxFrame frame; stream < 0 && (frame = peer.nextControl()) != null; ) {
                if (frame.isSetOpen()) {
                    stream = frame.getOpen().getStreamId();
                }
            }
            ByteBuf ok = ClientPackets.encode(ByteBufAllocator.DEFAULT,
                    ClientPacket.authResult(new AuthResult(AuthStatus.OK)));
            peer.data(stream, ByteBufUtil.getBytes(ok));
            ok.release();
            long sent = 0;
            byte[] chunk = new byte[16 * 1024];
            try {
                for (int i = 0; i < 256; i++) {
                    peer.data(stream, chunk);
                    sent += chunk.length;
                }
                for (MuxFrame frame; (frame = peer.nextControl()) != null; ) {
                    if (frame.isSetReset() && frame.getReset().getCode() == ResetCode.FLOW_CONTROL_ERROR) {
                        break;
                    }
                }
            } catch (java.io.UncheckedIOException e) {
                // the presenter may close first; what was sent is what counts
            }
            return sent;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Buffer memory in use: the default allocator's own metric, else Netty's direct-memory counter. */
    private static long usedMemory() {
        if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider provider) {
            return provider.metric().usedDirectMemory() + provider.metric().usedHeapMemory();
        }
        return PlatformDependent.usedDirectMemory();
    }

    private static double counter(MeterRegistry registry, String name) {
        Counter counter = registry.find(name).counter();
        return counter == null ? 0 : counter.count();
    }

    private static double sum(MeterRegistry registry, String name) {
        return registry.find(name).counters().stream().mapToDouble(Counter::count).sum();
    }
}
