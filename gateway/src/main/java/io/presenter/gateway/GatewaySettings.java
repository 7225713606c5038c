package io.presenter.gateway;

import io.presenter.gateway.backend.BackendPool;
import io.presenter.gateway.backend.ConnectBackoff;
import io.presenter.gateway.client.AuthStage;
import io.presenter.gateway.client.ClientLimits;
import io.presenter.gateway.client.EdgeSettings;
import io.presenter.gateway.client.HandoverLimits;
import io.presenter.protocol.mux.MuxSettings;
import io.presenter.protocol.transport.TransportChoice;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * The limits and sizes of one presenter's client listener and backend pool. The daemon builds it
 * from the config file ({@code io.presenter.gateway.config}); tests start from {@link #defaults}.
 *
 * @param listenAddress where clients connect (TLS)
 * @param backlog accept queue length (the kernel caps it at {@code net.core.somaxconn})
 * @param maxConnections client connections beyond which new ones are closed at once
 * @param maxConnectionsPerAddress client connections from one source IP; 0 for no limit
 * @param authTimeout time from accept to a routed auth packet, TLS handshake included
 * @param maxAuthPacketBytes cap on the auth packet, length prefix included
 * @param idleTimeout a client with no bytes either way for this long is closed; zero disables it
 * @param wrongShardRetries streams opened again per client after wrong-shard / refused / going-away
 * @param ringCatchUp how long a retry waits for this presenter's ring to reach the chat server's
 * @param connectionsPerLoop mux connections per chat server per event loop
 * @param eventLoops event loop threads (clients and backend connections share them)
 * @param backendConnectTimeout TCP connect timeout towards chat servers
 * @param backendBackoff pause between failed connects to one chat server
 * @param presenterId this presenter's name in open-stream frames and mux settings
 * @param edge PROXY protocol, accept rates and maximum connection age of the client listener
 * @param maxStreamsPerConnection streams this presenter opens on one mux connection at most (the
 *     chat server's own limit, from its preface, may be lower)
 * @param maxConnectionsPerLoop mux connections per chat server per event loop, extras opened when
 *     the others are full included; beyond it new clients are refused ({@code backend_full})
 * @param tcpFastOpenQueue TCP Fast Open queue of the client listener (pending TFO requests); 0 disables TFO
 * @param handover what carrying a client's session to its couple's new chat server may cost (issue 18)
 * @param transport the socket transport of the listener and the backend pool; auto: epoll, else NIO
 */
public record GatewaySettings(InetSocketAddress listenAddress, int backlog, int maxConnections,
        int maxConnectionsPerAddress, Duration authTimeout, int maxAuthPacketBytes, Duration idleTimeout,
        int wrongShardRetries, Duration ringCatchUp, int connectionsPerLoop, int eventLoops,
        Duration backendConnectTimeout, ConnectBackoff backendBackoff, String presenterId, EdgeSettings edge,
        int maxStreamsPerConnection, int maxConnectionsPerLoop, int tcpFastOpenQueue, HandoverLimits handover,
        TransportChoice transport) {

    public static final int DEFAULT_BACKLOG = 4096;
    public static final int DEFAULT_MAX_CONNECTIONS = 100_000;
    /** Generous: mobile carriers put many clients behind one address (CGNAT). */
    public static final int DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 2_000;
    /** Clients ping every few minutes; a connection silent for much longer is dead or hostile. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(15);
    public static final int DEFAULT_WRONG_SHARD_RETRIES = 2;
    public static final Duration DEFAULT_RING_CATCH_UP = Duration.ofSeconds(2);
    public static final int DEFAULT_CONNECTIONS_PER_LOOP = 1;
    public static final Duration DEFAULT_BACKEND_CONNECT_TIMEOUT = Duration.ofSeconds(3);
    public static final int DEFAULT_MAX_STREAMS_PER_CONNECTION = MuxSettings.DEFAULT_MAX_CONCURRENT_STREAMS;
    public static final int DEFAULT_MAX_CONNECTIONS_PER_LOOP = BackendPool.DEFAULT_MAX_CONNECTIONS_PER_LOOP;
    /** TFO on, as nginx's fastopen=256: a returning client saves a round trip; the kernel must allow it too. */
    public static final int DEFAULT_TCP_FAST_OPEN_QUEUE = 256;

    public GatewaySettings {
        Objects.requireNonNull(listenAddress, "listenAddress");
        Objects.requireNonNull(presenterId, "presenterId");
        Objects.requireNonNull(backendBackoff, "backendBackoff");
        Objects.requireNonNull(edge, "edge");
        Objects.requireNonNull(handover, "handover");
        Objects.requireNonNull(transport, "transport");
        positive("backlog", backlog);
        positive("maxConnections", maxConnections);
        positive("connectionsPerLoop", connectionsPerLoop);
        positive("eventLoops", eventLoops);
        positive("maxStreamsPerConnection", maxStreamsPerConnection);
        if (maxConnectionsPerLoop < connectionsPerLoop) {
            throw new IllegalArgumentException("maxConnectionsPerLoop " + maxConnectionsPerLoop
                    + " < connectionsPerLoop " + connectionsPerLoop);
        }
        if (tcpFastOpenQueue < 0) {
            throw new IllegalArgumentException("tcpFastOpenQueue " + tcpFastOpenQueue);
        }
        if (maxConnectionsPerAddress < 0) {
            throw new IllegalArgumentException("maxConnectionsPerAddress " + maxConnectionsPerAddress);
        }
        if (maxAuthPacketBytes <= Integer.BYTES + 1) {
            throw new IllegalArgumentException("maxAuthPacketBytes " + maxAuthPacketBytes);
        }
        if (wrongShardRetries < 0) {
            throw new IllegalArgumentException("wrongShardRetries " + wrongShardRetries);
        }
        if (authTimeout.isNegative() || authTimeout.isZero() || ringCatchUp.isNegative() || idleTimeout.isNegative()
                || backendConnectTimeout.isNegative() || backendConnectTimeout.isZero()) {
            throw new IllegalArgumentException("durations: auth " + authTimeout + ", idle " + idleTimeout
                    + ", ring catch-up " + ringCatchUp + ", connect " + backendConnectTimeout);
        }
    }

    private static void positive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " " + value);
        }
    }

    /** Safe defaults, listening on every address on port 7443, one event loop per core. */
    public static GatewaySettings defaults(String presenterId) {
        return new Builder(presenterId).build();
    }

    /** What each client pipeline is held to. */
    public ClientLimits clientLimits() {
        return new ClientLimits(idleTimeout, authTimeout, maxAuthPacketBytes, handover);
    }

    public static Builder builder(String presenterId) {
        return new Builder(presenterId);
    }

    public Builder toBuilder() {
        return new Builder(presenterId).listenAddress(listenAddress).backlog(backlog).maxConnections(maxConnections)
                .maxConnectionsPerAddress(maxConnectionsPerAddress).authTimeout(authTimeout)
                .maxAuthPacketBytes(maxAuthPacketBytes).idleTimeout(idleTimeout).wrongShardRetries(wrongShardRetries)
                .ringCatchUp(ringCatchUp).connectionsPerLoop(connectionsPerLoop).eventLoops(eventLoops)
                .backendConnectTimeout(backendConnectTimeout).backendBackoff(backendBackoff).edge(edge)
                .maxStreamsPerConnection(maxStreamsPerConnection).maxConnectionsPerLoop(maxConnectionsPerLoop)
                .tcpFastOpenQueue(tcpFastOpenQueue).handover(handover)
                .transport(transport);
    }

    public GatewaySettings withListenAddress(InetSocketAddress value) {
        return toBuilder().listenAddress(value).build();
    }

    public GatewaySettings withMaxConnections(int value) {
        return toBuilder().maxConnections(value).build();
    }

    public GatewaySettings withAuthTimeout(Duration value) {
        return toBuilder().authTimeout(value).build();
    }

    public GatewaySettings withConnectionsPerLoop(int value) {
        return toBuilder().connectionsPerLoop(value).build();
    }

    public GatewaySettings withEventLoops(int value) {
        return toBuilder().eventLoops(value).build();
    }

    /** Builds {@link GatewaySettings}; every value starts at its default. */
    public static final class Builder {
        private final String presenterId;
        private InetSocketAddress listenAddress = new InetSocketAddress(7443);
        private int backlog = DEFAULT_BACKLOG;
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private int maxConnectionsPerAddress = DEFAULT_MAX_CONNECTIONS_PER_ADDRESS;
        private Duration authTimeout = AuthStage.DEFAULT_AUTH_TIMEOUT;
        private int maxAuthPacketBytes = AuthStage.DEFAULT_MAX_AUTH_PACKET_BYTES;
        private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
        private int wrongShardRetries = DEFAULT_WRONG_SHARD_RETRIES;
        private Duration ringCatchUp = DEFAULT_RING_CATCH_UP;
        private int connectionsPerLoop = DEFAULT_CONNECTIONS_PER_LOOP;
        private int eventLoops = Runtime.getRuntime().availableProcessors();
        private Duration backendConnectTimeout = DEFAULT_BACKEND_CONNECT_TIMEOUT;
        private ConnectBackoff backendBackoff = ConnectBackoff.DEFAULT;
        private EdgeSettings edge = EdgeSettings.DEFAULTS;
        private int maxStreamsPerConnection = DEFAULT_MAX_STREAMS_PER_CONNECTION;
        private int maxConnectionsPerLoop = DEFAULT_MAX_CONNECTIONS_PER_LOOP;
        private int tcpFastOpenQueue = DEFAULT_TCP_FAST_OPEN_QUEUE;
        private HandoverLimits handover = HandoverLimits.DEFAULTS;
        private TransportChoice transport = TransportChoice.AUTO;

        private Builder(String presenterId) {
            this.presenterId = presenterId;
        }

        public Builder listenAddress(InetSocketAddress value) { listenAddress = value; return this; }
        public Builder backlog(int value) { backlog = value; return this; }
        public Builder maxConnections(int value) { maxConnections = value; return this; }
        public Builder maxConnectionsPerAddress(int value) { maxConnectionsPerAddress = value; return this; }
        public Builder authTimeout(Duration value) { authTimeout = value; return this; }
        public Builder maxAuthPacketBytes(int value) { maxAuthPacketBytes = value; return this; }
        public Builder idleTimeout(Duration value) { idleTimeout = value; return this; }
        public Builder wrongShardRetries(int value) { wrongShardRetries = value; return this; }
        public Builder ringCatchUp(Duration value) { ringCatchUp = value; return this; }
        public Builder connectionsPerLoop(int value) { connectionsPerLoop = value; return this; }
        public Builder eventLoops(int value) { eventLoops = value; return this; }
        public Builder backendConnectTimeout(Duration value) { backendConnectTimeout = value; return this; }
        public Builder backendBackoff(ConnectBackoff value) { backendBackoff = value; return this; }
        public Builder edge(EdgeSettings value) { edge = value; return this; }
        public Builder maxStreamsPerConnection(int value) { maxStreamsPerConnection = value; return this; }
        public Builder maxConnectionsPerLoop(int value) { maxConnectionsPerLoop = value; return this; }
        public Builder tcpFastOpenQueue(int value) { tcpFastOpenQueue = value; return this; }
        public Builder handover(HandoverLimits value) { handover = value; return this; }
        public Builder transport(TransportChoice value) { transport = value; return this; }

        public GatewaySettings build() {
            return new GatewaySettings(listenAddress, backlog, maxConnections, maxConnectionsPerAddress, authTimeout,
                    maxAuthPacketBytes, idleTimeout, wrongShardRetries, ringCatchUp, connectionsPerLoop, eventLoops,
                    backendConnectTimeout, backendBackoff, presenterId, edge, maxStreamsPerConnection,
                    Math.max(maxConnectionsPerLoop, connectionsPerLoop), tcpFastOpenQueue, handover, transport);
        }
    }
}
