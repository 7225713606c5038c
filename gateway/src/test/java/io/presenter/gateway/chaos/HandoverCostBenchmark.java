package io.presenter.gateway.chaos;

import static io.presenter.gateway.chaos.CoupleHandoverTest.HANDOVER;
import static io.presenter.gateway.chaos.CoupleHandoverTest.MOVE_SPREAD;
import static io.presenter.gateway.chaos.CoupleHandoverTest.owner;
import static org.assertj.core.api.Assertions.assertThat;

import io.presenter.chat.server.ChatServerConfig;
import io.presenter.gateway.PresenterCluster;
import io.presenter.gateway.chaos.ChatFleet.Couple;
import io.presenter.gateway.client.ClientMeters;
import io.presenter.gateway.tls.TlsMeters;
import io.presenter.ring.RingSnapshot;
import io.presenter.testing.Await;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * What a move costs the servers (presenter + every chat server, all in this JVM; the clients' event
 * loops left out): a chat server joins under idle clients (after a first join as a JIT warm-up), and
 * the CPU time of every other thread from the moment it is up until every moved couple is served by
 * it is divided by the moved clients, for a handover, for a reconnect whose TLS handshake resumes a session, and for one with
 * a full handshake. Also prints that time ("served again"). Not a test of correctness (the chaos
 * tests are): it checks only that each run ended with every couple online on its owner. Not run by
 * {@code mvn verify} (its name does not match the test pattern); command in BENCHMARKS.md.
 */
class HandoverCostBenchmark extends ChaosTestBase {

    static final int COUPLES = Integer.getInteger("bench.couples", 500);
    static final Duration BACK = Duration.ofMinutes(3);
    static final UnaryOperator<ChatServerConfig> RESET = config -> config.withMoveSpread(MOVE_SPREAD);

    @Test
    void handover() throws Exception {
        run("handover", HANDOVER, true);
    }

    @Test
    void reconnectWithResumedTls() throws Exception {
        run("reconnect-resumed-tls", RESET, true);
    }

    @Test
    void reconnectWithFullTls() throws Exception {
        run("reconnect-full-tls", RESET, false);
    }

    private void run(String mode, UnaryOperator<ChatServerConfig> chat, boolean resumeTls) throws Exception {
        start(new PresenterCluster(), PresenterCluster.settings().withConnectionsPerLoop(2), chat,
                "chat-1", "chat-2", "chat-3");
        fleet.resumeTls(resumeTls);
        List<Couple> all = connectAndChat(900_000, COUPLES);
        join("chat-4", 4, chat, all);  // warm-up: the JIT compiles the move's paths before the measured one
        Map<String, Double> handshakesBefore = ChaosReport.byTag(cluster.registry, TlsMeters.HANDSHAKES, "result");
        Map<String, Double> handoversBefore = ChaosReport.byTag(cluster.registry, ClientMeters.HANDOVERS, "result");
        Move move = join("chat-5", 5, chat, all);

        assertThat(fleet.violations()).isEmpty();
        Map<String, Double> handshakes = ChaosReport.byTag(cluster.registry, TlsMeters.HANDSHAKES, "result");
        handshakesBefore.forEach((result, count) -> handshakes.merge(result, -count, Double::sum));
        Map<String, Double> handovers = ChaosReport.byTag(cluster.registry, ClientMeters.HANDOVERS, "result");
        handoversBefore.forEach((result, count) -> handovers.merge(result, -count, Double::sum));
        ChaosReport.print("HandoverCostBenchmark." + mode, "clients", 2 * all.size(), "movedClients", move.clients,
                "serverCpuMs", TimeUnit.NANOSECONDS.toMillis(move.cpuNanos),
                "cpuPerMovedClientMicros", TimeUnit.NANOSECONDS.toMicros(move.cpuNanos) / move.clients,
                "servedAgainMs", move.servedAgainMillis, "tlsHandshakesDuringMove", handshakes,
                "presenterHandovers", handovers, "clientsClosedEver", ChaosAssertions.disconnectedClients(all));
    }

    private record Move(int clients, long cpuNanos, long servedAgainMillis) {}

    /**
     * Starts chat server {@code id} and waits until every couple the ring moves to it is online and
     * served there. CPU counts from the moment it is up (its own start-up left out) to then; the
     * served-again time from its start.
     */
    private Move join(String id, int members, UnaryOperator<ChatServerConfig> chat, List<Couple> all) throws Exception {
        RingSnapshot before = cluster.directory.ring();
        long joined = System.nanoTime();
        cluster.startChatServer(id, chat);
        long cpuBefore = serverCpuNanos();
        RingSnapshot after = cluster.converged(members);
        List<Couple> moved = all.stream().filter(c -> !owner(before, c).equals(owner(after, c))).toList();
        assertThat(moved).allMatch(c -> owner(after, c).equals(id));
        Await.until(BACK, () -> moved.stream().allMatch(c -> c.online()
                && cluster.chatServer(id).service().sessionChannels(c.id).size() == 2),
                () -> "moved couples not served by " + id + " yet");
        long servedAgainMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - joined);
        long cpu = serverCpuNanos() - cpuBefore;
        ChaosAssertions.onOwner(cluster, all, after);
        return new Move(2 * moved.size(), cpu, servedAgainMillis);
    }

    /**
     * CPU time of every live thread but the client fleet's and the JIT compiler's (so: the presenter,
     * the chat servers, ZooKeeper, this test). Native GC threads are not Java threads and not counted.
     */
    private static long serverCpuNanos() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long total = 0;
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            // The clients' loops are not the servers'; the JIT's compiler threads are warm-up, not the move.
            if (info != null && !info.getThreadName().startsWith(ChatFleet.THREAD_PREFIX)
                    && !info.getThreadName().contains("CompilerThread")) {
                long cpu = threads.getThreadCpuTime(info.getThreadId());
                total += Math.max(cpu, 0);
            }
        }
        return total;
    }
}
