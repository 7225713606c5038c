package io.presenter.gateway.client;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The client path's meters (connections, auth rejections, retries, relayed bytes), beside the TLS,
 * mux, ring and backend ones. Hot-path counters are registered once; tagged counters for rare
 * events (rejections, close reasons) are looked up per event, which Micrometer caches.
 */
public final class ClientMeters {

    public static final String CONNECTIONS_ACTIVE = "presenter.connections.active";
    public static final String CONNECTIONS_OPENED = "presenter.connections.opened";
    public static final String CONNECTIONS_CLOSED = "presenter.connections.closed";
    public static final String AUTH_REJECTED = "presenter.auth.rejected";
    public static final String WRONG_SHARD_RETRIES = "presenter.wrong_shard.retries";
    public static final String RELAY_BYTES = "presenter.relay.bytes";
    public static final String RELAY_FRAMES = "presenter.relay.frames";
    /** Session handovers by result: {@code completed}, or the fallback that closed the client. */
    public static final String HANDOVERS = "presenter.handovers";

    private final MeterRegistry registry;
    private final Counter opened;
    private final Counter wrongShardRetries;
    private final Counter bytesToStream;
    private final Counter bytesToClient;
    private final Counter framesToStream;
    private final Counter framesToClient;

    public ClientMeters(MeterRegistry registry) {
        this.registry = registry;
        opened = Counter.builder(CONNECTIONS_OPENED).description("client connections accepted")
                .register(registry);
        wrongShardRetries = Counter.builder(WRONG_SHARD_RETRIES)
                .description("streams opened again after a wrong-shard, refused or going-away reset")
                .register(registry);
        bytesToStream = relayBytes(registry, "to_stream");
        bytesToClient = relayBytes(registry, "to_client");
        framesToStream = relayFrames(registry, "to_stream");
        framesToClient = relayFrames(registry, "to_client");
    }

    /** One per mux DATA frame: a client read becomes one frame, a frame from the chat server one client write. */
    private static Counter relayFrames(MeterRegistry registry, String direction) {
        return Counter.builder(RELAY_FRAMES).tag("direction", direction)
                .description("mux data frames relayed: client reads sent on streams, stream frames written to clients")
                .register(registry);
    }

    private static Counter relayBytes(MeterRegistry registry, String direction) {
        return Counter.builder(RELAY_BYTES).baseUnit("bytes").tag("direction", direction)
                .description("client bytes relayed after the auth packet, and chat-server bytes relayed back")
                .register(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    void connectionOpened() {
        opened.increment();
    }

    void connectionClosed(String reason) {
        registry.counter(CONNECTIONS_CLOSED, "reason", reason).increment();
    }

    void authRejected(String reason) {
        registry.counter(AUTH_REJECTED, "reason", reason).increment();
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
