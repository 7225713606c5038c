package io.presenter.chat.server;

import io.presenter.chat.ChatLimits;
import io.presenter.chat.HandoverConfig;
import io.presenter.protocol.codec.ClientPacketFrameDecoder;
import io.presenter.protocol.mux.MuxSettings;
import io.presenter.protocol.mux.MuxTls;
import io.presenter.ring.RingMember;
import io.presenter.ring.ZooKeeperConfig;
import java.time.Duration;
import java.util.Objects;

/**
 * How a chat server runs.
 *
 * @param serverId this server's member id in the ring
 * @param bindHost the address the listeners bind to
 * @param advertisedHost where presenters and clients reach this server (published in ZooKeeper)
 * @param directPort the direct TLS listener's port (0 = any free port)
 * @param muxPort the mux listener's port, for presenters (0 = any free port)
 * @param eventLoopThreads worker event loops; all streams of one mux connection share one
 * @param maxPacketLength largest client packet accepted (the 4-byte prefix not counted)
 * @param limits sessions, message size, pending deliveries
 * @param weight this server's share of new couples (see {@link RingMember#weight()})
 * @param zooKeeper where the ring lives; null runs alone, owning every couple
 * @param moveSpread how long the sessions of couples that moved away take to be ended
 * @param drainTimeout how long a drain waits for sessions to leave before giving up
 * @param muxTls mutual TLS on the mux door (a server {@link MuxTls}: this server's certificate and
 *        the CA presenters' certificates must chain to); null, the default, is plaintext mux
 * @param plaintextPort the plaintext direct door: the client protocol without TLS, for a TLS
 *        terminator in front of this server (HAProxy); {@value #NO_PORT}, the default, is off,
 *        0 = any free port
 * @param maxStreamsPerConnection concurrent streams one presenter connection may carry; sent to
 *        presenters in the mux preface, and more are refused (a presenter opens another connection)
 * @param handover handing moved couples over under the clients' connections (README, "Session
 *        handover"); {@link HandoverConfig#OFF}, the default, resets their streams SHARD_MOVED
 */
