package io.presenter.ring;

import static java.util.Objects.requireNonNull;

import org.apache.curator.framework.api.ACLProvider;
import org.apache.curator.framework.imps.DefaultACLProvider;
import org.apache.zookeeper.data.Id;

/**
 * Which ZooKeeper identities the fleet's nodes belong to: the presenters' and the chat servers'
 * digest ids ({@code user:base64(sha1(user:password))}, what
 * {@code DigestAuthenticationProvider.generateDigest} prints). Every process of a fleet must be
 * given the same two ids: a node's ACL is set by whichever process creates it.
 *
 * <p>{@link #OPEN} (the default, and the embedded demo's) sets no ACL: every node is open to
 * anyone, as before ACLs existed. {@link #aclProvider} turns a fleet ACL into Curator's
 * {@link ACLProvider}; {@link FleetAclProvider} lists which node gets what.
 *
 * @param presenterId digest id of the presenters, e.g. {@code presenter:Nq1tPc0gWWL0...=}
 * @param chatServerId digest id of the chat servers
 */
public record FleetAcl(String presenterId, String chatServerId) {

    /** No ACLs: nodes are created open to anyone (ZooKeeper's {@code world:anyone} with every permission). */
    public static final FleetAcl OPEN = new FleetAcl("", "");

    public FleetAcl {
        requireNonNull(presenterId, "presenterId");
        requireNonNull(chatServerId, "chatServerId");
        if (presenterId.isEmpty() != chatServerId.isEmpty()) {
            throw new IllegalArgumentException("ZooKeeper ACLs need both the presenter and the chat-server digest id");
        }
        if (!presenterId.isEmpty()) {
            checkDigestId("presenter", presenterId);
            checkDigestId("chat-server", chatServerId);
            if (presenterId.equals(chatServerId)) {
                throw new IllegalArgumentException("presenters and chat servers must have different ZooKeeper identities");
            }
        }
    }

    public boolean enabled() {
        return !presenterId.isEmpty();
    }

    /** The digest id of {@code role}. */
    public String idOf(FleetRole role) {
        return role == FleetRole.PRESENTER ? presenterId : chatServerId;
    }

    Id presenter() {
        return new Id("digest", presenterId);
    }

    Id chatServer() {
        return new Id("digest", chatServerId);
    }

    /**
     * Curator's ACL provider for a client whose namespace (chroot) is {@code namespace} (null for
     * none), with the fleet's nodes under {@code basePath}.
     */
    public ACLProvider aclProvider(String namespace, String basePath) {
        return enabled() ? new FleetAclProvider(this, namespace, basePath) : new DefaultACLProvider();
    }

    private static void checkDigestId(String role, String id) {
        int colon = id.indexOf(':');
        if (colon <= 0 || colon == id.length() - 1 || id.indexOf(':', colon + 1) >= 0) {
            throw new IllegalArgumentException("the " + role + " ZooKeeper id must be 'user:digest'"
                    + " (DigestAuthenticationProvider.generateDigest's output after '->'), not a password");
        }
    }
}
