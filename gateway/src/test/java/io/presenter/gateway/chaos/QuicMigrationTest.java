package io.presenter.gateway.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.presenter.gateway.PresenterCluster;
import io.presenter.gateway.chaos.ChatFleet.Couple;
import io.presenter.gateway.client.ClientMeters;
import io.presenter.gateway.quic.QuicMeters;
import io.presenter.loadtest.quic.QuicClientEndpoint;
import io.presenter.loadtest.quic.UdpRelay;
import io.presenter.testing.Await;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Connection migration: QUIC clients behind a NAT ({@link UdpRelay}) whose public port changes
 * mid-chat, twice, while both sides keep sending. The presenter sees each client arrive from a new
 * port; QUIC moves the connection to the new path; the session, its mux stream and its couple
 * carry on: zero sessions closed, zero messages lost or duplicated, no new connection counted,
 * and the per-address count still holds each client once.
 */
class QuicMigrationTest extends ChaosTestBase {

    static final int COUPLES = 20;
    /**
     * The {@code max_ack_delay} this test's clients announce (quiche's default is 25 ms); they
     * acknowledge without delay whatever they announce. Why more: the presenter's quiche (0.29 in
     * Netty 4.2.18) abandons a client's new path at the first probe timeout (PTO) that fires while
     * one of its PATH_CHALLENGEs is unanswered, because then its anti-amplification check
     * ({@code max_send_bytes < 25}, path.rs {@code on_loss_detection_timeout}) holds: each packet on
     * an unvalidated path is padded to the whole remaining budget, and the budget is not refilled
     * once the address is verified. The second challenge (1200 bytes, the MTU check) times out
     * after about three times the first answer's round trip plus the client's max_ack_delay. Here
     * 40 clients, their stack and the NAT share one event-loop thread on a loaded machine at
     * paranoid leak detection, and their answers take 35-130 ms, sometimes longer than that PTO:
     * then quiche reports FailedValidation, falls back to the connection's first validated path
     * (the port that died at the first move) and closes the connection with PROTOCOL_VIOLATION
     * (INVALID_STATE) at the client's next packet, its CONNECTION_CLOSE going to the dead port
     * (qlog captures in README, QUIC transport, Migration). The PTO adds the peer's
     * max_ack_delay, so 500 ms gives this slow client stack half a second of slack; the presenter
     * has no setting that would (Netty exposes neither quiche's initial RTT nor its amplification
     * factor).
     */
    static final Duration CLIENT_MAX_ACK_DELAY = Duration.ofMillis(500);

    private final EventLoopGroup quicLoops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final TrafficPump pump = new TrafficPump();
    private QuicClientEndpoint endpoint;
    private UdpRelay nat;

    @BeforeEach
    void start() throws Exception {
        // Per-address limit on: every client comes from 127.0.0.1, so it must count each connection once.
        start(new PresenterCluster(), PresenterCluster.settings().toBuilder()
                .maxConnectionsPerAddress(2 * COUPLES).build(), UnaryOperator.identity(), "chat-1", "chat-2");
        InetSocketAddress quic = presenter.startQuic(QuicEdgeTest.quicSettings()).address();
        nat = new UdpRelay(quicLoops, quic, Duration.ZERO);
        endpoint = new QuicClientEndpoint(quicLoops, new InetSocketAddress("127.0.0.1", 0), false, 60_000, true, null,
                CLIENT_MAX_ACK_DELAY);
        fleet.quic(endpoint, nat.address(), member -> true);
        fleet.reconnect(false);  // a closed session would show as a close, not be hidden by a reconnect
    }

