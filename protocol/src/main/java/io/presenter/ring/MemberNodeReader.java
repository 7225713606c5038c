package io.presenter.ring;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.utils.ZKPaths;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns member nodes into members, skipping the ones that do not parse. Remembers what each node
 * parsed to at its last modification, so that a bad node is logged and counted once per write,
 * not once per ring rebuild; it remembers only the nodes of the last read, so it holds no more
 * entries than there are member nodes.
 *
 * <p>Not thread-safe: {@link ZooKeeperShardDirectory} uses it on its notifier thread only.
 */
final class MemberNodeReader {

    static final String REJECTED = "presenter.ring.member.rejected";

    private static final Logger logger = LoggerFactory.getLogger(MemberNodeReader.class);

    /** What one version of a node parsed to; {@code member} is null if the node was rejected. */
    private record Parsed(long mzxid, RingMember member) {
    }

    private final MeterRegistry registry;
    private Map<String, Parsed> lastRead = Map.of();

    MemberNodeReader(MeterRegistry registry) {
        this.registry = registry;
    }

    /** The members among {@code nodes}, which are the children of the members node. */
    List<RingMember> read(List<ChildData> nodes) {
        Map<String, Parsed> read = new HashMap<>();
        List<RingMember> members = new ArrayList<>(nodes.size());
        for (ChildData node : nodes) {
            String id = ZKPaths.getNodeFromPath(node.getPath());
            long mzxid = node.getStat().getMzxid();
            Parsed parsed = lastRead.get(id);
            if (parsed == null || parsed.mzxid() != mzxid) {
                parsed = parse(id, mzxid, node.getData());
            }
            read.put(id, parsed);
            if (parsed.member() != null) {
                members.add(parsed.member());
            }
        }
        lastRead = read;
        return members;
    }

    private Parsed parse(String id, long mzxid, byte[] data) {
        try {
            return new Parsed(mzxid, MemberData.decode(id, data));
        } catch (MalformedMemberException e) {
            logger.warn("Skipping malformed ring member node '{}' (mzxid {}): {}: {}",
                    id, mzxid, e.reason(), e.getMessage());
            Counter.builder(REJECTED)
                    .description("Member nodes skipped because their data could not be read")
                    .tag("reason", e.reason())
                    .register(registry)
                    .increment();
            return new Parsed(mzxid, null);
        }
    }
}
