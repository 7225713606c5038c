package io.presenter.protocol.mux;

import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * What an open-stream frame says about the stream: whose bytes it carries and how it was routed.
 *
 * @param shardKey the couple id the presenter routed on
 * @param ringVersion the ring version the presenter used
 * @param clientAddress the end client's address as {@code ip:port} ({@code [v6]:port}), or ""
 * @param presenterId the presenter that opened the stream, or ""
 * @param attempt 0 on the first try, then the number of retries after WRONG_SHARD
 * @param handover the sealed state of a session handed over by the couple's previous owner, or
 *     {@link SessionHandover#NONE} for a stream that starts a session
 */
public record StreamMetadata(long shardKey, long ringVersion, String clientAddress,
        String presenterId, int attempt, SessionHandover handover) {

    public StreamMetadata {
        Objects.requireNonNull(clientAddress, "clientAddress");
        Objects.requireNonNull(presenterId, "presenterId");
        Objects.requireNonNull(handover, "handover");
        if (attempt < 0) {
            throw new IllegalArgumentException("attempt " + attempt);
        }
    }

    /** Metadata of a stream that starts a session. */
    public StreamMetadata(long shardKey, long ringVersion, String clientAddress, String presenterId, int attempt) {
        this(shardKey, ringVersion, clientAddress, presenterId, attempt, SessionHandover.NONE);
    }

    /** This metadata for a stream continuing the session that {@code ticket} hands over. */
    public StreamMetadata withHandover(SessionHandover ticket) {
        return new StreamMetadata(shardKey, ringVersion, clientAddress, presenterId, attempt, ticket);
    }

    /** Metadata of a first attempt for a client at {@code client}. */
    public static StreamMetadata of(long shardKey, long ringVersion, InetSocketAddress client,
            String presenterId) {
        String address = client == null ? ""
                : client.isUnresolved() ? NetUtil.toSocketAddressString(client.getHostString(), client.getPort())
                : NetUtil.toSocketAddressString(client);
        return new StreamMetadata(shardKey, ringVersion, address, presenterId, 0);
    }

    /** This metadata for retry number {@code attempt} (0: the first try). */
    public StreamMetadata withAttempt(int attempt) {
        return attempt == this.attempt ? this : new StreamMetadata(shardKey, ringVersion, clientAddress, presenterId, attempt, handover);
    }

    /** The end client's address, unresolved, or null if the opener did not say. */
    public InetSocketAddress clientSocketAddress() {
        int colon = clientAddress.lastIndexOf(':');
        if (colon <= 0) {
            return null;
        }
        String host = clientAddress.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            return InetSocketAddress.createUnresolved(host,
                    Integer.parseInt(clientAddress.substring(colon + 1)));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
