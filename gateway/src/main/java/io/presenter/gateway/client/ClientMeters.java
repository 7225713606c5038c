package io.presenter.gateway.client;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The client path's meters (connections, auth rejections, retries, relayed bytes), beside the TLS,
 * mux, ring and backend ones. Hot-path counters are registered once. Close reasons (one per
 * session, so hot too) are kept per reason once looked up; tagged counters for rare events
 * (rejections, handovers) are looked up per event, which Micrometer caches.
 */
public final class ClientMeters {

    public static final String CONNECTIONS_ACTIVE = "presenter.connections.active";
    public static final String CONNECTIONS_OPENED = "presenter.connections.opened";
    public static final String CONNECTIONS_CLOSED = "presenter.connections.closed";
    public static final String AUTH_REJECTED = "presenter.auth.rejected";
    public static final String WRONG_SHARD_RETRIES = "presenter.wrong_shard.retries";
    public static final String RELAY_BYTES = "presenter.relay.bytes";
    public static final String RELAY_FRAMES = "presenter.relay.frames";
    /** Load balancer health checks on a PROXY protocol listener ({@code kind=local|empty}); not clients. */
    public static final String PROXY_HEALTH_CHECKS = "presenter.proxy.health_checks";

    /** Tag of the client's transport on every client-path counter: {@value #TCP} or {@value #QUIC}. */
    public static final String TRANSPORT = "transport";
    public static final String TCP = "tcp";
    public static final String QUIC = "quic";
    /** Session handovers by result: {@code completed}, or the fallback that closed the client. */
    public static final String HANDOVERS = "presenter.handovers";

    private final MeterRegistry registry;
    private final String transport;
    private final Counter opened;
    private final Counter wrongShardRetries;
    private final Counter bytesToStream;
    private final Counter bytesToClient;
    private final Counter framesToStream;
    private final Counter framesToClient;
    /**
     * Close counters by reason: a registry lookup builds tags and an id each time (about 0.5 KiB of
     * garbage per closed client). Reasons are a fixed vocabulary; the bound only guards against a
     * caller that would make them up.
     */
    private final ConcurrentMap<String, Counter> closedByReason = new ConcurrentHashMap<>();
    private static final int MAX_CACHED_REASONS = 256;

    /** The meters of TCP (TLS) clients. */
    public ClientMeters(MeterRegistry registry) {
        this(registry, TCP);
    }

    /** The meters of clients on {@code transport} ({@value #TCP}, {@value #QUIC}): same names, their own tag. */
    public ClientMeters(MeterRegistry registry, String transport) {
        this.registry = registry;
        this.transport = transport;
        opened = Counter.builder(CONNECTIONS_OPENED).description("client connections accepted")
                .tag(TRANSPORT, transport).register(registry);
        wrongShardRetries = Counter.builder(WRONG_SHARD_RETRIES)
                .description("streams opened again after a wrong-shard, refused or going-away reset")
                .tag(TRANSPORT, transport).register(registry);
        bytesToStream = relayBytes("to_stream");
        bytesToClient = relayBytes("to_client");
        framesToStream = relayFrames("to_stream");
        framesToClient = relayFrames("to_client");
    }

    /** One per mux DATA frame: a client read becomes one frame, a frame from the chat server one client write. */
    private Counter relayFrames(String direction) {
        return Counter.builder(RELAY_FRAMES).tag("direction", direction).tag(TRANSPORT, transport)
                .description("mux data frames relayed: client reads sent on streams, stream frames written to clients")
                .register(registry);
    }

    private Counter relayBytes(String direction) {
        return Counter.builder(RELAY_BYTES).baseUnit("bytes").tag("direction", direction).tag(TRANSPORT, transport)
                .description("client bytes relayed after the auth packet, and chat-server bytes relayed back")
                .register(registry);
    }

    /** {@value #TCP} or {@value #QUIC}. */
    public String transport() {
        return transport;
    }

    public MeterRegistry registry() {
        return registry;
    }

    void connectionOpened() {
        opened.increment();
    }

    void connectionClosed(String reason) {
        Counter closed = closedByReason.get(reason);
        if (closed == null) {
            closed = registry.counter(CONNECTIONS_CLOSED, "reason", reason, TRANSPORT, transport);
            if (closedByReason.size() < MAX_CACHED_REASONS) {
                closedByReason.putIfAbsent(reason, closed);
            }
        }
        closed.increment();
    }

    void proxyHealthCheck(String kind) {
        registry.counter(PROXY_HEALTH_CHECKS, "kind", kind).increment();
    }

    void authRejected(String reason) {
        registry.counter(AUTH_REJECTED, "reason", reason, TRANSPORT, transport).increment();
    }

    void handover(String result) {
        registry.counter(HANDOVERS, "result", result).increment();
    }

    void wrongShardRetry() {
        wrongShardRetries.increment();
    }

    void relayedToStream(int bytes) {
        framesToStream.increment();
        bytesToStream.increment(bytes);
    }

    void relayedToClient(int bytes) {
        framesToClient.increment();
        bytesToClient.increment(bytes);
    }
}
