package io.presenter.gateway.chaos;

import static io.presenter.gateway.chaos.CoupleHandoverTest.HANDOVER;
import static io.presenter.gateway.chaos.CoupleHandoverTest.MOVED;
import static io.presenter.gateway.chaos.CoupleHandoverTest.owner;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.presenter.chat.server.ChatServer;
import io.presenter.gateway.PresenterCluster;
import io.presenter.gateway.chaos.ChatFleet.Couple;
import io.presenter.gateway.chaos.ChatFleet.Member;
import io.presenter.gateway.client.ClientMeters;
import io.presenter.gateway.client.ClientRelay;
import io.presenter.gateway.client.HandoverLimits;
import io.presenter.protocol.mux.MuxStreamChannel;
import io.presenter.protocol.wire.Handover;
import io.presenter.protocol.wire.HandoverTicket;
import io.presenter.protocol.wire.MuxFrame;
import io.presenter.ring.RingSnapshot;
import io.presenter.testing.Await;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Handovers that cannot complete, end to end through a real presenter and real chat servers: each
 * ends in the counted fallback (the client is closed and reconnects, as without handover) or, for
 * a frame naming no stream, in a counted drop; the couples the fault does not concern never notice.
 * The new owner refusing a state it cannot verify (a forged MAC, from its point of view) is
 * {@link CoupleHandoverTest#aNewOwnerThatRefusesTheStateFallsBackToAReconnect}.
 */
class CoupleHandoverFaultTest extends ChaosTestBase {

    static final int COUPLES = 60;

    /**
     * The joining chat server dies once the old owners have begun handing couples over to it:
     * sessions it had taken in are lost with it, the presenter cannot open the others there. Every
     * client concerned is closed once, counted as a handover fallback or a lost backend, and logs
     * in again at its couple's owner; the others are untouched.
     */
    @Test
    void aNewOwnerKilledDuringAHandoverFallsBackToAReconnect() throws Exception {
        start(new PresenterCluster(), PresenterCluster.settings().withConnectionsPerLoop(2), HANDOVER,
                "chat-1", "chat-2", "chat-3");
        List<Couple> all = connectAndChat(700_000, COUPLES);
        RingSnapshot before = cluster.directory.ring();
        ChatServer doomed = cluster.startChatServer("chat-4", HANDOVER);
        RingSnapshot during = cluster.converged(4);
        List<Couple> moving = all.stream().filter(c -> !owner(before, c).equals(owner(during, c))).toList();
        List<Couple> stayed = all.stream().filter(c -> owner(before, c).equals(owner(during, c))).toList();
        assertThat(moving).isNotEmpty();
        Await.until(MOVED, () -> handoversSent() > 0, () -> "no handover began");
        doomed.close();
        RingSnapshot after = cluster.converged(3);

        fleet.awaitAuthenticated(all, MOVED);
        fleet.sendRound(all);
        fleet.awaitAllDelivered(all, SETTLE);
        assertThat(fleet.violations()).as("wrong-couple, duplicate or reordered deliveries").isEmpty();
        ChaosAssertions.untouched(stayed);
        ChaosAssertions.onOwner(cluster, all, after);
        long closes = all.stream().flatMap(c -> Stream.of(c.sides)).mapToLong(m -> m.closes.get()).sum();
        Map<String, Double> closed = ChaosReport.byTag(cluster.registry, ClientMeters.CONNECTIONS_CLOSED, "reason");
        assertThat(closes).as("clients the dead owner concerned").isPositive();
        assertThat(closed.keySet()).as("why clients were closed")
                .isSubsetOf(ClientRelay.HANDOVER_FAILED, ClientRelay.BACKEND_LOST);
        assertThat(closed.values().stream().mapToDouble(Double::doubleValue).sum()).as("every close counted")
                .isEqualTo(closes);
        assertThat(fallbacks()).as("handover fallbacks").isEqualTo(closed.getOrDefault(ClientRelay.HANDOVER_FAILED, 0.0));
        for (Couple couple : moving) {
            for (Member member : couple.sides) {
                assertThat(member.closes.get()).as("closes of %s", member).isLessThanOrEqualTo(1);
                assertThat(member.connects.get()).as("connections of %s", member).isEqualTo(1 + member.closes.get());
            }
        }
        ChaosReport.print("CoupleHandoverFaultTest.killedNewOwner", "clients", 2 * all.size(),
                "couplesMoving", moving.size(), "handoversSent", handoversSent(),
                "presenterHandovers", ChaosReport.byTag(cluster.registry, ClientMeters.HANDOVERS, "result"),
                "presenterClosed", closed, "clientsClosed", ChaosAssertions.disconnectedClients(all),
                "stayedUntouched", stayed.size(), "violations", fleet.violations().size());
    }

    /**
     * The presenter carries sealed states up to {@code backend.handover-max-state-bytes}; set below
     * what the stub seals, every handover of the join falls back ({@code state_too_large}): the
     * moved clients reconnect to the new owner, the others are untouched.
     */
    @Test
    void aStateOverThePresentersCapFallsBackToAReconnect() throws Exception {
        start(new PresenterCluster(), PresenterCluster.settings().toBuilder().connectionsPerLoop(2)
                .handover(HandoverLimits.DEFAULTS.withMaxStateBytes(64)).build(), HANDOVER, "chat-1", "chat-2", "chat-3");
        List<Couple> all = connectAndChat(710_000, COUPLES);
        RingSnapshot before = cluster.directory.ring();
        cluster.startChatServer("chat-4", HANDOVER);
        RingSnapshot after = cluster.converged(4);
        List<Couple> moved = all.stream().filter(c -> !owner(before, c).equals(owner(after, c))).toList();
        List<Couple> stayed = all.stream().filter(c -> owner(before, c).equals(owner(after, c))).toList();
        assertThat(moved).isNotEmpty();

        ChaosAssertions.back(moved, 2, MOVED, fleet);
        fleet.sendRound(all);
        fleet.awaitAllDelivered(all, SETTLE);
        assertThat(fleet.violations()).isEmpty();
        ChaosAssertions.untouched(stayed);
        ChaosAssertions.onOwner(cluster, all, after);
        assertThat(handoversSent()).as("handovers the old owners sent").isEqualTo(2.0 * moved.size());
        assertThat(cluster.counter(ClientMeters.HANDOVERS, "result", "fallback_state_too_large"))
                .as("presenter fallbacks").isEqualTo(2.0 * moved.size());
        assertThat(cluster.counter(ClientMeters.CONNECTIONS_CLOSED, "reason", ClientRelay.HANDOVER_FAILED,
                "transport", "tcp")).as("clients closed to reconnect").isEqualTo(2.0 * moved.size());
        assertThat(ChaosAssertions.disconnectedClients(all)).isEqualTo(2L * moved.size());
        ChaosReport.print("CoupleHandoverFaultTest.stateOverCap", "clients", 2 * all.size(), "couplesMoved", moved.size(),
                "presenterHandovers", ChaosReport.byTag(cluster.registry, ClientMeters.HANDOVERS, "result"),
                "presenterClosed", ChaosReport.byTag(cluster.registry, ClientMeters.CONNECTIONS_CLOSED, "reason"),
                "clientsClosed", ChaosAssertions.disconnectedClients(all), "violations", fleet.violations().size());
    }

    /**
     * A chat server sends a handover naming a stream never opened on its connection (a bug or a
     * confused peer): the presenter drops it and counts it, and the connection and every client on
     * it carry on.
     */
    @Test
    void aHandoverForAnUnknownStreamIsDroppedAndCountedWithoutDisturbingAnyone() throws Exception {
        start(new PresenterCluster(), PresenterCluster.settings().withConnectionsPerLoop(2), HANDOVER,
                "chat-1", "chat-2", "chat-3");
        List<Couple> all = connectAndChat(720_000, COUPLES);
        Couple victim = all.get(0);
        String ownerId = owner(cluster.directory.ring(), victim);
        MuxStreamChannel stream = (MuxStreamChannel) cluster.chatServer(ownerId).service().sessionChannels(victim.id).get(0);
        int neverOpened = Integer.MAX_VALUE;  // odd, as the presenter's ids are, and far beyond any it opened
        stream.parent().writeAndFlush(MuxFrame.handover(new Handover(neverOpened, "chat-2",
                cluster.directory.ring().version(), 0, new HandoverTicket(ByteBuffer.wrap(new byte[16]),
                        ByteBuffer.wrap(new byte[32]))))).sync();
        Await.until(SETTLE, () -> muxHandovers("unknown_stream") == 1, () -> "the presenter did not count the frame");

        fleet.sendRound(all);
        fleet.awaitAllDelivered(all, SETTLE);
        assertThat(fleet.violations()).isEmpty();
        ChaosAssertions.untouched(all);
        assertThat(stream.parent().isActive()).as("the chat server's connection").isTrue();
        assertThat(cluster.counter(ClientMeters.HANDOVERS, "result", "completed")).as("nothing carried anywhere").isZero();
        ChaosReport.print("CoupleHandoverFaultTest.unknownStream", "clients", 2 * all.size(),
                "droppedHandovers", muxHandovers("unknown_stream"),
                "clientsClosed", ChaosAssertions.disconnectedClients(all), "violations", fleet.violations().size());
    }

    private double handoversSent() {
        return Stream.of("chat-1", "chat-2", "chat-3").mapToDouble(id -> {
            Counter counter = cluster.chatRegistry(id).find("chat.handovers").tag("result", "sent").counter();
            return counter == null ? 0 : counter.count();
        }).sum();
    }

    private double fallbacks() {
        return ChaosReport.byTag(cluster.registry, ClientMeters.HANDOVERS, "result").entrySet().stream()
                .filter(e -> e.getKey().startsWith("fallback_")).mapToDouble(Map.Entry::getValue).sum();
    }

    private double muxHandovers(String direction) {
        Counter counter = cluster.registry.find("mux.handovers").tag("direction", direction).counter();
        return counter == null ? 0 : counter.count();
    }
}
