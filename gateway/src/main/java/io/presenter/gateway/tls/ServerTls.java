package io.presenter.gateway.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;

/**
 * The client-facing TLS of a running presenter: the server {@link SslContext}, the handshake
 * timeout every {@link SslHandler} gets, and, when a ticket key file is configured, its rotation,
 * which re-reads the file every {@code tls.ticket-key-reload-interval}. Built by
 * {@link ServerTlsContextFactory}; {@link #close()} stops the key reloads (and the reload thread
 * when this object owns it).
 */
public final class ServerTls implements AutoCloseable {

    private final SslContext sslContext;
    private final Duration handshakeTimeout;
    private final TicketKeyRotation ticketKeys;
    private final TicketKeyInstaller ticketKeyInstaller;
    private final ExecutorService ownedScheduler;

    ServerTls(SslContext sslContext, Duration handshakeTimeout, TicketKeyRotation ticketKeys,
            TicketKeyInstaller ticketKeyInstaller, ExecutorService ownedScheduler) {
        this.sslContext = sslContext;
        this.handshakeTimeout = handshakeTimeout;
        this.ticketKeys = ticketKeys;
        this.ticketKeyInstaller = ticketKeyInstaller;
        this.ownedScheduler = ownedScheduler;
    }

    /** A handler for one accepted connection, with the configured handshake timeout. */
    public SslHandler newHandler(ByteBufAllocator alloc) {
        SslHandler handler = sslContext.newHandler(alloc);
        handler.setHandshakeTimeoutMillis(handshakeTimeout.toMillis());
        return handler;
    }

    public SslContext sslContext() {
        return sslContext;
    }

    public Duration handshakeTimeout() {
        return handshakeTimeout;
    }

    /** The key-file rotation, absent when no ticket key file is configured. */
    public Optional<TicketKeyRotation> ticketKeys() {
        return Optional.ofNullable(ticketKeys);
    }

    /**
     * Where another key source (the fleet schedule in ZooKeeper) installs ticket keys; absent with
     * the {@code jdk} engine, which takes no ticket keys.
     */
    public Optional<TicketKeyInstaller> ticketKeyInstaller() {
        return Optional.ofNullable(ticketKeyInstaller);
    }

    /** Stops the ticket key reloads; idempotent. */
    @Override
    public void close() {
        if (ticketKeys != null) {
            ticketKeys.close();
        }
        if (ownedScheduler != null) {
            ownedScheduler.shutdown();  // a re-read under way finishes; none starts after the cancel above
        }
    }
}
