package io.presenter.gateway.backend;

import io.presenter.protocol.mux.MuxHandoverEvent;
import io.presenter.protocol.mux.MuxStreamResetEvent;
import io.presenter.protocol.mux.SessionHandover;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * One attempt at opening a client's stream: what the {@link StreamOpener} routes on.
 *
 * @param coupleId the couple, the shard key of the stream
 * @param clientAddress the end client's address, or null when it has none (an in-VM channel)
 * @param attempt 0 for the first open, then the number of retries
 * @param ownerHint the member a reset named as the couple's owner, or "" to take the ring's owner
 * @param minRingVersion the ring version a reset decided on, which the ring should reach before
 *     routing; -1 to route on the ring as it is
 * @param handover the sealed session a handover carries to {@code ownerHint}, or
 *     {@link SessionHandover#NONE}; such a stream goes to that member or nowhere, and only over a
 *     connection that negotiated handover
 */
public record StreamRequest(long coupleId, InetSocketAddress clientAddress, int attempt, String ownerHint,
        long minRingVersion, SessionHandover handover) {

    public StreamRequest(long coupleId, InetSocketAddress clientAddress, int attempt, String ownerHint,
            long minRingVersion) {
        this(coupleId, clientAddress, attempt, ownerHint, minRingVersion, SessionHandover.NONE);
    }

    /** The first open for a client at {@code clientAddress}: the ring's owner on the current ring. */
    public static StreamRequest first(long coupleId, SocketAddress clientAddress) {
        return new StreamRequest(coupleId, clientAddress instanceof InetSocketAddress inet ? inet : null, 0, "", -1);
    }

    /** The next attempt after {@code reset}: at the owner it named, once the ring has its version. */
    public StreamRequest retry(MuxStreamResetEvent reset) {
        return new StreamRequest(coupleId, clientAddress, attempt + 1, reset.ownerHint(), reset.ringVersion());
    }

    /** The stream that continues this client's session at the new owner a handover named. */
    public StreamRequest handover(MuxHandoverEvent handover) {
        return new StreamRequest(coupleId, clientAddress, 0, handover.newOwner(), handover.ringVersion(),
                handover.ticket());
    }
}
