package io.presenter.gateway.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The client-facing TLS of a running presenter: the server {@link SslContext}, the handshake
 * timeout every {@link SslHandler} gets, and, when a ticket key file is configured, its rotation,
 * which re-reads the file every {@code tls.ticket-key-reload-interval}. Built by
 * {@link ServerTlsContextFactory}; {@link #close()} stops the key reloads (and the reload thread
 * when this object owns it).
 *
 * <p>A reload {@link #swap swaps} the context and timeout as one value: every connection accepted
 * afterwards handshakes with the new certificate, while connections that already have their
 * {@link SslHandler} keep the engine (and certificate) they started with. A replaced context is not
 * freed here: engines still running on it hold it, and with {@code SslProvider.OPENSSL} its native
 * memory is freed once the last of them is gone.
 */
public final class ServerTls implements AutoCloseable {

    /** What each new connection's TLS stage is built from; replaced whole by {@link #swap}. */
    private record Live(SslContext sslContext, Duration handshakeTimeout) {}

    private final AtomicReference<Live> live;
    private final TicketKeyRotation ticketKeys;
    private final ExecutorService ownedScheduler;

    ServerTls(SslContext sslContext, Duration handshakeTimeout, TicketKeyRotation ticketKeys,
            ExecutorService ownedScheduler) {
        this.live = new AtomicReference<>(new Live(sslContext, handshakeTimeout));
        this.ticketKeys = ticketKeys;
        this.ownedScheduler = ownedScheduler;
    }

    /** A handler for one accepted connection, from the current context, with the current handshake timeout. */
    public SslHandler newHandler(ByteBufAllocator alloc) {
        Live now = live.get();
        SslHandler handler = now.sslContext().newHandler(alloc);
        handler.setHandshakeTimeoutMillis(now.handshakeTimeout().toMillis());
        return handler;
    }

    /**
     * Makes {@code next} (from {@link ServerTlsContextFactory#newContext}) the context of every
     * handshake from now on; with a ticket key file, {@code next} first gets the keys in use, so
     * tickets issued before the swap still resume.
     */
    public void swap(SslContext next, Duration handshakeTimeout) {
        Live replacement = new Live(next, handshakeTimeout);
        if (ticketKeys != null && next.sessionContext() instanceof OpenSslSessionContext sessions) {
            ticketKeys.moveTo(sessions, () -> live.set(replacement));
        } else {
            live.set(replacement);
        }
    }

    /** The context new handshakes use now. */
    public SslContext sslContext() {
        return live.get().sslContext();
    }

    public Duration handshakeTimeout() {
        return live.get().handshakeTimeout();
    }

    /** The key-file rotation, absent when no ticket key file is configured. */
    public Optional<TicketKeyRotation> ticketKeys() {
        return Optional.ofNullable(ticketKeys);
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
