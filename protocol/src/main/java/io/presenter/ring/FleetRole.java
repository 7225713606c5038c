package io.presenter.ring;

/** The two kinds of fleet process, each with its own ZooKeeper identity and the nodes it may write. */
public enum FleetRole {
    /** Writes {@code <basePath>/presenters} and {@code <basePath>/fleet} (leader, ticket keys). */
    PRESENTER("presenters"),
    /** Writes {@code <basePath>/members}: the ring. */
    CHAT_SERVER("members");

    private final String ownNode;

    FleetRole(String ownNode) {
        this.ownNode = ownNode;
    }

    /** The child of the base path that only this role may write, and whose write proves the identity. */
    String ownNode() {
        return ownNode;
    }
}
