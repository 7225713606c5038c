package io.presenter.ring;

import static java.util.Objects.requireNonNull;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.zookeeper.CreateMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A chat server's membership of the ring: its ephemeral node
 * {@code <basePath>/members/<memberId>}, kept by Curator's {@link PersistentNode}, which creates
 * it again after a session loss or a deletion. Closing the registration deletes the node, so the
 * chat server leaves the ring at once instead of after its session times out.
 *
 * <p>To leave politely, {@link #drain()} first: the server stays a member (streams open on it keep
 * resolving) but gets no new couples; close once its streams are gone.
 */
public final class MemberRegistration implements Closeable {

    private static final Logger logger = LoggerFactory.getLogger(MemberRegistration.class);

    private final PersistentNode node;
    private final String path;
    private volatile RingMember member;

    public MemberRegistration(CuratorFramework client, String basePath, RingMember member) {
        this.member = requireNonNull(member, "member");
        path = MemberPaths.member(basePath, member.id());
        node = new PersistentNode(client, CreateMode.EPHEMERAL, false, path, MemberData.encode(member));
        node.getListenable().addListener(createdPath -> logger.info(
                "Ring member {} registered at {} as {}", this.member.id(), createdPath, this.member));
    }

    /** Starts creating the node in the background; see {@link #awaitRegistered(Duration)}. */
    public void start() {
        node.start();
    }

    /** Waits until the node has been created once; false if {@code timeout} passed first. */
    public boolean awaitRegistered(Duration timeout) throws InterruptedException {
        return node.waitForInitialCreate(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The member as this registration last wrote it; ZooKeeper gets the write in the background. */
    public RingMember member() {
        return member;
    }

    /** Stops taking new couples; existing streams keep resolving to this member. */
    public void drain() {
        update(current -> current.withState(MemberState.DRAINING));
    }

    /** Takes new couples again after {@link #drain()}. */
    public void activate() {
        update(current -> current.withState(MemberState.ACTIVE));
    }

    /** Changes this member's share of new couples; 0 takes none, like draining. */
    public void setWeight(int weight) {
        update(current -> current.withWeight(weight));
    }

    /**
     * Publishes the changed member in the background. The node keeps it when Curator creates it
     * again.
     *
     * @throws IllegalStateException if the node was never created (see {@link #awaitRegistered})
     */
    private synchronized void update(UnaryOperator<RingMember> change) {
        RingMember next = change.apply(member);
        try {
            node.setData(MemberData.encode(next));
        } catch (IllegalStateException e) {
            throw new IllegalStateException("ring member " + next.id() + " is not registered yet", e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot update ring member " + next.id(), e);
        }
        logger.info("Ring member {} updated: {}", next.id(), next);
        member = next;
    }

    /** Deletes the node, leaving the ring. */
    @Override
    public void close() throws IOException {
        node.close();
        logger.info("Ring member {} left the ring ({})", member.id(), path);
    }
}
