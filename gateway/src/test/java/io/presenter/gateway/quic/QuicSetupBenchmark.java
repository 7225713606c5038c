package io.presenter.gateway.quic;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.ssl.SslContext;
import io.presenter.gateway.PresenterCluster;
import io.presenter.gateway.PresenterServer;
import io.presenter.gateway.tls.TlsMeters;
import io.presenter.loadtest.quic.UdpRelay;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.testing.TestChatClient;
import io.presenter.testing.TestTls;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Not part of the build (no *Test name): time from "connect" to the AuthResult for the five setups
 * of issue 19, with {@code -Dsetup.oneWayMillis} (default 25, so 50 ms RTT) added each way:
 * QUIC through the harness's {@link UdpRelay}; TCP through {@link DelayingTcpRelay}, which holds a
 * new connection's first bytes one round trip for the TCP handshake a user-space relay cannot delay
 * (not with Fast Open, whose first bytes ride in the SYN). Each round uses a fresh client (no
 * ticket for the relay's address, after one warm-up connection straight to the presenter: full), then
 * the same client again (ticket: resumed; QUIC writes its auth packet as 0-RTT).
 * Run: {@code mvn -o -pl gateway -am test -Dtest=QuicSetupBenchmark -Dsurefire.failIfNoSpecifiedTests=false};
 * it prints medians in milliseconds and round trips.
 */
class QuicSetupBenchmark {

    private static final int ROUNDS = Integer.getInteger("setup.rounds", 10);
    private static final long ONE_WAY_MILLIS = Long.getLong("setup.oneWayMillis", 25);

    @Test
    void setupRoundTrips() throws Exception {
        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (PresenterCluster cluster = PresenterCluster.withOneChatServer()) {
            PresenterServer presenter = cluster.startPresenter(PresenterCluster.settings(), cluster.directory);
            InetSocketAddress quicDirect = presenter.startQuic(QuicClients.settings()).address();
            UdpRelay quicPath = new UdpRelay(loops, quicDirect, Duration.ofMillis(ONE_WAY_MILLIS));
            DelayingTcpRelay tcpPath = new DelayingTcpRelay(loops, presenter.address(), ONE_WAY_MILLIS, false);
            DelayingTcpRelay fastOpenPath = new DelayingTcpRelay(loops, presenter.address(), ONE_WAY_MILLIS, true);
            List<Long> quicFull = new ArrayList<>();
            List<Long> quicZeroRtt = new ArrayList<>();
            List<Long> tcpFull = new ArrayList<>();
            List<Long> tcpResumed = new ArrayList<>();
            List<Long> fastOpenResumed = new ArrayList<>();
            long user = 1;
            for (int i = 0; i < ROUNDS; i++) {
                try (QuicClients fresh = new QuicClients(true)) {
                    // Warm the new client context up on the undelayed address (its ticket is for that
                    // address, not the relay's): the first connection of a context pays one-off costs
                    // (~70 ms here) a phone's long-lived context does not.
                    quic(fresh, cluster, quicDirect, user++);
                    quicFull.add(quic(fresh, cluster, quicPath.address(), user++));
                    assertThat(fresh.lastSession().earlyData()).isFalse();
                    quicZeroRtt.add(quic(fresh, cluster, quicPath.address(), user++));
                    assertThat(fresh.lastSession().earlyData()).as("0-RTT").isTrue();
                }
                SslContext tls = TestTls.client();  // a fresh session cache: no ticket for the relay
                tcp(loops, tls, cluster, presenter.address(), user++);  // warm-up, as for QUIC
                tcpFull.add(tcp(loops, tls, cluster, tcpPath.address(), user++));
                tcpResumed.add(tcp(loops, tls, cluster, tcpPath.address(), user++));
                SslContext fastOpenTls = TestTls.client();
                tcp(loops, fastOpenTls, cluster, presenter.address(), user++);
                tcp(loops, fastOpenTls, cluster, fastOpenPath.address(), user++);  // takes the ticket
                fastOpenResumed.add(tcp(loops, fastOpenTls, cluster, fastOpenPath.address(), user++));
            }
            quicPath.close();
            tcpPath.close();
            fastOpenPath.close();
            double rtt = 2.0 * ONE_WAY_MILLIS;
            System.out.printf("SETUP at %.0f ms RTT, %d rounds, median time to AuthResult:%n", rtt, ROUNDS);
            row("TCP + TLS 1.3, full", tcpFull, rtt);
            row("TCP + TLS 1.3, resumed", tcpResumed, rtt);
            row("TFO + TLS 1.3, resumed", fastOpenResumed, rtt);
            row("QUIC, full", quicFull, rtt);
            row("QUIC, 0-RTT (resumed)", quicZeroRtt, rtt);
            System.out.printf("SETUP presenter TLS handshakes: full %.0f, resumed %.0f; QUIC auth packets in 0-RTT %.0f%n",
                    cluster.counter(TlsMeters.HANDSHAKES, "result", "full"),
                    cluster.counter(TlsMeters.HANDSHAKES, "result", "resumed"),
                    cluster.counter(QuicMeters.EARLY_DATA, "outcome", "auth_in_early_data"));
        } finally {
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static long quic(QuicClients clients, PresenterCluster cluster, InetSocketAddress path, long user)
            throws Exception {
        long start = System.nanoTime();
        TestChatClient client = clients.connect(path);
        assertThat(client.authenticate(cluster.auth(user, 5000 + user))).isEqualTo(AuthStatus.OK);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        client.channel().parent().close().sync();
        return millis;
    }

    private static long tcp(EventLoopGroup group, SslContext tls, PresenterCluster cluster, InetSocketAddress path,
            long user) throws Exception {
        long start = System.nanoTime();
        TestChatClient client = TestChatClient.connect(group, path, tls);
        assertThat(client.authenticate(cluster.auth(user, 5000 + user))).isEqualTo(AuthStatus.OK);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        client.channel().close().sync();
        return millis;
    }

    private static void row(String setup, List<Long> millis, double rtt) {
        long median = millis.stream().sorted().toList().get(millis.size() / 2);
        System.out.printf("SETUP | %s | %d ms | %.1f RTT | all: %s%n", setup, median, median / rtt, millis);
    }
}
