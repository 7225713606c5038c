package io.netty.handler.codec.quic;

/** Test seam into what Netty's QUIC keeps package-private: resumption and the client ticket cache. */
public final class QuicEngines {
    private QuicEngines() {}

    public static boolean reused(javax.net.ssl.SSLEngine engine) {
        return ((QuicheQuicSslEngine) engine).isSessionReused();
    }

    /** Whether a client context holds a ticket for {@code host:port} (it arrives after the handshake). */
    public static boolean hasSession(QuicSslContext context, String host, int port) {
        QuicClientSessionCache cache = ((QuicheQuicSslContext) context).getSessionCache();
        return cache != null && cache.hasSession(host, port);
    }
}
