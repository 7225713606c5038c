package io.presenter.gateway.fleet;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.presenter.gateway.GatewaySettings;
import io.presenter.gateway.PresenterCluster;
import io.presenter.gateway.PresenterServer;
import io.presenter.gateway.admin.AdminServer;
import io.presenter.gateway.drain.DrainController;
import io.presenter.gateway.drain.DrainSettings;
import io.presenter.gateway.tls.ServerTls;
import io.presenter.gateway.weight.LoadSample;
import io.presenter.gateway.weight.WeightSettings;
import io.presenter.ring.ZooKeeperShardDirectory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import software.amazon.awssdk.services.route53.Route53Client;

/**
 * One whole presenter of a fleet test, as the daemon wires it: its own ZooKeeper session (through a
 * {@link CuttableLink}, so the test can kill it), its ring directory, a real {@link PresenterServer},
 * the {@link PresenterReadiness} that both its admin {@code /ready} and its fleet node read, its
 * {@link FleetLoop} and its {@link DrainController}. Its load is its real client connections over a
 * small capacity (CPU counted as 0, so the shared test JVM's CPU does not move the weights).
 */
final class FleetPresenter implements AutoCloseable {

    static final int CAPACITY = 10;

    final String id;
    final CuttableLink link;
    final CuratorFramework curator;
    final ZooKeeperShardDirectory directory;
    final PresenterServer server;
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    final PresenterReadiness readiness;
    final FleetLoop fleet;
    final DrainController drain;
    final AdminServer admin;
    private final ScheduledExecutorService drainThread = Executors.newSingleThreadScheduledExecutor();
    private volatile boolean draining;
    private boolean killed;

    /**
     * @param ringBasePath where its ring's members are (the chat servers', or a ring of unreachable ones)
     * @param fleetBasePath where its fleet node and the leader latch are
     */
    FleetPresenter(PresenterCluster cluster, ServerTls tls, InetSocketAddress zooKeeperServer, Duration sessionTimeout, String id,
            String ringBasePath, String fleetBasePath, FleetSettings fleetSettings, WeightSettings weights,
            Route53Client route53) throws Exception {
        this.id = id;
        link = new CuttableLink(zooKeeperServer);
        curator = CuratorFrameworkFactory.builder().connectString(link.connectString())
                .sessionTimeoutMs((int) sessionTimeout.toMillis())
                // Short: closing a presenter whose link was cut waits this long per try, not the session timeout.
                .connectionTimeoutMs(1000)
                .retryPolicy(new RetryNTimes(2, 100))
                // Otherwise Curator learns the ensemble's own addresses and reconnects around the link.
                .ensembleTracker(false)
                .build();
        curator.start();
        directory = new ZooKeeperShardDirectory(curator, ringBasePath, registry);
        directory.start();
        server = PresenterServer.start(GatewaySettings.builder(id)
                .listenAddress(new InetSocketAddress("127.0.0.1", 0))
                .eventLoops(PresenterCluster.EVENT_LOOPS)
                .maxConnectionsPerAddress(0)
                .build(), tls, directory, cluster.verifier(), registry);
        readiness = new PresenterReadiness(server::listening,
                () -> directory.firstRing().toCompletableFuture().isDone(), directory, server.backends(),
                () -> draining, fleetSettings.readyReachableFraction());
        fleet = FleetLoop.start(fleetSettings, weights, id, curator, fleetBasePath, readiness,
                () -> new LoadSample(server.connections().active(), CAPACITY, 0, 0), route53, registry);
        drain = new DrainController(new DrainSettings(Duration.ofSeconds(30), Duration.ofMinutes(5), 100),
                server.connections(), () -> {
                    draining = true;
                    return fleet.drain();
                }, drainThread, System::nanoTime, registry);
        admin = AdminServer.start(new InetSocketAddress("127.0.0.1", 0), registry, readiness::notReadyReason, drain,
                null);
    }

    /**
     * {@code kill -9}, as ZooKeeper and clients see it: the ZooKeeper link is cut (its session
     * expires on the ensemble after the timeout; nothing of it comes back) and every socket of the
     * presenter is dropped. What is left of it in this JVM is a partitioned process that never
     * reaches ZooKeeper again.
     */
    void kill() {
        killed = true;
        link.cut();
        server.close();
        admin.close();
    }

    boolean killedForTest() {
        return killed;
    }

    @Override
    public void close() throws Exception {
        if (!killed) {
            admin.close();
        }
        fleet.close();
        if (!killed) {
            server.close();
        }
        directory.close();
        curator.close();
        link.close();
        drainThread.shutdownNow();
    }
}
