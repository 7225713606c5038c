package io.presenter.ring;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs one line and counts {@value #TRANSITIONS} (tagged {@code state}) per connection state
 * change of a Curator client. {@link ZooKeeperClients#start} adds one to every client it makes.
 *
 * <p>What each state means for the ring, after Curator's "Error handling" tech note: SUSPENDED is
 * a lost connection whose session may still be alive, so nothing is given up; LOST means the
 * session is presumed expired, so a chat server's ephemeral member node is gone until Curator
 * re-creates it; in both the presenter routes on the last ring it saw.
 */
public final class ZooKeeperConnectionMonitor implements ConnectionStateListener {

    static final String TRANSITIONS = "presenter.zookeeper.connection.transitions";

    private static final Logger logger = LoggerFactory.getLogger(ZooKeeperConnectionMonitor.class);

    private final Map<ConnectionState, Counter> transitions = new EnumMap<>(ConnectionState.class);

    public ZooKeeperConnectionMonitor(MeterRegistry registry) {
        for (ConnectionState state : ConnectionState.values()) {
            transitions.put(state, Counter.builder(TRANSITIONS)
                    .description("ZooKeeper connection state changes, by the state entered")
                    .tag("state", state.name().toLowerCase(Locale.ROOT))
                    .register(registry));
        }
    }

    @Override
    public void stateChanged(CuratorFramework client, ConnectionState newState) {
        transitions.get(newState).increment();
        String servers = client.getZookeeperClient().getCurrentConnectionString();
        switch (newState) {
            case CONNECTED -> logger.info("ZooKeeper connected ({})", servers);
            case RECONNECTED -> logger.info("ZooKeeper reconnected ({}); refreshing the ring", servers);
            case READ_ONLY -> logger.warn("ZooKeeper connected read-only ({}); the ring cannot change",
                    servers);
            case SUSPENDED -> logger.warn("ZooKeeper connection suspended ({}); the session may "
                    + "survive, routing continues on the last ring", servers);
            case LOST -> logger.warn("ZooKeeper session lost ({}); its ephemeral nodes (a chat server's "
                    + "member node) are gone until Curator re-creates them, routing continues on the last ring",
                    servers);
        }
    }
}
