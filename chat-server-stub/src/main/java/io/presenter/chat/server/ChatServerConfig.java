package io.presenter.chat.server;

import io.presenter.protocol.codec.ClientPacketFrameDecoder;
import java.net.InetSocketAddress;

/**
 * How a chat server runs.
 *
 * @param serverId this server's member id in the ring
 * @param directAddress where direct TLS clients connect (port 0 = any free port)
 * @param eventLoopThreads worker event loops; each mux connection's streams share one
 * @param maxPacketLength largest client packet accepted (the 4-byte prefix not counted)
 */
public record ChatServerConfig(String serverId, InetSocketAddress directAddress,
        int eventLoopThreads, int maxPacketLength) {

    /** A server on loopback with free ports and default limits, for tests and the demo. */
    public static ChatServerConfig loopback(String serverId) {
        return new ChatServerConfig(serverId, new InetSocketAddress("127.0.0.1", 0), 2,
                ClientPacketFrameDecoder.DEFAULT_MAX_PACKET_LENGTH);
    }
}
