package io.presenter.gateway.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.presenter.gateway.PresenterCluster;
import io.presenter.gateway.chaos.ChatFleet.Couple;
import io.presenter.gateway.chaos.ChatFleet.Member;
import io.presenter.ring.RingSnapshot;
import io.presenter.testing.Await;
import java.time.Duration;
import java.util.Collection;
import java.util.stream.Stream;

/** What the chaos tests assert about couples that should not have noticed, and couples that moved. */
final class ChaosAssertions {

    private ChaosAssertions() {}

    /** Never disconnected, never an error packet, never a lost, repeated or reordered message, one login. */
    static void untouched(Collection<Couple> couples) {
        for (Couple couple : couples) {
            for (Member member : couple.sides) {
                assertThat(member.closes.get()).as("closes of %s", member).isZero();
                assertThat(member.errorPackets.get()).as("errors of %s", member).isZero();
                assertThat(member.gaps.get()).as("lost messages of %s", member).isZero();
                assertThat(member.authenticated.get()).as("logins of %s", member).isEqualTo(1);
            }
        }
    }

    /** Both clients of every couple have a session on the couple's owner in {@code ring}, and nowhere else. */
    static void onOwner(PresenterCluster cluster, Collection<Couple> couples, RingSnapshot ring) {
        for (Couple couple : couples) {
            String owner = ring.owner(couple.id).orElseThrow().id();
            assertThat(cluster.directory.ring().owner(couple.id).orElseThrow().id()).isEqualTo(owner);
            assertThat(cluster.chatServer(owner).service().sessionChannels(couple.id))
                    .as("sessions of %s on its owner %s", couple, owner).hasSize(2);
        }
    }

    /** Waits until every couple of {@code couples} is back online with at least {@code logins} logins per client. */
    static void back(Collection<Couple> couples, int logins, Duration timeout, ChatFleet fleet) {
        Await.until(timeout, () -> couples.stream().allMatch(c -> backOnline(c, logins)),
                () -> couples.stream().filter(c -> !backOnline(c, logins)).count() + " of " + couples.size()
                        + " couples not back, e.g. " + couples.stream().filter(c -> !backOnline(c, logins)).limit(2)
                        .flatMap(c -> Stream.of(c.sides)).toList() + "; violations " + fleet.violations());
    }

    private static boolean backOnline(Couple couple, int logins) {
        return couple.online() && couple.sides[0].authenticated.get() >= logins
                && couple.sides[1].authenticated.get() >= logins;
    }

    static long disconnectedClients(Collection<Couple> couples) {
        return couples.stream().flatMap(c -> Stream.of(c.sides)).filter(m -> m.closes.get() > 0).count();
    }
}
