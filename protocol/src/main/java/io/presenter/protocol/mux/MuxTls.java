package io.presenter.protocol.mux;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;

/**
 * Optional mutual TLS on the internal mux links. Off by default: mux runs in plaintext on a private
 * network, and a null {@code MuxTls} everywhere means exactly that.
 *
 * <p>On the chat server ({@link #server}) every presenter must present a certificate that chains
 * to the configured CA, or the handshake fails and the connection is closed before any mux frame.
 * On the presenter ({@link #client}) the chat server's certificate must chain to the configured CA,
 * and the presenter presents its own. Certificates are not checked against the member's host name
 * (ring members are addressed by IP); with {@link MuxPeerNames} they must also name the peer: the
 * presenter requires the member id it dialled, the chat server a presenter (see
 * {@link #addTo(Channel, String, int, Function, Consumer)}). TLS 1.3 only; BoringSSL when it is
 * available, else the JDK engine.
 *
 * <p>{@link #addTo} puts the {@link SslHandler} first in a mux connection's pipeline, before the
 * mux initializer: the mux preface waits in the {@code SslHandler} until the handshake is done.
 *
 * @param sslContext a server context that requires client certificates, or a client context
 * @param handshakeTimeout how long a handshake may take before the connection is closed
 * @param peerNames the names the peer's certificate must carry, {@link MuxPeerNames#ANY} to trust the CA alone
 */
public record MuxTls(SslContext sslContext, Duration handshakeTimeout, MuxPeerNames peerNames) {

    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    private static final String[] PROTOCOLS = {"TLSv1.3"};
    private static final AttributeKey<Promise<Channel>> VERIFIED = AttributeKey.valueOf(MuxTls.class, "verified");

    public MuxTls {
        Objects.requireNonNull(sslContext, "sslContext");
        Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
        Objects.requireNonNull(peerNames, "peerNames");
        if (handshakeTimeout.isNegative() || handshakeTimeout.isZero()) {
            throw new IllegalArgumentException("handshakeTimeout " + handshakeTimeout);
        }
    }

    /** Trusting the CA alone, without a name check (the form before {@link MuxPeerNames}). */
    public MuxTls(SslContext sslContext, Duration handshakeTimeout) {
        this(sslContext, handshakeTimeout, MuxPeerNames.ANY);
    }

    /**
     * The same TLS, where the peer's certificate must also carry a name under {@code names}: on a
     * presenter, exactly the prefix and the member id dialled; on a chat server, any presenter.
     */
    public MuxTls withPeerNames(MuxPeerNames names) {
        return new MuxTls(sslContext, handshakeTimeout, names);
    }

    /**
     * The chat server's side, from PEM files: its certificate chain and PKCS#8 key, and the CA
     * that presenters' certificates must chain to.
     */
    public static MuxTls server(Path certificateChain, Path privateKey, Path trustedCa) throws SSLException {
        return server(SslContextBuilder.forServer(certificateChain.toFile(), privateKey.toFile())
                .trustManager(trustedCa.toFile()));
    }

    /** The presenter's side, from PEM files: its client certificate and key, and the CA chat servers' certificates chain to. */
    public static MuxTls client(Path certificateChain, Path privateKey, Path trustedCa) throws SSLException {
        return client(SslContextBuilder.forClient().keyManager(certificateChain.toFile(), privateKey.toFile())
                .trustManager(trustedCa.toFile()));
    }

    /** The chat server's side from a builder that already has its key and trust; client certificates become required. */
    public static MuxTls server(SslContextBuilder builder) throws SSLException {
        return new MuxTls(builder.clientAuth(ClientAuth.REQUIRE).protocols(PROTOCOLS).sslProvider(provider()).build(),
                DEFAULT_HANDSHAKE_TIMEOUT);
    }

    /** The presenter's side from a builder that already has its key (or none, to be refused) and trust. */
    public static MuxTls client(SslContextBuilder builder) throws SSLException {
        return new MuxTls(builder.protocols(PROTOCOLS).sslProvider(provider()).build(), DEFAULT_HANDSHAKE_TIMEOUT);
    }

    public boolean isServer() {
        return sslContext.isServer();
    }

    /**
     * Adds the TLS handler as the first handler of {@code channel} (a mux connection, before the
     * mux initializer runs). {@code onFailure} hears of a failed handshake (bad or missing
     * certificate, timeout); the connection is closed either way.
     */
    public void addTo(Channel channel, String peerHost, int peerPort, Consumer<Throwable> onFailure) {
        addTo(channel, peerHost, peerPort, session -> Optional.empty(), onFailure);
    }

    /**
     * As above, and once the handshake is done {@code peerCheck} says whether the peer is who it
     * must be (see {@link MuxPeerNames}): if it names a mismatch, {@code onFailure} hears a
     * {@link MuxPeerIdentityException}, nothing the peer sent reaches the mux handlers, and the
     * connection is closed. {@link #verifiedOf} completes only after the check.
     */
    public void addTo(Channel channel, String peerHost, int peerPort,
                      Function<SSLSession, Optional<String>> peerCheck, Consumer<Throwable> onFailure) {
        Promise<Channel> verified = channel.eventLoop().newPromise();
        channel.attr(VERIFIED).set(verified);
        SslHandler tls = isServer() ? sslContext.newHandler(channel.alloc())
                : sslContext.newHandler(channel.alloc(), peerHost, peerPort);
        tls.setHandshakeTimeout(handshakeTimeout.toMillis(), TimeUnit.MILLISECONDS);
        channel.pipeline().addFirst("mux-tls", tls);
        channel.pipeline().addAfter("mux-tls", "mux-tls-outcome", new ChannelInboundHandlerAdapter() {
            /** Set when the peer was refused: what it sent after the handshake is dropped, unread. */
            private boolean refused;

            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
                if (event instanceof SslHandshakeCompletionEvent done) {
                    Throwable failure = done.isSuccess() ? peerCheck.apply(tls.engine().getSession())
                            .<Throwable>map(MuxPeerIdentityException::new).orElse(null) : done.cause();
                    if (failure != null) {
                        refused = true;
                        verified.tryFailure(failure);
                        onFailure.accept(failure);
                        ctx.close();
                        return;
                    }
                    ctx.pipeline().remove(this);
                    verified.trySuccess(ctx.channel());
                }
                super.userEventTriggered(ctx, event);
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (refused) {
                    ReferenceCountUtil.release(msg);
                } else {
                    ctx.fireChannelRead(msg);
                }
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                verified.tryFailure(new ClosedChannelException());
                ctx.fireChannelInactive();
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close();  // a handshake failure surfaces here too, before the event
            }
        });
    }

    /** The handshake of {@code channel}'s mux TLS, or null when the channel has none. */
    public static io.netty.util.concurrent.Future<Channel> handshakeOf(Channel channel) {
        SslHandler tls = channel.pipeline().get(SslHandler.class);
        return tls == null ? null : tls.handshakeFuture();
    }

    /**
     * Completes once {@code channel}'s handshake is done and its peer passed the check given to
     * {@link #addTo}: only then may anything but the preface be sent on it. Null when the channel has no mux TLS.
     */
    public static io.netty.util.concurrent.Future<Channel> verifiedOf(Channel channel) {
        return channel.attr(VERIFIED).get();
    }

    private static SslProvider provider() {
        return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    /** For messages: never prints key material. */
    @Override
    public String toString() {
        return "MuxTls[" + (isServer() ? "server, client certificates required" : "client") + ", handshake timeout "
                + handshakeTimeout + (peerNames.checks() ? ", peers named under " + peerNames.prefix() : "") + "]";
    }
}
