package io.presenter.protocol.mux;

/**
 * Fired on a stream's pipeline when the peer (a chat server) ended the stream with a handover, after
 * every byte it sent on the stream before the handover has been read, and just before the stream
 * closes. The receiver (a presenter) carries the session on to {@code newOwner}: it opens a stream
 * there with {@code ticket} in its metadata and replays the client's bytes from {@code consumedBytes}.
 *
 * @param newOwner member id of the couple's new owner
 * @param ringVersion the ring version under which it owns the couple
 * @param consumedBytes stream bytes the old owner consumed (a client packet boundary), auth packet included
 * @param ticket the sealed session state, to pass on unchanged
 */
public record MuxHandoverEvent(String newOwner, long ringVersion, long consumedBytes, SessionHandover ticket) {
}
