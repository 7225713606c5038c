package io.presenter.protocol.mux;

import io.netty.util.collection.IntObjectHashMap;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A connection's live streams by id, and the ids used so far. Stream ids are odd and only go up
 * (one side opens, as HTTP/2's client), so an id at or below the last one that is not live names
 * a stream that has ended: frames the peer sent before it learned are dropped, not errors.
 * Event-loop only, except {@link #size()}.
 *
 * <p>Generic in the stream type so it can be tested without channels.
 */
final class StreamTable<S> {

    private final IntObjectHashMap<S> streams = new IntObjectHashMap<>();
    /** The highest odd id this side may open. */
    private final int maxOpenableId;
    /** Opening side: the last id opened. Accepting side: the highest id the peer opened. */
    private int lastStreamId;
    private int turn;
    /** {@code streams.size()} for {@link MuxConnection#activeStreams()} from any thread. */
    private volatile int size;

    StreamTable(int maxStreamId) {
        this.maxOpenableId = (maxStreamId & 1) == 1 ? maxStreamId : maxStreamId - 1;
    }

    int lastStreamId() {
        return lastStreamId;
    }

    /** Takes the next id to open (opening side). */
    int nextStreamId() {
        lastStreamId = lastStreamId == 0 ? 1 : lastStreamId + 2;
        return lastStreamId;
    }

    /** Records an id the peer opened (accepting side); false, and nothing recorded, unless it is odd and above the last. */
    boolean advanceTo(int streamId) {
        if ((streamId & 1) == 0 || streamId <= lastStreamId) {
            return false;
        }
        lastStreamId = streamId;
        return true;
    }

    /** Whether the last id this side may open has been used. */
    boolean idsExhausted() {
        return lastStreamId >= maxOpenableId;
    }

    /** Whether the id belongs to a stream opened on this connection before (live or gone). */
    boolean wasOpened(int streamId) {
        return (streamId & 1) == 1 && streamId > 0 && streamId <= lastStreamId;
    }

    void add(int streamId, S stream) {
        streams.put(streamId, stream);
        size = streams.size();
    }

    /** The live stream with this id, or null. */
    S get(int streamId) {
        return streams.get(streamId);
    }

    /** Removes the stream; false if it was not live (a stream closes once but may be asked twice). */
    boolean remove(int streamId) {
        if (streams.remove(streamId) == null) {
            return false;
        }
        size = streams.size();
        return true;
    }

    /** Live streams; safe to read from any thread. */
    int size() {
        return size;
    }

    boolean isEmpty() {
        return streams.isEmpty();
    }

    /** A copy of the live streams, so the action may close them while going through. */
    List<S> snapshot() {
        return new ArrayList<>(streams.values());
    }

    /**
     * Gives each stream its turn, starting one further each time, so the streams first in the map
     * do not always refill the parent and starve the rest.
     */
    void forEachFairly(Consumer<S> action) {
        List<S> live = snapshot();
        if (live.isEmpty()) {
            return;
        }
        int start = Math.floorMod(turn++, live.size());
        for (int i = 0; i < live.size(); i++) {
            action.accept(live.get((start + i) % live.size()));
        }
    }
}
