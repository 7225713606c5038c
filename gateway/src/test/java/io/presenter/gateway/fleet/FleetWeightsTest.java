package io.presenter.gateway.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import io.presenter.gateway.PresenterCluster;
import io.presenter.gateway.drain.DrainPhase;
import io.presenter.gateway.tls.ServerTls;
import io.presenter.gateway.tls.TlsSettings;
import io.presenter.gateway.weight.MotoServerExtension;
import io.presenter.gateway.weight.TestZone;
import io.presenter.gateway.weight.WeightSettings;
import io.presenter.ring.MemberRegistration;
import io.presenter.ring.RingMember;
import io.presenter.testing.Await;
import io.presenter.testing.TestChatClient;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.route53.model.RRType;

/**
 * The fleet's control plane end to end: presenters (real servers, each with its own ZooKeeper
 * session) on a real 3-node ensemble, two chat servers, the weights written by the elected leader
 * into moto's Route53. One ensemble, one pair of chat servers and one moto for the class; each test
 * has its own fleet base path and hosted zone.
 *
 * <p>Timings are short so the class runs in about a minute: weight interval 300 ms, ZooKeeper
 * session timeout 3 s (the ensemble's tick is 500 ms), record TTL 1 s, grace 3 s. The bounds the
 * tests wait for are session timeout + one tick (ZooKeeper expires sessions on tick boundaries)
 * + one interval, plus a margin for a loaded machine; each test prints what it measured and that
 * bound on its {@code FLEET} line.
 */
class FleetWeightsTest {

    @RegisterExtension
    static final MotoServerExtension moto = new MotoServerExtension();

    static final Duration SESSION_TIMEOUT = Duration.ofSeconds(3);
    static final Duration INTERVAL = Duration.ofMillis(300);
    /** The ensemble's tickTime: ZooKeeper expires sessions on tick boundaries, so up to one tick late. */
    static final Duration TICK = Duration.ofMillis(500);
    static final Duration TTL = Duration.ofSeconds(1);
    static final Duration GRACE = Duration.ofSeconds(3);
    /** Shorter than the session timeout, so a cut-off drainer writes its zero before the leader could. */
    static final Duration LEADERLESS = Duration.ofSeconds(1);
    /** What a loaded two-core machine may add to any bound (GC, scheduling, moto's Python). */
    static final Duration MARGIN = Duration.ofSeconds(10);
    static final Duration WAIT = Duration.ofSeconds(30);

    private static TestingCluster ensemble;
    private static PresenterCluster cluster;
    private static ServerTls tls;
    private static final AtomicInteger tests = new AtomicInteger();

    private final List<FleetPresenter> presenters = new ArrayList<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private String fleetBase;
    private TestZone zone;

