package io.presenter.gateway.quic;

import io.presenter.gateway.tls.TlsSettings.CertificateFiles;
import java.util.Locale;
import java.util.Objects;

/**
 * The QUIC listener's settings ({@code quic.*} in the config file).
 *
 * @param enabled listen for QUIC at all; off by default
 * @param port UDP port; {@link #SAME_AS_TCP} for the TCP listener's (bound) port number, 0 for any
 * @param earlyData accept 0-RTT (only the auth packet is processed before the handshake ends)
 * @param retry when a new client must prove its address with a Retry round trip first
 * @param retryAboveHandshakes handshakes in flight above which {@link Retry#UNDER_LOAD} sends Retry
 * @param streamWindowBytes flow-control window of the session stream, each direction
 * @param connectionWindowBytes flow-control window of the whole connection
 * @param certificate the certificate chain and key (the first of {@code tls.certificates})
 */
public record QuicSettings(boolean enabled, int port, boolean earlyData, Retry retry, int retryAboveHandshakes,
        long streamWindowBytes, long connectionWindowBytes, CertificateFiles certificate) {

    /** {@link #port} value meaning "the TCP listener's port number, on UDP". */
    public static final int SAME_AS_TCP = -1;
    /** The ALPN protocol id a client must offer: the client protocol, version 1, over one QUIC stream. */
    public static final String ALPN = "presenter/1";
    public static final int DEFAULT_RETRY_ABOVE_HANDSHAKES = 1_000;
    /** A chat session's stream: a few screens of messages in flight; bounded memory per client. */
    public static final long DEFAULT_STREAM_WINDOW_BYTES = 256 * 1024;
    public static final long DEFAULT_CONNECTION_WINDOW_BYTES = 512 * 1024;

    /** When address validation (a Retry round trip before any handshake work) is demanded. */
    public enum Retry {
        /** Every new connection: spoofed sources cost one stateless packet each, every client one RTT more. */
        ALWAYS,
        /** Only while more than {@code quic.retry-above-handshakes} handshakes are in flight (a flood). */
        UNDER_LOAD,
        /** Never. */
        NEVER;

        public static Retry fromConfig(String value) {
            try {
                return valueOf(value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("quic.retry must be always, under-load or never, got '" + value + "'");
            }
        }

        public String configValue() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    public QuicSettings {
        Objects.requireNonNull(retry, "retry");
        if (port < SAME_AS_TCP || port > 65_535) {
            throw new IllegalArgumentException("quic.port " + port);
        }
        if (retryAboveHandshakes < 0 || streamWindowBytes < 1024 || connectionWindowBytes < streamWindowBytes) {
            throw new IllegalArgumentException("quic: retry above " + retryAboveHandshakes + ", stream window "
                    + streamWindowBytes + ", connection window " + connectionWindowBytes);
        }
        if (enabled) {
            Objects.requireNonNull(certificate, "certificate");
        }
    }

    /** QUIC off. */
    public static QuicSettings disabled() {
        return new QuicSettings(false, SAME_AS_TCP, true, Retry.UNDER_LOAD, DEFAULT_RETRY_ABOVE_HANDSHAKES,
                DEFAULT_STREAM_WINDOW_BYTES, DEFAULT_CONNECTION_WINDOW_BYTES, null);
    }

    /** QUIC on with {@code certificate}, everything else at its default. */
    public static QuicSettings enabled(CertificateFiles certificate) {
        return disabled().toBuilder().enabled(true).certificate(certificate).build();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** The UDP port to bind, given the port the TCP listener got. */
    public int portFor(int tcpPort) {
        return port == SAME_AS_TCP ? tcpPort : port;
    }

    public static final class Builder {
        private boolean enabled;
        private int port;
        private boolean earlyData;
        private Retry retry;
        private int retryAboveHandshakes;
        private long streamWindowBytes;
        private long connectionWindowBytes;
        private CertificateFiles certificate;

        private Builder(QuicSettings s) {
            enabled = s.enabled;
            port = s.port;
            earlyData = s.earlyData;
            retry = s.retry;
            retryAboveHandshakes = s.retryAboveHandshakes;
            streamWindowBytes = s.streamWindowBytes;
            connectionWindowBytes = s.connectionWindowBytes;
            certificate = s.certificate;
        }

        public Builder enabled(boolean value) { enabled = value; return this; }
        public Builder port(int value) { port = value; return this; }
        public Builder earlyData(boolean value) { earlyData = value; return this; }
        public Builder retry(Retry value) { retry = value; return this; }
        public Builder retryAboveHandshakes(int value) { retryAboveHandshakes = value; return this; }
        public Builder streamWindowBytes(long value) { streamWindowBytes = value; return this; }
        public Builder connectionWindowBytes(long value) { connectionWindowBytes = value; return this; }
        public Builder certificate(CertificateFiles value) { certificate = value; return this; }

        public QuicSettings build() {
            return new QuicSettings(enabled, port, earlyData, retry, retryAboveHandshakes, streamWindowBytes,
                    connectionWindowBytes, certificate);
        }
    }
}
