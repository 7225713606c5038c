package io.presenter.gateway.fleet;

import org.apache.curator.utils.ZKPaths;

/**
 * The fleet's nodes under {@code zookeeper.base-path}, beside the ring's {@code members}:
 * {@code presenters/<id>} (ephemeral, one per presenter), {@code fleet/leader} (the leader
 * latch) and {@code fleet/weights} (the weights the leader last applied).
 */
final class FleetPaths {

    private FleetPaths() {
    }

    static String presenters(String basePath) {
        return ZKPaths.makePath(basePath, "presenters");
    }

    static String presenter(String basePath, String presenterId) {
        return ZKPaths.makePath(basePath, "presenters", presenterId);
    }

    static String leader(String basePath) {
        return ZKPaths.makePath(basePath, "fleet", "leader");
    }

    static String appliedWeights(String basePath) {
        return ZKPaths.makePath(basePath, "fleet", "weights");
    }
}