public record ChatServerConfig(String serverId, String bindHost, String advertisedHost,
        int directPort, int muxPort, int eventLoopThreads, int maxPacketLength, ChatLimits limits,
        int weight, ZooKeeperConfig zooKeeper, Duration moveSpread, Duration drainTimeout, MuxTls muxTls,
        int plaintextPort, int maxStreamsPerConnection, HandoverConfig handover) {

    /** {@link #plaintextPort} when the plaintext door is off. */
    public static final int NO_PORT = -1;

    public static final Duration DEFAULT_MOVE_SPREAD = Duration.ofSeconds(10);
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(60);

    public ChatServerConfig {
        Objects.requireNonNull(serverId, "serverId");
        Objects.requireNonNull(bindHost, "bindHost");
        Objects.requireNonNull(advertisedHost, "advertisedHost");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(moveSpread, "moveSpread");
        Objects.requireNonNull(drainTimeout, "drainTimeout");
        Objects.requireNonNull(handover, "handover");
        if (eventLoopThreads < 1 || maxPacketLength < 2) {
            throw new IllegalArgumentException("eventLoopThreads and maxPacketLength must be positive");
        }
        if (muxTls != null && !muxTls.isServer()) {
            throw new IllegalArgumentException("the mux door needs a server MuxTls, got " + muxTls);
        }
        if (plaintextPort < NO_PORT || maxStreamsPerConnection < 1) {
            throw new IllegalArgumentException("plaintextPort " + plaintextPort + ", maxStreamsPerConnection "
                    + maxStreamsPerConnection);
        }
    }

    /** Without the plaintext door, with the default streams per connection, without handover. */
    public ChatServerConfig(String serverId, String bindHost, String advertisedHost,
            int directPort, int muxPort, int eventLoopThreads, int maxPacketLength, ChatLimits limits,
            int weight, ZooKeeperConfig zooKeeper, Duration moveSpread, Duration drainTimeout, MuxTls muxTls) {
        this(serverId, bindHost, advertisedHost, directPort, muxPort, eventLoopThreads, maxPacketLength, limits,
                weight, zooKeeper, moveSpread, drainTimeout, muxTls, NO_PORT,
                MuxSettings.DEFAULT_MAX_CONCURRENT_STREAMS, HandoverConfig.OFF);
    }

    /** A server with plaintext mux (the form before mutual TLS existed). */
    public ChatServerConfig(String serverId, String bindHost, String advertisedHost,
            int directPort, int muxPort, int eventLoopThreads, int maxPacketLength, ChatLimits limits,
            int weight, ZooKeeperConfig zooKeeper, Duration moveSpread, Duration drainTimeout) {
        this(serverId, bindHost, advertisedHost, directPort, muxPort, eventLoopThreads, maxPacketLength, limits,
                weight, zooKeeper, moveSpread, drainTimeout, null);
    }

    /** A standalone server on loopback with free ports and default limits (tests, the demo). */
    public static ChatServerConfig loopback(String serverId) {
        return new ChatServerConfig(serverId, "127.0.0.1", "127.0.0.1", 0, 0, 2,
                ClientPacketFrameDecoder.DEFAULT_MAX_PACKET_LENGTH, ChatLimits.DEFAULTS,
                RingMember.DEFAULT_WEIGHT, null, DEFAULT_MOVE_SPREAD, DEFAULT_DRAIN_TIMEOUT);
    }

    public ChatServerConfig withZooKeeper(ZooKeeperConfig zk) {
        return new ChatServerConfig(serverId, bindHost, advertisedHost, directPort, muxPort,
                eventLoopThreads, maxPacketLength, limits, weight, zk, moveSpread, drainTimeout, muxTls,
                plaintextPort, maxStreamsPerConnection, handover);
    }

    public ChatServerConfig withMoveSpread(Duration spread) {
        return new ChatServerConfig(serverId, bindHost, advertisedHost, directPort, muxPort,
                eventLoopThreads, maxPacketLength, limits, weight, zooKeeper, spread, drainTimeout, muxTls,
                plaintextPort, maxStreamsPerConnection, handover);
    }

    /** The same server with mutual TLS on its mux door ({@code tls} from {@link MuxTls#server}), or plaintext when null. */
    public ChatServerConfig withMuxTls(MuxTls tls) {
        return new ChatServerConfig(serverId, bindHost, advertisedHost, directPort, muxPort,
                eventLoopThreads, maxPacketLength, limits, weight, zooKeeper, moveSpread, drainTimeout, tls,
                plaintextPort, maxStreamsPerConnection, handover);
    }

    /** The same server with the plaintext direct door on {@code port} (0 = any free port, {@value #NO_PORT} = off). */
    public ChatServerConfig withPlaintextPort(int port) {
        return new ChatServerConfig(serverId, bindHost, advertisedHost, directPort, muxPort,
                eventLoopThreads, maxPacketLength, limits, weight, zooKeeper, moveSpread, drainTimeout, muxTls,
                port, maxStreamsPerConnection, handover);
    }

    /** The same server accepting at most {@code streams} concurrent streams per presenter connection. */
    public ChatServerConfig withMaxStreamsPerConnection(int streams) {
        return new ChatServerConfig(serverId, bindHost, advertisedHost, directPort, muxPort,
                eventLoopThreads, maxPacketLength, limits, weight, zooKeeper, moveSpread, drainTimeout, muxTls,
                plaintextPort, streams, handover);
    }

    /** The same server handing moved couples over as {@code value} says. */
    public ChatServerConfig withHandover(HandoverConfig value) {
        return new ChatServerConfig(serverId, bindHost, advertisedHost, directPort, muxPort,
                eventLoopThreads, maxPacketLength, limits, weight, zooKeeper, moveSpread, drainTimeout, muxTls,
                plaintextPort, maxStreamsPerConnection, value);
    }
}
