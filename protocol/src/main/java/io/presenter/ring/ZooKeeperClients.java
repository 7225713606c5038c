package io.presenter.ring;

import io.micrometer.core.instrument.MeterRegistry;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.BoundedExponentialBackoffRetry;

/** Makes the Curator clients presenters and chat servers share the ring through. */
public final class ZooKeeperClients {

    private ZooKeeperClients() {
    }

    /**
     * A started client for {@code config}, reporting its connection states through a
     * {@link ZooKeeperConnectionMonitor} on {@code registry}. It connects in the background: use
     * it at once, operations wait for the connection as the retry policy allows. Close it after
     * everything that uses it. With {@link ZooKeeperConfig#auth()} credentials it authenticates
     * (digest) on every connection, and the nodes it creates get the fleet's ACLs
     * ({@link FleetAcl}); see {@link FleetAccessCheck} for what a daemon checks before serving.
     */
    public static CuratorFramework start(ZooKeeperConfig config, MeterRegistry registry) {
        CuratorFrameworkFactory.Builder builder = CuratorFrameworkFactory.builder()
                .connectString(config.servers())
                .namespace(config.namespace())
                .sessionTimeoutMs(Math.toIntExact(config.sessionTimeout().toMillis()))
                .connectionTimeoutMs(Math.toIntExact(config.connectionTimeout().toMillis()))
                .retryPolicy(new BoundedExponentialBackoffRetry(
                        Math.toIntExact(config.retryBaseSleep().toMillis()),
                        Math.toIntExact(config.retryMaxSleep().toMillis()),
                        config.retryMaxAttempts()))
                .aclProvider(config.auth().acl().aclProvider(config.namespace(), config.basePath()));
        if (config.auth().hasCredentials()) {
            builder.authorization("digest", config.auth().credentials());
        }
        CuratorFramework client = builder.build();
        client.getConnectionStateListenable().addListener(new ZooKeeperConnectionMonitor(registry));
        client.start();
        return client;
    }
}