    @AfterEach
    void stopQuicClients() throws InterruptedException {
        pump.close();
        if (fleet != null) {
            fleet.close();
            fleet = null;
        }
        if (nat != null) {
            nat.close();
        }
        if (endpoint != null) {
            endpoint.close();
        }
        quicLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /**
     * 40 connections behind one NAT mapping move at once, twice. The NAT keeps each old mapping for
     * {@link UdpRelay#OLD_MAPPING_LINGER}, so what the presenter sent before it saw a new port still
     * arrives: with one second, on a loaded machine whose client loop ran seconds behind, about 1 run
     * in 3 lost packets on the old path, and quiche 0.29 never re-sends all of such a loss, leaving
     * the clients' streams with a gap for good (README, QUIC transport, Migration).
     */
    @Test
    void clientsRebindToANewPortMidChatAndKeepTheirSessions() throws InterruptedException {
        rebindMidChat(COUPLES, 2);
    }

    /**
     * One couple, three NAT rebindings: each move leaves quiche an old path it never frees (the
     * client gives no spare connection id), so a connection outlives only as many moves as the
     * presenter's path limit allows ({@code QuicListener.MAX_PATHS}; quiche's default of 2 lost
     * the connection's packets from the second move on).
     */
    @Test
    void oneCoupleRebindsThreeTimesAndKeepsItsSession() throws InterruptedException {
        rebindMidChat(1, 3);
    }

    /**
     * A move to a network that lets the client send but not receive: quiche cannot validate the
     * new path, and the presenter counts it ({@code presenter.quic.path_validation_failures}) so
     * that operators see the failures README's QUIC Migration limits describe. What becomes of the
     * connection then is quiche's (it falls back to the old path, which it reports as a migration
     * too); not asserted here.
     */
    @Test
    void aNewPathThatCannotAnswerFailsValidationAndIsCounted() {
        List<Couple> couple = fleet.connect(List.of(500_000L));
        fleet.awaitAuthenticated(couple, SETTLE);
        pump.start(fleet, couple, 100, 3, SETTLE);

        nat.rebindWithoutReturnPath();

        Await.until(SETTLE, () -> counter(QuicMeters.PATH_VALIDATION_FAILURES) >= 1,
                () -> "path validation failures " + counter(QuicMeters.PATH_VALIDATION_FAILURES));
    }

    private void rebindMidChat(int couples, int moves) throws InterruptedException {
        List<Couple> all = fleet.connect(LongStream.range(0, couples).map(i -> 400_000 + i).boxed().toList());
        fleet.awaitAuthenticated(all, SETTLE);
        Map<InetSocketAddress, Integer> firstPorts = nat.upstreamPorts();
        assertThat(firstPorts).hasSize(1);  // one endpoint socket: all its connections share one NAT mapping

        // Ten rounds a second: 400 messages a second through a QUIC client stack, the NAT, the
        // presenter and two chat servers, all in this JVM at paranoid leak detection. At fifty
        // rounds a second the presenter's UDP socket overflowed here (thousands of datagrams
        // dropped by the kernel), and quiche fails a migration whose path validation is lost:
        // that is migration under loss, a different test from this one (README, QUIC, Migration).
        pump.start(fleet, all, 100, 5, SETTLE);
        for (int move = 1; move <= moves; move++) {
            nat.rebind();
            int done = move;
            Await.until(SETTLE, () -> counter(QuicMeters.MIGRATIONS) >= done * 2.0 * couples,
                    () -> "migrations seen " + counter(QuicMeters.MIGRATIONS) + " after move " + done);
            long sentBefore = all.get(0).sides[0].sent;
            Await.until(SETTLE, () -> all.get(0).sides[0].sent >= sentBefore + 5, () -> "traffic stalled after move " + done);
        }
        assertThat(nat.upstreamPorts()).doesNotContainValue(firstPorts.values().iterator().next());
        pump.stop();
        fleet.awaitAllDelivered(all, SETTLE);

        assertThat(fleet.violations()).as("duplicates, reorders, strangers").isEmpty();
        assertThat(all).allSatisfy(couple -> {
            assertThat(couple.closes()).as("sessions closed in %s", couple).isZero();
            assertThat(couple.sides[0].gaps.get() + couple.sides[1].gaps.get()).as("lost in %s", couple).isZero();
            assertThat(couple.sides[0].connects.get() + couple.sides[1].connects.get()).isEqualTo(2);
        });
        assertThat(cluster.counter(ClientMeters.CONNECTIONS_OPENED, ClientMeters.TRANSPORT, ClientMeters.QUIC))
                .as("no new connection").isEqualTo(2 * couples);
        assertThat(presenter.connections().active()).isEqualTo(2 * couples);
        assertThat(cluster.registry.find(ClientMeters.CONNECTIONS_CLOSED).counters()).as("nobody closed").isEmpty();
    }

    private double counter(String name) {
        var counter = cluster.registry.find(name).counter();
        return counter == null ? 0 : counter.count();
    }
}
