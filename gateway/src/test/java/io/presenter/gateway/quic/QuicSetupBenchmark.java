package io.presenter.gateway.quic;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.presenter.gateway.PresenterCluster;
import io.presenter.gateway.PresenterServer;
import io.presenter.loadtest.quic.UdpRelay;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.testing.TestChatClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Not part of the build (no *Test name): time from "connect" to AuthResult over QUIC, with a
 * {@link UdpRelay} adding {@code -Dsetup.oneWayMillis} (default 25, so 50 ms RTT) each way, for a
 * full handshake (fresh client, no ticket) and a resumed one (the auth packet written at
 * early-data-ready). Run: {@code mvn -o -pl gateway -am test -Dtest=QuicSetupBenchmark
 * -Dsurefire.failIfNoSpecifiedTests=false}; it prints medians in round trips.
 */
class QuicSetupBenchmark {

    private static final int ROUNDS = Integer.getInteger("setup.rounds", 10);
    private static final long ONE_WAY_MILLIS = Long.getLong("setup.oneWayMillis", 25);

    @Test
    void setupRoundTrips() throws Exception {
        EventLoopGroup relayLoops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (PresenterCluster cluster = PresenterCluster.withOneChatServer()) {
            PresenterServer presenter = cluster.startPresenter(PresenterCluster.settings(), cluster.directory);
            UdpRelay path = new UdpRelay(relayLoops, presenter.startQuic(QuicClients.settings()).address(),
                    Duration.ofMillis(ONE_WAY_MILLIS));
            List<Long> full = new ArrayList<>();
            List<Long> resumed = new ArrayList<>();
            for (int i = 0; i < ROUNDS; i++) {
                try (QuicClients fresh = new QuicClients(true)) {
                    full.add(timeToAuthResult(fresh, cluster, path, 2L * i + 1));
                    resumed.add(timeToAuthResult(fresh, cluster, path, 2L * i + 1));
                }
            }
            path.close();
            double rtt = 2.0 * ONE_WAY_MILLIS;
            System.out.printf("QUIC setup at %.0f ms RTT, %d rounds: full median %d ms (%.2f RTT), "
                            + "resumed median %d ms (%.2f RTT)%n", rtt, ROUNDS, median(full), median(full) / rtt,
                    median(resumed), median(resumed) / rtt);
        } finally {
            relayLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static long timeToAuthResult(QuicClients clients, PresenterCluster cluster, UdpRelay path, long user)
            throws Exception {
        long start = System.nanoTime();
        TestChatClient client = clients.connect(path.address());
        assertThat(client.authenticate(cluster.auth(user, 5000 + user))).isEqualTo(AuthStatus.OK);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        client.channel().parent().close().sync();
        return millis;
    }

    private static long median(List<Long> values) {
        List<Long> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }
}
