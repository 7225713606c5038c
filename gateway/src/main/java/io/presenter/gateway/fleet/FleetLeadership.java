package io.presenter.gateway.fleet;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.Closeable;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.recipes.leader.Participant;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which presenter leads the fleet: a Curator {@link LeaderLatch} at
 * {@code <base-path>/fleet/leader}, every presenter a participant under its presenter id. The
 * leader writes the fleet's Route53 records (and owns whatever else needs one writer, such as a
 * ticket-key schedule: pass {@link #asSupplier()} where a {@code BooleanSupplier} is wanted).
 *
 * <p>Leadership follows the ZooKeeper session: the latch gives it up when the connection is
 * SUSPENDED or LOST, and a leader whose session expired is replaced within the session timeout.
 * {@link #isLeader()} is the latch's local view (no round trip); {@link #confirm()} also asks
 * ZooKeeper who holds the lowest latch node, for the check right before a write, so a leader
 * paused past its session (GC, a stopped VM) does not write on a stale belief.
 */
public final class FleetLeadership implements Closeable {

    public static final String LEADER_GAUGE = "presenter.fleet.leader";

    private static final Logger log = LoggerFactory.getLogger(FleetLeadership.class);

    private final LeaderLatch latch;
    private final CuratorFramework client;
    private final String latchPath;
    private final String presenterId;
    private final List<LeaderLatchListener> listeners = new CopyOnWriteArrayList<>();
    private final Gauge gauge;
    private final MeterRegistry registry;

    public FleetLeadership(CuratorFramework client, String basePath, String presenterId, MeterRegistry registry) {
        this.presenterId = presenterId;
        this.client = client;
        this.registry = registry;
        this.latchPath = FleetPaths.leader(basePath);
        this.latch = new LeaderLatch(client, latchPath, presenterId, LeaderLatch.CloseMode.SILENT);
        latch.addListener(new LeaderLatchListener() {
            @Override
            public void isLeader() {
                log.info("{} leads the presenter fleet", presenterId);
                listeners.forEach(LeaderLatchListener::isLeader);
            }

            @Override
            public void notLeader() {
                log.info("{} no longer leads the presenter fleet", presenterId);
                listeners.forEach(LeaderLatchListener::notLeader);
            }
        });
        gauge = Gauge.builder(LEADER_GAUGE, this, l -> l.isLeader() ? 1 : 0)
                .description("1 while this presenter leads the fleet (writes Route53), else 0")
                .register(registry);
    }

    public void start() throws Exception {
        latch.start();
    }

    /** This presenter's id, its participant id in the latch. */
    public String presenterId() {
        return presenterId;
    }

    /** Whether this presenter leads, as far as it knows now; never blocks. */
    public boolean isLeader() {
        return latch.hasLeadership();
    }

    /** {@link #isLeader()} as the seam other schedules take. */
    public BooleanSupplier asSupplier() {
        return this::isLeader;
    }

    /**
     * The leader's presenter id as ZooKeeper holds it now (one round trip), or empty when there is
     * none or ZooKeeper cannot be asked.
     */
    public Optional<String> leaderId() {
        if (!client.getZookeeperClient().isConnected()) {
            return Optional.empty();  // asking would wait out Curator's retries
        }
        try {
            Participant leader = latch.getLeader();
            return leader.isLeader() && !leader.getId().isEmpty() ? Optional.of(leader.getId()) : Optional.empty();
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    /**
     * Asks ZooKeeper in the background whether any presenter takes part in the latch (then one of
     * them leads) and runs {@code seen} if so. Never blocks: a draining presenter uses it to time
     * how long the fleet has been without a leader even while ZooKeeper is unreachable, when a
     * synchronous question would wait out Curator's retries.
     */
    public void whenLeaderSeen(Runnable seen) {
        if (!client.getZookeeperClient().isConnected()) {
            return;
        }
        try {
            client.getChildren().inBackground((c, event) -> {
                if (event.getResultCode() == KeeperException.Code.OK.intValue() && event.getChildren() != null
                        && !event.getChildren().isEmpty()) {
                    seen.run();
                }
            }).forPath(latchPath);
        } catch (Exception e) {
            log.debug("leader latch not read: {}", e.toString());
        }
    }

    /** Leads locally and ZooKeeper agrees right now: the check before every write. */
    public boolean confirm() {
        return isLeader() && leaderId().filter(presenterId::equals).isPresent();
    }

    /** Called on Curator's event thread when this presenter gains or loses the lead; must not block. */
    public void addListener(LeaderLatchListener listener) {
        listeners.add(listener);
    }

    @Override
    public void close() throws IOException {
        registry.remove(gauge);
        if (latch.getState() == LeaderLatch.State.STARTED) {
            latch.close();
        }
    }
}
