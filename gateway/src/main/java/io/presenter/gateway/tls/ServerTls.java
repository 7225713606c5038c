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
    private final TicketKeyInstaller ticketKeyInstaller;
    private final TicketStatsMeters ticketStats;
    private final ExecutorService ownedScheduler;

    ServerTls(SslContext sslContext, Duration handshakeTimeout, TicketKeyRotation ticketKeys,
            TicketKeyInstaller ticketKeyInstaller, TicketStatsMeters ticketStats, ExecutorService ownedScheduler) {
        this.live = new AtomicReference<>(new Live(sslContext, handshakeTimeout));
        this.ticketStats = ticketStats;
        this.ticketKeys = ticketKeys;
        this.ticketKeyInstaller = ticketKeyInstaller;
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
     * handshake from now on; {@code next} first gets the ticket keys in use (from the key file or
     * the fleet schedule), so tickets issued before the swap still resume, and the ticket meters
     * count on from what the old context counted.
     */
    public void swap(SslContext next, Duration handshakeTimeout) {
        Live replacement = new Live(next, handshakeTimeout);
        if (ticketKeyInstaller != null && next.sessionContext() instanceof OpenSslSessionContext sessions) {
            ticketKeyInstaller.moveTo(sessions, () -> {
                ticketStats.moveTo(sessions);
                live.set(replacement);
            });
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
