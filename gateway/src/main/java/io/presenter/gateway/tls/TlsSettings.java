package io.presenter.gateway.tls;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The TLS settings of the client-facing listener, validated on construction.
 *
 * <p>Config keys (prefix {@code tls.}) and defaults:
 * <ul>
 *   <li>{@code certificates}: one or two {@code {chain, key}} PEM pairs, typically one ECDSA and one
 *       RSA; BoringSSL serves whichever the client's signature algorithms accept. Required.</li>
 *   <li>{@code protocols}: {@code [TLSv1.3, TLSv1.2]}; nothing older is accepted.</li>
 *   <li>{@code handshake-timeout}: {@code 10s}; a connection that has not finished its handshake by
 *       then is closed and counted ({@code reason=timeout}).</li>
 *   <li>{@code engine}: {@code openssl} (netty-tcnative BoringSSL). {@code jdk} only when chosen
 *       explicitly; the daemon refuses to start when BoringSSL cannot load and this is not set.</li>
 *   <li>{@code ticket-key-file}: none. The session ticket keys (see {@link TicketKeys} for the
 *       format); re-read every {@code ticket-key-reload-interval} ({@code 60s}) and swapped in when
 *       they changed, so keys rotate without a restart; a file that is broken or missing at a
 *       reload keeps the keys in use ({@link TicketKeyRotation}). All presenters behind one DNS
 *       name should share the file. Ignored by the {@code jdk} engine.</li>
 *   <li>{@code session-cache-size}: {@code 20480} server-side sessions for TLS 1.2 session-id
 *       resumption; {@code 0} disables the cache.</li>
 *   <li>{@code session-timeout}: {@code 24h}; how long a session (cache entry or ticket) may be
 *       resumed.</li>
 *   <li>{@code groups}: empty, BoringSSL's default ({@code X25519MLKEM768}, {@code X25519},
 *       {@code P-256}, {@code P-384}). The post-quantum hybrid costs about 70 µs of server CPU per
 *       TLS 1.3 handshake, resumed ones too; {@code [X25519, P-256]} saves it and gives up
 *       protection of today's traffic against a future quantum computer.</li>
 *   <li>{@code ticket-key-source}: {@code file} (the key file above, or process-local keys without
 *       one) or {@code zookeeper}: the fleet schedule the leader keeps in ZooKeeper
 *       ({@code io.presenter.gateway.fleet.tickets}), sealed under
 *       {@code ticket-key-encryption-key-file} and rotated every {@code ticket-key-rotation}
 *       ({@code 1h}).</li>
 * </ul>
 *
 * @param certificates certificate chain and private key PEM files, at most one per key algorithm
 * @param protocols enabled protocol versions, {@code TLSv1.3} and/or {@code TLSv1.2}
 * @param handshakeTimeout how long a handshake may take before the connection is closed
 * @param engine the TLS implementation
 * @param ticketKeyFile the session ticket key file, or {@code null} for none (see
 *     {@link ServerTlsContextFactory} for what happens then)
 * @param ticketKeyReloadInterval how often the ticket key file is re-read
 * @param sessionCacheSize server session cache entries; 0 disables the cache
 * @param sessionTimeout lifetime of a resumable session
 * @param groups key exchange groups in preference order (BoringSSL names), or empty for the
 *     engine's default
 * @param ticketKeySource where the session ticket keys come from
 * @param ticketKeyRotation with {@link TicketKeySource#ZOOKEEPER}: how long each fleet key encrypts
 * @param ticketKeyEncryptionKeyFile with {@link TicketKeySource#ZOOKEEPER}: the AES-256 key that
 *     seals the fleet schedule in ZooKeeper (base64 of 32 bytes), or {@code null} otherwise
 */
public record TlsSettings(
        List<CertificateFiles> certificates,
        List<String> protocols,
        Duration handshakeTimeout,
        Engine engine,
        Path ticketKeyFile,
        Duration ticketKeyReloadInterval,
        int sessionCacheSize,
        Duration sessionTimeout,
        List<String> groups,
        TicketKeySource ticketKeySource,
        Duration ticketKeyRotation,
        Path ticketKeyEncryptionKeyFile) {

    public static final String TLS_V1_3 = "TLSv1.3";
    public static final String TLS_V1_2 = "TLSv1.2";

    public static final List<String> DEFAULT_PROTOCOLS = List.of(TLS_V1_3, TLS_V1_2);
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_TICKET_KEY_RELOAD_INTERVAL = Duration.ofSeconds(60);
    /**
     * Hourly, as Cloudflare rotates: a stolen key opens at most an hour of tickets (plus the
     * decrypt-only tail), and with the 24 h session timeout the schedule holds about 26 keys.
     */
    public static final Duration DEFAULT_TICKET_KEY_ROTATION = Duration.ofHours(1);
    /**
     * Most keys a fleet schedule may hold: {@code session-timeout / ticket-key-rotation + 2}
     * must fit (checked here), so the ZooKeeper node stays small (~15 KiB at most) and BoringSSL's
     * linear key lookup short.
     */
    public static final int MAX_FLEET_TICKET_KEYS = 256;
    /** Netty's own default; bounded memory (a few hundred bytes per entry) whatever the load. */
    public static final int DEFAULT_SESSION_CACHE_SIZE = 20_480;
    /**
     * Client connections live for hours, and a reconnect storm happens when a chat server dies,
     * long after the session was made; BoringSSL's 2-hour default would turn most of that storm
     * into full handshakes. A day covers a normal connection's life.
     */
    public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofHours(24);

    /** The TLS implementation. */
    public enum Engine {
        /** netty-tcnative BoringSSL: the production engine. */
        OPENSSL("openssl"),
        /** The JDK's SSLEngine: slower, more memory per connection, no ticket key file. */
        JDK("jdk");

        private final String configValue;

        Engine(String configValue) {
            this.configValue = configValue;
        }

        /** The value of {@code tls.engine} that selects this engine. */
        public String configValue() {
            return configValue;
        }

        /** Parses a {@code tls.engine} value. */
        public static Engine fromConfig(String value) {
            for (Engine e : values()) {
                if (e.configValue.equalsIgnoreCase(value.trim())) {
                    return e;
                }
            }
            throw new IllegalArgumentException("tls.engine must be 'openssl' or 'jdk', not '" + value + "'");
        }
    }

    /** Where the session ticket keys come from ({@code tls.ticket-key-source}). */
    public enum TicketKeySource {
        /** {@code tls.ticket-key-file}, re-read periodically; without it, process-local keys. */
        FILE("file"),
        /** The fleet schedule the leader keeps in ZooKeeper, sealed with a local key-encryption key. */
        ZOOKEEPER("zookeeper");

        private final String configValue;

        TicketKeySource(String configValue) {
            this.configValue = configValue;
        }

        public String configValue() {
            return configValue;
        }

        /** Parses a {@code tls.ticket-key-source} value. */
        public static TicketKeySource fromConfig(String value) {
            for (TicketKeySource s : values()) {
                if (s.configValue.equalsIgnoreCase(value.trim())) {
                    return s;
                }
            }
            throw new IllegalArgumentException("tls.ticket-key-source must be 'file' or 'zookeeper', not '"
                    + value + "'");
        }
    }

    /**
     * One certificate chain (leaf first) and its private key, both PEM files. The key may be
     * PKCS#8, PKCS#1 (RSA) or SEC1 (EC), unencrypted.
     */
    public record CertificateFiles(Path chain, Path key) {
        public CertificateFiles {
            Objects.requireNonNull(chain, "tls.certificates[].chain");
            Objects.requireNonNull(key, "tls.certificates[].key");
        }
    }

    public TlsSettings {
        Objects.requireNonNull(certificates, "tls.certificates");
        if (certificates.isEmpty() || certificates.size() > 2) {
            throw new IllegalArgumentException(
                    "tls.certificates needs one or two {chain, key} pairs (e.g. ECDSA and RSA), got "
                            + certificates.size());
        }
        certificates = List.copyOf(certificates);
        protocols = List.copyOf(Objects.requireNonNull(protocols, "tls.protocols"));
        if (protocols.isEmpty()) {
            throw new IllegalArgumentException("tls.protocols must name TLSv1.3 and/or TLSv1.2");
        }
        Set<String> seen = new HashSet<>();
        for (String p : protocols) {
            if (!TLS_V1_3.equals(p) && !TLS_V1_2.equals(p)) {
                throw new IllegalArgumentException(
                        "tls.protocols accepts only TLSv1.3 and TLSv1.2, not '" + p + "'");
            }
            if (!seen.add(p)) {
                throw new IllegalArgumentException("tls.protocols names " + p + " twice");
            }
        }
        requirePositive(handshakeTimeout, "tls.handshake-timeout");
        Objects.requireNonNull(engine, "tls.engine");
        requirePositive(ticketKeyReloadInterval, "tls.ticket-key-reload-interval");
        if (sessionCacheSize < 0) {
            throw new IllegalArgumentException("tls.session-cache-size must be >= 0, got " + sessionCacheSize);
        }
        groups = List.copyOf(Objects.requireNonNull(groups, "tls.groups"));
        if (!groups.isEmpty() && engine == Engine.JDK) {
            throw new IllegalArgumentException("tls.groups needs tls.engine openssl");
        }
        requirePositive(sessionTimeout, "tls.session-timeout");
        if (sessionTimeout.toSeconds() < 1) {
            throw new IllegalArgumentException("tls.session-timeout must be at least 1s");
        }
        Objects.requireNonNull(ticketKeySource, "tls.ticket-key-source");
        requirePositive(ticketKeyRotation, "tls.ticket-key-rotation");
        if (ticketKeySource == TicketKeySource.ZOOKEEPER) {
            if (engine == Engine.JDK) {
                throw new IllegalArgumentException("tls.ticket-key-source zookeeper needs tls.engine openssl");
            }
            if (ticketKeyFile != null) {
                throw new IllegalArgumentException("tls.ticket-key-file and tls.ticket-key-source zookeeper exclude"
                        + " each other: the fleet schedule replaces the file");
            }
            if (ticketKeyEncryptionKeyFile == null) {
                throw new IllegalArgumentException("tls.ticket-key-source zookeeper needs"
                        + " tls.ticket-key-encryption-key-file (the key that seals the schedule in ZooKeeper)");
            }
            if (ticketKeyRotation.toMillis() < 1000) {
                throw new IllegalArgumentException("tls.ticket-key-rotation must be at least 1s, got "
                        + ticketKeyRotation);
            }
            long keys = sessionTimeout.toMillis() / ticketKeyRotation.toMillis() + 2;
            if (keys > MAX_FLEET_TICKET_KEYS) {
                throw new IllegalArgumentException("tls.session-timeout " + sessionTimeout + " / tls.ticket-key-rotation "
                        + ticketKeyRotation + " needs " + keys + " keys in the schedule, more than "
                        + MAX_FLEET_TICKET_KEYS + ": rotate less often or shorten the session timeout");
            }
        }
    }

    public TlsSettings withTicketKeySource(TicketKeySource source, Duration rotation, Path encryptionKeyFile) {
        return new TlsSettings(certificates, protocols, handshakeTimeout, engine, ticketKeyFile,
                ticketKeyReloadInterval, sessionCacheSize, sessionTimeout, groups, source, rotation, encryptionKeyFile);
    }

    public TlsSettings withSessionTimeout(Duration value) {
        return new TlsSettings(certificates, protocols, handshakeTimeout, engine, ticketKeyFile,
                ticketKeyReloadInterval, sessionCacheSize, value, groups, ticketKeySource, ticketKeyRotation,
                ticketKeyEncryptionKeyFile);
    }

    /** Safe defaults for everything but the certificates. */
    public static TlsSettings defaults(List<CertificateFiles> certificates) {
        return new TlsSettings(certificates, DEFAULT_PROTOCOLS, DEFAULT_HANDSHAKE_TIMEOUT, Engine.OPENSSL,
                null, DEFAULT_TICKET_KEY_RELOAD_INTERVAL, DEFAULT_SESSION_CACHE_SIZE,
                DEFAULT_SESSION_TIMEOUT, List.of(), TicketKeySource.FILE, DEFAULT_TICKET_KEY_ROTATION, null);
    }

    public TlsSettings withProtocols(List<String> value) {
        return new TlsSettings(certificates, value, handshakeTimeout, engine, ticketKeyFile,
                ticketKeyReloadInterval, sessionCacheSize, sessionTimeout, groups,
                ticketKeySource, ticketKeyRotation, ticketKeyEncryptionKeyFile);
    }

    public TlsSettings withHandshakeTimeout(Duration value) {
        return new TlsSettings(certificates, protocols, value, engine, ticketKeyFile,
                ticketKeyReloadInterval, sessionCacheSize, sessionTimeout, groups,
                ticketKeySource, ticketKeyRotation, ticketKeyEncryptionKeyFile);
    }

    public TlsSettings withEngine(Engine value) {
        return new TlsSettings(certificates, protocols, handshakeTimeout, value, ticketKeyFile,
                ticketKeyReloadInterval, sessionCacheSize, sessionTimeout, groups,
                ticketKeySource, ticketKeyRotation, ticketKeyEncryptionKeyFile);
    }

    public TlsSettings withTicketKeyFile(Path value) {
        return new TlsSettings(certificates, protocols, handshakeTimeout, engine, value,
                ticketKeyReloadInterval, sessionCacheSize, sessionTimeout, groups,
                ticketKeySource, ticketKeyRotation, ticketKeyEncryptionKeyFile);
    }

    public TlsSettings withTicketKeyReloadInterval(Duration value) {
        return new TlsSettings(certificates, protocols, handshakeTimeout, engine, ticketKeyFile,
                value, sessionCacheSize, sessionTimeout, groups,
                ticketKeySource, ticketKeyRotation, ticketKeyEncryptionKeyFile);
    }

    public TlsSettings withSessionCacheSize(int value) {
        return new TlsSettings(certificates, protocols, handshakeTimeout, engine, ticketKeyFile,
                ticketKeyReloadInterval, value, sessionTimeout, groups,
                ticketKeySource, ticketKeyRotation, ticketKeyEncryptionKeyFile);
    }

    public TlsSettings withGroups(List<String> value) {
        return new TlsSettings(certificates, protocols, handshakeTimeout, engine, ticketKeyFile,
                ticketKeyReloadInterval, sessionCacheSize, sessionTimeout, value,
                ticketKeySource, ticketKeyRotation, ticketKeyEncryptionKeyFile);
    }

    private static void requirePositive(Duration d, String key) {
        Objects.requireNonNull(d, key);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(key + " must be positive, got " + d);
        }
    }
}
