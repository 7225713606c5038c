package io.presenter.gateway.fleet;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.utils.ZKPaths;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns presenter nodes into {@link PresenterNode}s, skipping (never weighing) the ones that do not
 * parse or check out. Remembers each node's outcome at its last modification (mzxid), so a bad
 * node is logged and counted once per write, not once per tick; it keeps only the nodes of the last
 * read, so it holds no more entries than there are presenter nodes.
 *
 * <p>Counter {@value #REJECTED}, tag {@code reason}: {@code empty}, {@code too_large},
 * {@code unparseable}, {@code unsupported_format}, {@code invalid_field},
 * {@code duplicate_set_identifier}. Used from the fleet loop's thread only.
 */
final class PresenterNodeReader {

    static final String REJECTED = "presenter.fleet.node.rejected";

    private static final Logger log = LoggerFactory.getLogger(PresenterNodeReader.class);

    private record Parsed(long mzxid, PresenterNode node) {
    }

    private final MeterRegistry registry;
    private Map<String, Parsed> lastRead = Map.of();

    PresenterNodeReader(MeterRegistry registry) {
        this.registry = registry;
    }

    /**
     * The valid presenters among {@code children} (the presenters node's children), by presenter
     * id, in id order. Of two nodes claiming one set identifier only the first by id counts.
     */
    Map<String, PresenterNode> read(Iterable<ChildData> children) {
        Map<String, Parsed> read = new HashMap<>();
        TreeMap<String, ChildData> byId = new TreeMap<>();
        for (ChildData child : children) {
            byId.put(ZKPaths.getNodeFromPath(child.getPath()), child);
        }
        Map<String, PresenterNode> nodes = new TreeMap<>();
        Map<String, String> setIdentifiers = new HashMap<>();
        for (Map.Entry<String, ChildData> entry : byId.entrySet()) {
            String id = entry.getKey();
            long mzxid = entry.getValue().getStat().getMzxid();
            Parsed parsed = lastRead.get(id);
            boolean fresh = parsed == null || parsed.mzxid() != mzxid;
            if (fresh) {
                parsed = parse(id, mzxid, entry.getValue().getData());
            }
            read.put(id, parsed);
            if (parsed.node() == null) {
                continue;
            }
            String owner = setIdentifiers.putIfAbsent(parsed.node().setIdentifier(), id);
            if (owner != null) {
                if (fresh) {
                    reject(id, mzxid, "duplicate_set_identifier", "set identifier " + parsed.node().setIdentifier()
                            + " is already presenter " + owner + "'s");
                }
                continue;
            }
            nodes.put(id, parsed.node());
        }
        lastRead = read;
        return nodes;
    }

    private Parsed parse(String id, long mzxid, byte[] data) {
        try {
            return new Parsed(mzxid, PresenterNode.decode(data));
        } catch (MalformedPresenterNodeException e) {
            reject(id, mzxid, e.reason(), e.getMessage());
            return new Parsed(mzxid, null);
        }
    }

    private void reject(String id, long mzxid, String reason, String detail) {
        log.warn("Skipping presenter node '{}' (mzxid {}): {}: {}", id, mzxid, reason, detail);
        Counter.builder(REJECTED)
                .description("Presenter nodes the fleet leader skipped because their data could not be trusted")
                .tag("reason", reason)
                .register(registry)
                .increment();
    }
}
