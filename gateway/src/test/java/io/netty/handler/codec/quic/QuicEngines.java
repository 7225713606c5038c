package io.netty.handler.codec.quic;

/** Test seam: whether a QUIC TLS engine resumed a session (package-private in Netty). */
public final class QuicEngines {
    private QuicEngines() {}

    public static boolean reused(javax.net.ssl.SSLEngine engine) {
        return ((QuicheQuicSslEngine) engine).isSessionReused();
    }
}
