package io.presenter.gateway;

import io.presenter.gateway.auth.AuthStage;
import io.presenter.gateway.backend.ConnectBackoff;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * The limits and sizes of one presenter. Configuration files and the command line come later;
 * until then this record, with {@link #defaults(String)} and the {@code with...} copies, is it.
 *
 * @param listenAddress where clients connect (TLS)
 * @param maxConnections client connections beyond which new ones are closed at once
 * @param authTimeout time from accept to a routed auth packet, TLS handshake included
 * @param maxAuthPacketBytes cap on the auth packet, length prefix included
 * @param wrongShardRetries streams opened again per client after wrong-shard / refused / going-away
 * @param ringCatchUp how long a retry waits for this presenter's ring to reach the chat server's
 * @param connectionsPerLoop mux connections per chat server per event loop
 * @param eventLoops event loop threads (clients and backend connections share them)
 * @param backendConnectTimeout TCP connect timeout towards chat servers
 * @param backendBackoff pause between failed connects to one chat server
 * @param presenterId this presenter's name in open-stream frames and mux settings
 */
public record GatewaySettings(InetSocketAddress listenAddress, int maxConnections, Duration authTimeout,
        int maxAuthPacketBytes, int wrongShardRetries, Duration ringCatchUp, int connectionsPerLoop,
        int eventLoops, Duration backendConnectTimeout, ConnectBackoff backendBackoff, String presenterId) {

    public static final int DEFAULT_MAX_CONNECTIONS = 100_000;
    public static final int DEFAULT_WRONG_SHARD_RETRIES = 2;
    public static final Duration DEFAULT_RING_CATCH_UP = Duration.ofSeconds(2);
    public static final int DEFAULT_CONNECTIONS_PER_LOOP = 1;
    public static final Duration DEFAULT_BACKEND_CONNECT_TIMEOUT = Duration.ofSeconds(3);

    public GatewaySettings {
        Objects.requireNonNull(listenAddress, "listenAddress");
        Objects.requireNonNull(presenterId, "presenterId");
        Objects.requireNonNull(backendBackoff, "backendBackoff");
        positive("maxConnections", maxConnections);
        positive("connectionsPerLoop", connectionsPerLoop);
        positive("eventLoops", eventLoops);
        if (maxAuthPacketBytes <= Integer.BYTES + 1) {
            throw new IllegalArgumentException("maxAuthPacketBytes " + maxAuthPacketBytes);
        }
        if (wrongShardRetries < 0) {
            throw new IllegalArgumentException("wrongShardRetries " + wrongShardRetries);
        }
        if (authTimeout.isNegative() || authTimeout.isZero() || ringCatchUp.isNegative() || backendConnectTimeout.isNegative() || backendConnectTimeout.isZero()) {
            throw new IllegalArgumentException("durations: auth " + authTimeout + ", ring catch-up "
                    + ringCatchUp + ", connect " + backendConnectTimeout);
        }
    }

    private static void positive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " " + value);
        }
    }

    /** Safe defaults, listening on every address on port 7443, one event loop per core. */
    public static GatewaySettings defaults(String presenterId) {
        return new GatewaySettings(new InetSocketAddress(7443), DEFAULT_MAX_CONNECTIONS,
                AuthStage.DEFAULT_AUTH_TIMEOUT, AuthStage.DEFAULT_MAX_AUTH_PACKET_BYTES,
                DEFAULT_WRONG_SHARD_RETRIES, DEFAULT_RING_CATCH_UP, DEFAULT_CONNECTIONS_PER_LOOP,
                Runtime.getRuntime().availableProcessors(), DEFAULT_BACKEND_CONNECT_TIMEOUT,
                ConnectBackoff.DEFAULT, presenterId);
    }

    public GatewaySettings withListenAddress(InetSocketAddress value) {
        return new GatewaySettings(value, maxConnections, authTimeout, maxAuthPacketBytes, wrongShardRetries,
                ringCatchUp, connectionsPerLoop, eventLoops, backendConnectTimeout, backendBackoff, presenterId);
    }

    public GatewaySettings withMaxConnections(int value) {
        return new GatewaySettings(listenAddress, value, authTimeout, maxAuthPacketBytes, wrongShardRetries,
                ringCatchUp, connectionsPerLoop, eventLoops, backendConnectTimeout, backendBackoff, presenterId);
    }

    public GatewaySettings withAuthTimeout(Duration value) {
        return new GatewaySettings(listenAddress, maxConnections, value, maxAuthPacketBytes, wrongShardRetries,
                ringCatchUp, connectionsPerLoop, eventLoops, backendConnectTimeout, backendBackoff, presenterId);
    }

    public GatewaySettings withConnectionsPerLoop(int value) {
        return new GatewaySettings(listenAddress, maxConnections, authTimeout, maxAuthPacketBytes, wrongShardRetries,
                ringCatchUp, value, eventLoops, backendConnectTimeout, backendBackoff, presenterId);
    }

    public GatewaySettings withEventLoops(int value) {
        return new GatewaySettings(listenAddress, maxConnections, authTimeout, maxAuthPacketBytes, wrongShardRetries,
                ringCatchUp, connectionsPerLoop, value, backendConnectTimeout, backendBackoff, presenterId);
    }
}
