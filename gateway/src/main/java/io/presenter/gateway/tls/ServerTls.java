package io.presenter.gateway.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.time.Duration;
import java.util.Optional;

/**
 * The client-facing TLS of a running presenter: the server {@link SslContext}, the handshake
 * timeout every {@link SslHandler} gets, and the ticket key rotation when a key file is configured.
 * Built by {@link ServerTlsContextFactory}; {@link #close()} stops the key reloads.
 */
public final class ServerTls implements AutoCloseable {

    private final SslContext sslContext;
    private final Duration handshakeTimeout;
    private final TicketKeyRotation ticketKeys;

    ServerTls(SslContext sslContext, Duration handshakeTimeout, TicketKeyRotation ticketKeys) {
        this.sslContext = sslContext;
        this.handshakeTimeout = handshakeTimeout;
        this.ticketKeys = ticketKeys;
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

    @Override
    public void close() {
        if (ticketKeys != null) {
            ticketKeys.close();
        }
    }
}
