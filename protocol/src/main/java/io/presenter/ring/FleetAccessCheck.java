package io.presenter.ring;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Set;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs.Perms;
import org.apache.zookeeper.data.ACL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a presenter or chat server checks at startup when fleet ACLs are on, before it serves:
 *
 * <ol>
 * <li>it has credentials, and they are the identity its role has in the fleet ACL (a wrong
 *     password yields another digest id, which ZooKeeper accepts and then refuses every write);</li>
 * <li>the base path, {@code members} and {@code presenters} exist (it creates them, persistent,
 *     with the fleet ACL: {@code members} must exist before a rogue client could create it open);</li>
 * <li>those three do not let anyone but the fleet write (a node created before ACLs were on keeps
 *     its open ACL until an operator sets it);</li>
 * <li>ZooKeeper accepts its write to its role's own node.</li>
 * </ol>
 *
 * Any failure is logged once with what to fix, counted in {@value #REFUSED} by reason, and thrown:
 * the daemons then exit non-zero.
 */
public final class FleetAccessCheck {

    /** Counter, tagged {@code reason}: startups refused because of ZooKeeper access. */
    public static final String REFUSED = "zookeeper.access.refused";

    private static final Logger log = LoggerFactory.getLogger(FleetAccessCheck.class);

    private FleetAccessCheck() {
    }

    /**
     * Checks that {@code client} (made by {@link ZooKeeperClients#start} from {@code config}) may
     * act as {@code role}; does nothing when {@code config}'s ACLs are off.
     */
    public static void verify(CuratorFramework client, ZooKeeperConfig config, FleetRole role, MeterRegistry registry)
            throws FleetAccessException, InterruptedException {
        try {
            check(client, config, role);
        } catch (FleetAccessException e) {
            Counter.builder(REFUSED).tag("reason", e.reason())
                    .description("startups refused because ZooKeeper would not accept this process's role")
                    .register(registry).increment();
            log.error("ZooKeeper access refused ({}): {}", e.reason(), e.getMessage());
            throw e;
        }
    }

    private static void check(CuratorFramework client, ZooKeeperConfig config, FleetRole role)
            throws FleetAccessException, InterruptedException {
        ZooKeeperAuth auth = config.auth();
        FleetAcl acl = auth.acl();
        if (!acl.enabled()) {
            return;
        }
        String roleName = role.name().toLowerCase().replace('_', '-');
        if (!auth.hasCredentials()) {
            throw new FleetAccessException("no_credentials", "ZooKeeper ACLs are on but this " + roleName
                    + " has no credentials: set the ZooKeeper digest credentials file");
        }
        String expected = acl.idOf(role);
        if (!auth.digestId().equals(expected)) {
            throw new FleetAccessException("wrong_identity", "this " + roleName + " authenticates to ZooKeeper as '"
                    + auth.digestId() + "' but the fleet ACL names the " + roleName + "s '" + expected
                    + "': wrong password or user in the credentials file, or a different ACL id in its config");
        }
        String base = config.basePath();
        List<String> owned = List.of(base, MemberPaths.members(base),
                ZKPaths.makePath(base, FleetRole.PRESENTER.ownNode()));
        try {
            for (String path : owned) {
                create(client, path, roleName);
            }
            for (String path : owned) {
                checkNotOpen(client, path, acl);
            }
            String own = ZKPaths.makePath(base, role.ownNode());
            client.setData().forPath(own, client.getData().forPath(own));
        } catch (KeeperException.NoAuthException e) {
            throw new FleetAccessException("no_auth", "ZooKeeper refused this " + roleName + "'s write to "
                    + e.getPath() + " (NoAuth) although it authenticates as " + expected
                    + ": the node's ACL does not name this identity; an operator must set it (deploy/zookeeper)");
        } catch (FleetAccessException | InterruptedException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("cannot check ZooKeeper access under " + base, e);
        }
    }

    private static String redacted(String digestId) {
        return digestId.substring(0, digestId.indexOf(':')) + ":x";
    }

    private static void create(CuratorFramework client, String path, String roleName) throws Exception {
        try {
            client.create().creatingParentsIfNeeded().withMode(CreateMode.PERSISTENT).forPath(path);
            log.info("{} created {} with the fleet ACL", roleName, path);
        } catch (KeeperException.NodeExistsException e) {
            // created earlier, by whichever process came first
        }
    }

    /**
     * Only the fleet's two identities may do more than read. ZooKeeper shows a digest's hash only
     * to clients with ADMIN on the node, which nobody has (see {@link FleetAclProvider}): others
     * see {@code user:x}, so a redacted entry is matched on its user.
     */
    private static void checkNotOpen(CuratorFramework client, String path, FleetAcl acl) throws Exception {
        Set<String> fleet = Set.of(acl.presenterId(), acl.chatServerId(),
                redacted(acl.presenterId()), redacted(acl.chatServerId()));
        for (ACL entry : client.getACL().forPath(path)) {
            boolean fleetId = entry.getId().getScheme().equals("digest") && fleet.contains(entry.getId().getId());
            if (!fleetId && (entry.getPerms() & ~Perms.READ) != 0) {
                throw new FleetAccessException("open_acl", "the ACL of " + path + " lets " + entry.getId().getScheme()
                        + ":" + entry.getId().getId() + " do more than read (perms " + entry.getPerms()
                        + "), so anyone could change the ring: it was created before ACLs were on; set it as"
                        + " deploy/zookeeper shows");
            }
        }
    }
}
