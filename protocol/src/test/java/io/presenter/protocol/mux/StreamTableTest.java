package io.presenter.protocol.mux;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StreamTableTest {

    private final StreamTable<String> table = new StreamTable<>(Integer.MAX_VALUE);

    @Test
    void theOpeningSideTakesOddIdsFromOne() {
        assertThat(table.nextStreamId()).isEqualTo(1);
        assertThat(table.nextStreamId()).isEqualTo(3);
        assertThat(table.nextStreamId()).isEqualTo(5);
        assertThat(table.lastStreamId()).isEqualTo(5);
    }

    @Test
    void thePeersIdsMustBeOddAndGoUp() {
        assertThat(table.advanceTo(2)).isFalse();
        assertThat(table.advanceTo(5)).isTrue();
        assertThat(table.advanceTo(5)).isFalse();
        assertThat(table.advanceTo(3)).isFalse();
        assertThat(table.lastStreamId()).isEqualTo(5);
        assertThat(table.advanceTo(9)).isTrue();
        assertThat(table.lastStreamId()).isEqualTo(9);
    }

    @Test
    void idsUpToTheLastAreKnownEvenOnceTheirStreamsAreGone() {
        table.advanceTo(5);
        assertThat(table.wasOpened(1)).isTrue();
        assertThat(table.wasOpened(5)).isTrue();
        assertThat(table.wasOpened(7)).isFalse();
        assertThat(table.wasOpened(4)).as("even").isFalse();
        assertThat(table.wasOpened(0)).as("the connection's id").isFalse();
        assertThat(table.wasOpened(-1)).isFalse();
    }

    @Test
    void idsRunOutAtTheLargestOddIdAllowed() {
        StreamTable<String> small = new StreamTable<>(6);
        small.nextStreamId();
        small.nextStreamId();
        assertThat(small.idsExhausted()).isFalse();
        assertThat(small.nextStreamId()).isEqualTo(5);
        assertThat(small.idsExhausted()).isTrue();

        StreamTable<String> peers = new StreamTable<>(5);
        peers.advanceTo(3);
        assertThat(peers.idsExhausted()).isFalse();
        peers.advanceTo(5);
        assertThat(peers.idsExhausted()).isTrue();
    }

    @Test
    void keepsTheLiveStreamsAndTheirCount() {
        table.add(1, "a");
        table.add(3, "b");
        assertThat(table.size()).isEqualTo(2);
        assertThat(table.get(3)).isEqualTo("b");

        assertThat(table.remove(1)).isTrue();
        assertThat(table.remove(1)).as("closed twice").isFalse();
        assertThat(table.remove(7)).as("never added").isFalse();
        assertThat(table.get(1)).isNull();
        assertThat(table.size()).isEqualTo(1);
        assertThat(table.isEmpty()).isFalse();
        table.remove(3);
        assertThat(table.isEmpty()).isTrue();
        assertThat(table.size()).isZero();
    }

    @Test
    void eachRoundStartsOneStreamFurther() {
        table.add(1, "a");
        table.add(3, "b");
        table.add(5, "c");
        List<String> first = round();
        List<String> second = round();
        List<String> third = round();
        assertThat(first).containsExactlyInAnyOrder("a", "b", "c");
        assertThat(second).containsExactlyInAnyOrderElementsOf(first);
        assertThat(second.get(0)).isEqualTo(first.get(1));
        assertThat(third.get(0)).isEqualTo(first.get(2));
        assertThat(round()).isEqualTo(first);
    }

    @Test
    void aRoundMayCloseTheStreamsItVisits() {
        table.add(1, "a");
        table.add(3, "b");
        List<String> visited = new ArrayList<>();
        table.forEachFairly(stream -> {
            visited.add(stream);
            table.remove(stream.equals("a") ? 1 : 3);
        });
        assertThat(visited).containsExactlyInAnyOrder("a", "b");
        assertThat(table.isEmpty()).isTrue();
        table.forEachFairly(stream -> visited.add("none expected"));
        assertThat(visited).hasSize(2);
    }

    private List<String> round() {
        List<String> visited = new ArrayList<>();
        table.forEachFairly(visited::add);
        return visited;
    }
}
