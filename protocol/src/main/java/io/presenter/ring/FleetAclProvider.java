package io.presenter.ring;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.ZooDefs.Ids;
import org.apache.zookeeper.ZooDefs.Perms;
import org.apache.zookeeper.data.ACL;

/**
 * The ACL of each fleet node, by path (relative to the base path):
 *
 * <table>
 * <tr><th>node</th><th>anyone</th><th>presenters</th><th>chat servers</th></tr>
 * <tr><td>the base path and its parents</td><td>read</td><td>read, create</td><td>read, create</td></tr>
 * <tr><td>{@code members}, {@code members/*}</td><td>read</td><td>-</td><td>all</td></tr>
 * <tr><td>{@code presenters/**}, {@code fleet/**}</td><td>read</td><td>all</td><td>-</td></tr>
 * <tr><td>{@code fleet/ticket-keys/**}</td><td>-</td><td>all</td><td>-</td></tr>
 * <tr><td>anything else</td><td>read</td><td>all</td><td>all</td></tr>
 * </table>
 *
 * <p>So everyone reads the ring and the presenters, only chat servers add, change or remove
 * members (CREATE and DELETE on {@code members} itself are what keep a rogue member out), only
 * presenters write their own nodes, and only presenters even read the TLS ticket keys. Nobody
 * but ZooKeeper's super user may change an ACL (no ADMIN permission is granted).
 */
final class FleetAclProvider implements ACLProvider {

    static final String TICKET_KEYS = "fleet/ticket-keys";

    private final String root;
    private final String unnamespacedRoot;
    private final List<ACL> ancestors;
    private final List<ACL> members;
    private final List<ACL> presenters;
    private final List<ACL> keys;
    private final List<ACL> others;

    FleetAclProvider(FleetAcl acl, String namespace, String basePath) {
        unnamespacedRoot = basePath;
        root = namespace == null ? basePath : ZKPaths.makePath("/" + namespace, basePath);
        ACL anyoneReads = new ACL(Perms.READ, Ids.ANYONE_ID_UNSAFE);
        ancestors = acl(anyoneReads, new ACL(Perms.READ | Perms.CREATE, acl.presenter()),
                new ACL(Perms.READ | Perms.CREATE, acl.chatServer()));
        members = acl(anyoneReads, new ACL(allButAdmin(), acl.chatServer()));
        presenters = acl(anyoneReads, new ACL(allButAdmin(), acl.presenter()));
        keys = acl(new ACL(allButAdmin(), acl.presenter()));
        others = acl(anyoneReads, new ACL(allButAdmin(), acl.presenter()), new ACL(allButAdmin(), acl.chatServer()));
    }

    @Override
    public List<ACL> getDefaultAcl() {
        return others;
    }

    /** Curator passes full paths, the namespace included; an unnamespaced path is understood too. */
    @Override
    public List<ACL> getAclForPath(String path) {
        List<ACL> acl = aclUnder(root, path);
        if (acl == null && !root.equals(unnamespacedRoot)) {
            acl = aclUnder(unnamespacedRoot, path);
        }
        return acl == null ? others : acl;
    }

    /** The ACL of {@code path} relative to {@code base}, or null if it is neither under nor above it. */
    private List<ACL> aclUnder(String base, String path) {
        if (path.equals("/") || path.equals(base) || base.startsWith(path + "/")) {
            return ancestors;
        }
        if (!path.startsWith(base + "/")) {
            return null;
        }
        String relative = path.substring(base.length() + 1);
        String first = relative.contains("/") ? relative.substring(0, relative.indexOf('/')) : relative;
        if (relative.equals(TICKET_KEYS) || relative.startsWith(TICKET_KEYS + "/")) {
            return keys;
        }
        return switch (first) {
            case "members" -> members;
            case "presenters", "fleet" -> presenters;
            default -> others;
        };
    }

    /** Not {@code List.of}: ZooKeeper asks the list whether it contains null, which an immutable list answers by throwing. */
    private static List<ACL> acl(ACL... entries) {
        return Collections.unmodifiableList(new ArrayList<>(Arrays.asList(entries)));
    }

    private static int allButAdmin() {
        return Perms.ALL & ~Perms.ADMIN;
    }
}
