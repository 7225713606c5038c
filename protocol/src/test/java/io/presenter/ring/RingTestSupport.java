package io.presenter.ring;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.curator.framework.CuratorFramework;

/** Members, clients and bounded waits shared by the ring tests. */
final class RingTestSupport {

    /** Long enough for a loaded two-core machine, short enough to fail a hung test quickly. */
    static final Duration CONVERGENCE = Duration.ofSeconds(20);
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private RingTestSupport() {
    }

    /** An active member of default weight named {@code id}. */
    static RingMember member(String id) {
        return RingMember.active(id, "127.0.0.1", 7100, 7443);
    }

    /**
     * Waits until {@code condition} holds, checking it every few milliseconds, and fails with
     * {@code description} if {@code timeout} passes first.
     */
    static void await(Duration timeout, BooleanSupplier condition, Supplier<String> description) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("Not within " + timeout + ": " + description.get());
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
    }

    /**
     * Waits until every directory has the same ring version and member ids {@code memberIds}, and
     * returns that version.
     */
    static long awaitSameRing(ZooKeeperShardDirectory[] directories, String... memberIds) {
        await(CONVERGENCE, () -> Arrays.stream(directories).allMatch(d -> hasMembers(d.ring(), memberIds))
                        && Arrays.stream(directories).map(d -> d.ring().version()).distinct().count() == 1,
                () -> "rings " + Arrays.toString(Arrays.stream(directories).map(ShardDirectory::ring).toArray())
                        + " to have members " + Arrays.toString(memberIds));
        return directories[0].ring().version();
    }

    static boolean hasMembers(RingSnapshot ring, String... memberIds) {
        return ring.members().stream().map(RingMember::id).toList().equals(Arrays.asList(memberIds));
    }

    /** A started client for {@code connectString} with the default settings. */
    static CuratorFramework startClient(String connectString, MeterRegistry registry) {
        return ZooKeeperClients.start(ZooKeeperConfig.of(connectString), registry);
    }

    /** A started directory of {@code basePath}. */
    static ZooKeeperShardDirectory startDirectory(CuratorFramework client, String basePath,
                                                  MeterRegistry registry) {
        ZooKeeperShardDirectory directory = new ZooKeeperShardDirectory(client, basePath, registry);
        directory.start();
        return directory;
    }

    /** A started registration of {@code member}, waited for. */
    static MemberRegistration register(CuratorFramework client, String basePath, RingMember member)
            throws InterruptedException {
        MemberRegistration registration = new MemberRegistration(client, basePath, member);
        registration.start();
        assertThat(registration.awaitRegistered(CONVERGENCE)).as("registered " + member.id()).isTrue();
        return registration;
    }

    /** Value of counter {@code name} tagged {@code tag=value}, 0 if it does not exist. */
    static double count(MeterRegistry registry, String name, String tag, String value) {
        var counter = registry.find(name).tag(tag, value).counter();
        return counter == null ? 0 : counter.count();
    }
}