    @BeforeAll
    static void startEnsembleAndChatServers() throws Exception {
        List<InstanceSpec> specs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            // A 500 ms tick allows session timeouts from 1 s: the tests can wait for expiries.
            specs.add(new InstanceSpec(null, -1, -1, -1, true, -1, (int) TICK.toMillis(), -1));
        }
        ensemble = new TestingCluster(specs);
        ensemble.start();
        cluster = new PresenterCluster(ensemble.getConnectString());
        cluster.startChatServer("chat-1");
        cluster.startChatServer("chat-2");
        cluster.converged(2);
        tls = cluster.newServerTls(TlsSettings.DEFAULT_HANDSHAKE_TIMEOUT);
    }

    @AfterAll
    static void stopEnsemble() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
        if (ensemble != null) {
            ensemble.close();
        }
    }

    @BeforeEach
    void zone() {
        fleetBase = "/fleet-" + tests.incrementAndGet();
        zone = moto.zone();
    }

    @AfterEach
    void stopPresenters() throws Exception {
        for (FleetPresenter presenter : presenters) {
            presenter.close();
        }
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private WeightSettings weights(String address) {
        return WeightSettings.defaults()
                .enabledFor(zone.id, TestZone.RECORD_NAME, List.of(address))
                .withEndpoint(moto.endpoint())
                .withTtl(TTL)
                .withSchedule(INTERVAL, Duration.ofMinutes(5), 0.2)
                .withPolicy(WeightSettings.DEFAULT_THRESHOLD, WeightSettings.DEFAULT_MAX, 0.8, 1.0);
    }

    private FleetSettings fleetSettings() {
        return FleetSettings.defaults().withRecordGrace(GRACE).withLeaderlessDrainAfter(LEADERLESS)
                .checkedAgainst(TTL);
    }

    private InetSocketAddress zooKeeperServer(int index) {
        InstanceSpec spec = ensemble.getInstances().stream().sorted(
                java.util.Comparator.comparingInt(InstanceSpec::getServerId)).toList().get(index % 3);
        return new InetSocketAddress("127.0.0.1", spec.getPort());
    }

    private FleetPresenter start(String id, String ringBase) throws Exception {
        int n = presenters.size() + 1;
        FleetPresenter presenter = new FleetPresenter(cluster, tls, zooKeeperServer(n), SESSION_TIMEOUT, id, ringBase,
                fleetBase, fleetSettings(), weights("192.0.2." + n), moto.client());
        presenters.add(presenter);
        assertThat(presenter.fleet.awaitRegistered(WAIT)).as("%s registered", id).isTrue();
        return presenter;
    }

    private List<FleetPresenter> startThree() throws Exception {
        List<FleetPresenter> three = List.of(start("p1", "/presenter"), start("p2", "/presenter"),
                start("p3", "/presenter"));
        Await.until(WAIT, () -> three.stream().allMatch(p -> weight(p) == WeightSettings.DEFAULT_MAX),
                () -> "every presenter at the maximum weight: " + weights());
        return three;
    }

    private long weight(FleetPresenter presenter) {
        return zone.weight(RRType.A, presenter.id);
    }

    private Map<String, Long> weights() {
        Map<String, Long> weights = new LinkedHashMap<>();
        for (FleetPresenter p : presenters) {
            weights.put(p.id, weight(p));
        }
        return weights;
    }

    private FleetPresenter leader() {
        Await.until(WAIT, () -> presenters.stream().anyMatch(p -> !p.killedForTest() && p.fleet.leadership().isLeader()),
                () -> "no leader among " + presenters.size());
        return presenters.stream().filter(p -> !p.killedForTest() && p.fleet.leadership().isLeader()).findFirst()
                .orElseThrow();
    }

    private static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    @Test
    void aLoadedPresenterLosesWeightWhileTheOthersStayAtTheMaximum() throws Exception {
        List<FleetPresenter> three = startThree();
        FleetPresenter loaded = three.get(1);
        for (int user = 0; user < FleetPresenter.CAPACITY / 2; user++) {
            TestChatClient client = cluster.authenticated(loaded.server, 7_000 + user, 7_000 + user / 2);
            closeables.add(client);
        }
        // 5 of 10 connections: load 0.5, weight 100 (no smoothing in this test).
        Await.until(WAIT, () -> weight(loaded) == 100, () -> "loaded presenter's weight: " + weights());
        for (FleetPresenter other : List.of(three.get(0), three.get(2))) {
            assertThat(weight(other)).as("%s untouched", other.id).isEqualTo(WeightSettings.DEFAULT_MAX);
        }
        assertThat(loaded.fleet.node().state()).isEqualTo(PresenterState.READY);
        assertThat(loaded.fleet.node().connections()).isEqualTo(5);
        System.out.println("FLEET FleetWeightsTest.aLoadedPresenterLosesWeightWhileTheOthersStayAtTheMaximum weights="
                + weights() + " leader=" + leader().id);
    }

    @Test
    void aKilledPresenterIsZeroedWithinTheSessionTimeoutAndDeletedAfterTheGracePeriod() throws Exception {
        startThree();
        FleetPresenter leader = leader();
        FleetPresenter victim = presenters.stream().filter(p -> p != leader).findFirst().orElseThrow();
        long killed = System.nanoTime();
        victim.kill();

        Duration bound = SESSION_TIMEOUT.plus(TICK).plus(INTERVAL).plus(MARGIN);
        Await.until(bound, () -> weight(victim) == 0, () -> "killed presenter's record: " + weights());
        long zeroedMillis = millisSince(killed);
        Await.until(GRACE.plus(INTERVAL).plus(MARGIN), () -> weight(victim) == -1,
                () -> "killed presenter's record still there: " + weights());
        long deletedMillis = millisSince(killed);

        assertThat(deletedMillis).as("deleted no sooner than the grace period after the kill")
                .isGreaterThanOrEqualTo(GRACE.toMillis());
        presenters.stream().filter(p -> p != victim).forEach(p -> assertThat(weight(p)).as(p.id)
                .isEqualTo(WeightSettings.DEFAULT_MAX));
        System.out.println("FLEET FleetWeightsTest.aKilledPresenterIsZeroedWithinTheSessionTimeoutAndDeletedAfter"
                + "TheGracePeriod sessionTimeoutMs=" + SESSION_TIMEOUT.toMillis() + " intervalMs=" + INTERVAL.toMillis()
                + " boundMs=" + SESSION_TIMEOUT.plus(TICK).plus(INTERVAL).toMillis() + " graceMs=" + GRACE.toMillis()
                + " zeroAfterMs=" + zeroedMillis + " deletedAfterMs=" + deletedMillis
                + " weights=" + weights());
    }

    @Test
    void killingTheLeaderHandsTheWritesToAnotherPresenter() throws Exception {
        startThree();
        FleetPresenter old = leader();
        long killed = System.nanoTime();
        old.kill();

        // The new leader's first write: the old leader's own record, zeroed.
        Duration bound = SESSION_TIMEOUT.plus(TICK).plus(INTERVAL).plus(MARGIN);
        Await.until(bound, () -> weight(old) == 0, () -> "old leader's record: " + weights());
        long publishedMillis = millisSince(killed);
        FleetPresenter next = leader();
        assertThat(next).isNotSameAs(old);
        assertThat(next.fleet.leadership().leaderId()).contains(next.id);

        // And it goes on following the load.
        FleetPresenter survivor = next;
        for (int user = 0; user < 3; user++) {
            closeables.add(cluster.authenticated(survivor.server, 8_000 + user, 8_000 + user));
        }
        Await.until(WAIT, () -> weight(survivor) == 140, () -> "new leader's own weight: " + weights());
        System.out.println("FLEET FleetWeightsTest.killingTheLeaderHandsTheWritesToAnotherPresenter oldLeader=" + old.id
                + " newLeader=" + next.id + " publishedAfterMs=" + publishedMillis + " boundMs=" + SESSION_TIMEOUT
                .plus(TICK).plus(INTERVAL).toMillis() + " weights=" + weights());
    }

    @Test
    void aPresenterThatReachesNoChatServerNeverGetsAWeightAboveZero() throws Exception {
        // p3 routes on a ring whose only chat server does not answer.
        int deadPort;
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            deadPort = socket.getLocalPort();
        }
        CuratorFramework registrar = CuratorFrameworkFactory.newClient(ensemble.getConnectString(),
                new RetryNTimes(3, 100));
        registrar.start();
        closeables.add(registrar);
        MemberRegistration ghost = new MemberRegistration(registrar, fleetBase + "-ring",
                RingMember.active("ghost", "127.0.0.1", deadPort, deadPort));
        ghost.start();
        closeables.add(ghost);
        assertThat(ghost.awaitRegistered(WAIT)).isTrue();

        FleetPresenter p1 = start("p1", "/presenter");
        FleetPresenter p2 = start("p2", "/presenter");
        FleetPresenter cutOff = start("p3", fleetBase + "-ring");
        Await.until(WAIT, () -> weight(p1) == 200 && weight(p2) == 200 && weight(cutOff) == 0,
                () -> "weights: " + weights());

        // Watch for a while: many leader steps, its record stays at 0 throughout.
        long watchEnd = System.nanoTime() + INTERVAL.multipliedBy(10).toNanos();
        int looks = 0;
        long highest = 0;
        while (System.nanoTime() - watchEnd < 0) {
            highest = Math.max(highest, weight(cutOff));
            looks++;
        }
        assertThat(highest).as("highest weight of the cut-off presenter over %d looks", looks).isZero();

        // /ready and the node say the same thing, for the cut-off presenter and for a good one.
        assertThat(cutOff.fleet.node().state()).isEqualTo(PresenterState.STARTING);
        assertThat(readyStatus(cutOff)).isEqualTo(503);
        assertThat(cutOff.readiness.notReadyReason()).isEqualTo("no chat server reachable");
        assertThat(nodeState(cutOff)).isEqualTo(PresenterState.STARTING);
        assertThat(readyStatus(p1)).isEqualTo(200);
        assertThat(nodeState(p1)).isEqualTo(PresenterState.READY);
        System.out.println("FLEET FleetWeightsTest.aPresenterThatReachesNoChatServerNeverGetsAWeightAboveZero looks="
                + looks + " highest=" + highest + " cutOffReady=" + readyStatus(cutOff) + "/" + nodeState(cutOff)
                + " goodReady=" + readyStatus(p1) + "/" + nodeState(p1));
    }

    @Test
    void aDrainWaitsForTheLeadersZeroBeforeWaitingForClients() throws Exception {
        startThree();
        FleetPresenter leader = leader();
        FleetPresenter leaving = presenters.stream().filter(p -> p != leader).findFirst().orElseThrow();
        long started = System.nanoTime();
        leaving.drain.start();
        Await.until(WAIT, () -> leaving.drain.status().phase() != DrainPhase.ZEROING_WEIGHT,
                () -> "drain phase " + leaving.drain.status());
        long confirmedMillis = millisSince(started);
        // The promise: weight 0 is in Route53 before the drain waits for clients to go.
        assertThat(weight(leaving)).isZero();
        assertThat(nodeState(leaving)).isEqualTo(PresenterState.DRAINING);
        assertThat(readyStatus(leaving)).isEqualTo(503);
        assertThat(leaving.registry.get(FleetLoop.WEIGHT_GAUGE).gauge().value()).isZero();
        presenters.stream().filter(p -> p != leaving).forEach(p -> assertThat(weight(p)).isEqualTo(200));
        System.out.println("FLEET FleetWeightsTest.aDrainWaitsForTheLeadersZeroBeforeWaitingForClients confirmedAfterMs="
                + confirmedMillis + " weights=" + weights());
    }

    @Test
    void aDrainingPresenterThatSeesNoLeaderWritesItsOwnZero() throws Exception {
        startThree();
        FleetPresenter leader = leader();
        FleetPresenter leaving = presenters.stream().filter(p -> p != leader).findFirst().orElseThrow();
        leaving.link.cut();  // cut off from ZooKeeper: no leader to be seen, no node to update
        long started = System.nanoTime();
        leaving.drain.start();
        Await.until(WAIT, () -> leaving.drain.status().phase() != DrainPhase.ZEROING_WEIGHT,
                () -> "drain phase " + leaving.drain.status());
        long zeroedMillis = millisSince(started);
        assertThat(weight(leaving)).isZero();
        // Its own write: a presenter that does not lead never calls Route53 otherwise.
        assertThat(leaving.registry.get("presenter.weight.publishes").tag("result", "ok").counter().count())
                .isEqualTo(1);
        assertThat(leaving.fleet.leadership().isLeader()).isFalse();
        assertThat(zeroedMillis).as("not before fleet.leaderless-drain-after").isGreaterThanOrEqualTo(
                LEADERLESS.toMillis());
        System.out.println("FLEET FleetWeightsTest.aDrainingPresenterThatSeesNoLeaderWritesItsOwnZero leaderlessAfterMs="
                + LEADERLESS.toMillis() + " zeroedAfterMs=" + zeroedMillis + " weights=" + weights());
    }

    private PresenterState nodeState(FleetPresenter presenter) throws Exception {
        byte[] data = cluster.curator().getData().forPath(FleetPaths.presenter(fleetBase, presenter.id));
        return PresenterNode.decode(data).state();
    }

    private static int readyStatus(FleetPresenter presenter) throws IOException {
        InetSocketAddress address = presenter.admin.address();
        HttpURLConnection connection = (HttpURLConnection) URI.create("http://127.0.0.1:" + address.getPort()
                + "/ready").toURL().openConnection();
        try {
            return connection.getResponseCode();
        } finally {
            connection.disconnect();
        }
    }
}
