package io.presenter.ring;

import static io.presenter.ring.RingTestSupport.CONVERGENCE;
import static io.presenter.ring.RingTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;

/**
 * Chat servers and observers of one ring, each on its own ZooKeeper client (its own session), as
 * they would be in separate processes. Closes everything it started, newest first.
 */
final class RingRig implements Closeable {

    /** A presenter's or a chat server's view of the ring. */
    record Observer(CuratorFramework client, ZooKeeperShardDirectory directory, MeterRegistry registry) {
        RingSnapshot ring() {
            return directory.ring();
        }
    }

    /** A chat server's membership. */
    record ChatServer(CuratorFramework client, MemberRegistration registration) {
    }

    private final ZooKeeperConfig config;
    private final List<Observer> observers = new ArrayList<>();
    private final Deque<Closeable> resources = new ArrayDeque<>();

    RingRig(ZooKeeperConfig config) {
        this.config = config;
    }

    ZooKeeperConfig config() {
        return config;
    }

    /** A client of its own, with a connection monitor on {@code registry}. */
    CuratorFramework client(MeterRegistry registry) {
        return closeLater(ZooKeeperClients.start(config, registry));
    }

    Observer observer() {
        MeterRegistry registry = new SimpleMeterRegistry();
        CuratorFramework client = client(registry);
        ZooKeeperShardDirectory directory =
                closeLater(new ZooKeeperShardDirectory(client, config.basePath(), registry));
        directory.start();
        Observer observer = new Observer(client, directory, registry);
        observers.add(observer);
        return observer;
    }

    ChatServer join(RingMember member) throws InterruptedException {
        CuratorFramework client = client(new SimpleMeterRegistry());
        MemberRegistration registration =
                closeLater(new MemberRegistration(client, config.basePath(), member));
        registration.start();
        assertThat(registration.awaitRegistered(CONVERGENCE)).as("%s registered", member.id()).isTrue();
        return new ChatServer(client, registration);
    }

    ChatServer join(String memberId) throws InterruptedException {
        return join(RingTestSupport.member(memberId));
    }

    /**
     * Waits until every observer has the members {@code memberIds} (sorted by id) at one
     * version, and returns the version.
     */
    long awaitSameRing(String... memberIds) {
        List<String> expected = Arrays.asList(memberIds);
        await(CONVERGENCE, () -> observers.stream().allMatch(o -> memberIds(o.ring()).equals(expected))
                        && observers.stream().map(o -> o.ring().version()).distinct().count() == 1,
                () -> "every observer at one version with members " + expected + ", but they have "
                        + observers.stream().map(Observer::ring).toList());
        return observers.get(0).ring().version();
    }

    static List<String> memberIds(RingSnapshot ring) {
        return ring.members().stream().map(RingMember::id).toList();
    }

    private <T extends Closeable> T closeLater(T resource) {
        resources.push(resource);
        return resource;
    }

    @Override
    public void close() throws IOException {
        IOException failure = null;
        while (!resources.isEmpty()) {
            try {
                resources.pop().close();
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
