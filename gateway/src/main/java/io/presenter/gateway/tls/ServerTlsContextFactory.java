package io.presenter.gateway.tls;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.ReferenceCountedOpenSslContext;
import io.netty.handler.ssl.OpenSslCredential;
import io.netty.handler.ssl.OpenSslContextOption;
import io.netty.handler.ssl.OpenSslCredentialBuilder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.presenter.gateway.tls.TlsSettings.CertificateFiles;
import io.presenter.gateway.tls.TlsSettings.Engine;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import javax.net.ssl.KeyManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the client-facing server TLS context from {@link TlsSettings}.
 *
 * <p>Engine: BoringSSL through netty-tcnative ({@link SslProvider#OPENSSL}). When it cannot load
 * and {@code tls.engine} is not explicitly {@code jdk}, {@link #create} throws
 * {@link NativeTlsUnavailableException} whose message names the cause and the setting.
 *
 * <p>Certificates: with BoringSSL, every configured pair becomes a BoringSSL credential
 * ({@link OpenSslCredential}) and BoringSSL picks, per handshake, the first one (ECDSA before RSA)
 * that the client's cipher suites and signature algorithms accept: an ECDSA-capable client gets
 * the ECDSA certificate and an RSA-only client the RSA one. A Netty key manager holding both does
 * not do this (see {@code build}). With the JDK engine, both pairs go behind one PKIX key manager,
 * which does.
 *
 * <p>Session resumption: with a ticket key file, tickets are on for TLS 1.3 and 1.2 with the
 * file's keys ({@link TicketKeyRotation}), so any presenter sharing the file resumes any other's
 * sessions; the file is re-read every {@code tls.ticket-key-reload-interval} until
 * {@link ServerTls#close()}. With {@code tls.ticket-key-source: zookeeper} the keys come from the
 * fleet schedule instead, installed through {@link ServerTls#ticketKeyInstaller()} (the same
 * {@link TicketKeyInstaller} the file uses). Without either, BoringSSL makes and rotates
 * process-local ticket keys: clients still resume when they come back to the same presenter
 * process, but not elsewhere nor after a restart. TLS 1.2 clients without ticket support resume from the bounded server session
 * cache.
 *
 * <p>Per-connection memory (target: 6 KiB per idle authenticated client, heap and native, of which
 * the TLS engine is the larger part). What we rely on and why:
 * <ul>
 *   <li>Record buffers: BoringSSL frees its read and write buffers whenever they are empty
 *       (it always behaves as if {@code SSL_MODE_RELEASE_BUFFERS} were set), so an idle engine
 *       holds no 16 KiB record buffer. Netty's {@code SslHandler} releases its cumulation buffer when
 *       it has been consumed and queues no plaintext while idle. Nothing to set.</li>
 *   <li>The network BIO: since netty-tcnative PR #205 the engine reads and writes straight into
 *       Netty's buffers; only data BoringSSL produces outside a wrap call (the server's first
 *       flight, written while the ClientHello is unwrapped; TLS 1.3 session tickets; alerts;
 *       KeyUpdate) goes to a per-connection native buffer, malloc'ed with the engine and held for
 *       the connection's life although an idle connection never has anything in it: 2 KiB by
 *       default ({@code io.netty.handler.ssl.openssl.bioNonApplicationBufferSize}). We set
 *       {@value #BIO_NON_APPLICATION_BUFFER_SIZE} bytes on our context (see the constant for
 *       why that size); what does not fit is written partially, and the engine asks for a wrap
 *       ({@code NEED_WRAP}) that flushes it and lets BoringSSL write the rest straight into
 *       Netty's buffer, so a larger flight only costs one more call into BoringSSL within the same
 *       wrap ({@code LargeServerFlightTest}: a 3 KiB certificate chain).</li>
 *   <li>Wrap size: {@code SslHandler}'s wrap data size (16 KiB) only bounds a transient buffer while
 *       writing; it is not held by an idle connection. Left at the default, which produces full
 *       records for bulk relays.</li>
 *   <li>The JDK engine is not used by default: it allocates a 16.7 KB buffer per wrap (netty#9685).</li>
 *   <li>Session cache: bounded by {@code tls.session-cache-size} (a few hundred bytes per entry),
 *       shared by all connections, not per connection.</li>
 *   <li>Native engines: {@code SslHandler} frees its engine when it is removed (the channel
 *       closes); with {@link SslProvider#OPENSSL} (rather than {@code OPENSSL_REFCNT}) a finalizer
 *       also frees any engine that escapes, so one missed release cannot leak native memory for
 *       good (netty#14085).</li>
 * </ul>
 */
public final class ServerTlsContextFactory {

    private static final Logger log = LoggerFactory.getLogger(ServerTlsContextFactory.class);

    /**
     * Per-connection native buffer for TLS data made outside wrap calls (see the class comment),
     * held by every idle connection: Netty's default is 2 KiB, this saves 1,792 bytes of native
     * memory per connection. Why 256 and not less: it holds any alert, close_notify or KeyUpdate
     * record whole (at most ~30 bytes; a handshake alert that does not fit can be lost, netty#6385);
     * BoringSSL's two TLS 1.3 session tickets (one ~430-byte record) leave in two rounds of
     * {@link SessionTicketFlush}; and the server's first flight (~760 bytes with an ECDSA
     * certificate, ~1.8 KiB when the client offers the hybrid post-quantum group, which exceeded
     * even 1 KiB) spills past it at no measurable CPU cost (BENCHMARKS.md, "The TLS engine's
     * non-application buffer"). A smaller one would save at most 192 bytes more and split alerts
     * and tickets further. Must be at least 1: with 0 a handshake written during unwrap stalls.
     */
    static final int BIO_NON_APPLICATION_BUFFER_SIZE = 256;

    /** Only in this process's memory; the PKCS#12 container API requires some password. */
    private static final char[] KEY_STORE_PASSWORD = "presenter-in-memory".toCharArray();

    private final BooleanSupplier openSslAvailable;
    private final Supplier<Throwable> unavailabilityCause;

    /** A factory that asks netty-tcnative whether BoringSSL is loaded. */
    public ServerTlsContextFactory() {
        this(OpenSsl::isAvailable, OpenSsl::unavailabilityCause);
    }

    /** For tests: the availability of the native engine as seen by this factory. */
    ServerTlsContextFactory(BooleanSupplier openSslAvailable, Supplier<Throwable> unavailabilityCause) {
        this.openSslAvailable = openSslAvailable;
        this.unavailabilityCause = unavailabilityCause;
    }

    /**
     * Builds the server TLS context and, with a ticket key file, installs its keys and re-reads the
     * file every {@code tls.ticket-key-reload-interval} on a thread of the returned
     * {@link ServerTls}, which its {@link ServerTls#close()} stops.
     *
     * @throws NativeTlsUnavailableException engine {@code openssl} without a loadable BoringSSL
     * @throws IOException unreadable certificate, key or ticket key file
     * @throws IllegalArgumentException a key that does not match its certificate, two certificates
     *     of one key type, a malformed ticket key file
     */
    public ServerTls create(TlsSettings settings, MeterRegistry registry) throws IOException {
        return create(settings, registry, null);
    }

    /**
     * As {@link #create(TlsSettings, MeterRegistry)}, the ticket key reloads running on
     * {@code scheduler} (a test's controlled one); with {@code null}, on a thread of their own.
     * {@link ServerTls#close()} cancels them but does not shut a given scheduler down.
     */
    ServerTls create(TlsSettings settings, MeterRegistry registry, ScheduledExecutorService scheduler)
            throws IOException {
        SslContext context = newContext(settings);
        TicketKeyRotation rotation = null;
        TicketKeyInstaller installer = null;
        TicketStatsMeters stats = null;
        if (context.sessionContext() instanceof OpenSslSessionContext openSsl) {
            stats = TicketStatsMeters.bind(openSsl, registry);
            installer = new TicketKeyInstaller(openSsl);
            if (settings.ticketKeyFile() != null) {
                rotation = TicketKeyRotation.install(installer, settings.ticketKeyFile(), registry);
            } else if (settings.ticketKeySource() == TlsSettings.TicketKeySource.ZOOKEEPER) {
                // Process-local keys (set by newContext) only until the fleet schedule is read
                // (FleetTicketKeys installs it through the installer); a presenter that cannot reach
                // ZooKeeper at start still resumes its own clients.
                log.info("TLS: session ticket keys come from the fleet schedule in ZooKeeper; process-local"
                        + " keys until it is read");
            } else {
                log.warn("TLS: no tls.ticket-key-file; session tickets use process-local keys, so clients resume"
                        + " only on this presenter and only until it restarts (or reloads its certificates)");
            }
        } else if (settings.ticketKeyFile() != null) {
            log.warn("TLS: tls.ticket-key-file {} is ignored by the jdk engine", settings.ticketKeyFile());
        }
        log.info("TLS: {} engine, protocols {}, {} certificate(s), handshake timeout {}, session timeout {},"
                + " session cache {}", settings.engine().configValue(), settings.protocols(),
                settings.certificates().size(), settings.handshakeTimeout(), settings.sessionTimeout(),
                settings.sessionCacheSize());
        ScheduledExecutorService owned = null;
        if (rotation != null) {
            if (scheduler == null) {
                owned = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread thread = new Thread(r, "presenter-tls-ticket-keys");
                    thread.setDaemon(true);
                    return thread;
                });
                scheduler = owned;
            }
            rotation.schedule(scheduler, settings.ticketKeyReloadInterval());
            log.info("TLS: re-reading {} every {}", settings.ticketKeyFile(), settings.ticketKeyReloadInterval());
        }
        return new ServerTls(context, settings.handshakeTimeout(), rotation, installer, stats, owned);
    }

    /**
     * A server context from {@code settings} alone, without ticket keys from a file (those are the
     * {@link TicketKeyRotation}'s): what a reload builds and swaps in with
     * {@link ServerTls#swap}, and what {@code check-config} builds to validate a candidate. Every
     * certificate is read, checked against its key and for its validity period now.
     *
     * @throws IOException unreadable or unparsable certificate or key file
     * @throws IllegalArgumentException a key that does not match its certificate, an expired or not
     *     yet valid certificate, two certificates of one key type
     */
    public SslContext newContext(TlsSettings settings) throws IOException {
        SslProvider provider = provider(settings.engine());
        SslContext context = build(settings, provider, loadPairs(settings));
        if (context instanceof ReferenceCountedOpenSslContext openSslContext) {
            openSslContext.setBioNonApplicationBufferSize(BIO_NON_APPLICATION_BUFFER_SIZE);
        }
        if (context.sessionContext() instanceof OpenSslSessionContext openSsl) {
            if (settings.sessionCacheSize() == 0) {
                openSsl.setSessionCacheEnabled(false);
            }
            // Until a rotation installs the file's keys (or for good, without a file): keys BoringSSL
            // makes and rotates itself, process-local (Netty turns tickets on like this for TLS 1.3
            // already; this does the same for TLS 1.2).
            openSsl.setTicketKeys();
        }
        return context;
    }

    private SslProvider provider(Engine engine) {
        if (engine == Engine.JDK) {
            log.warn("TLS: tls.engine is 'jdk': expect several times the CPU per handshake of BoringSSL");
            return SslProvider.JDK;
        }
        if (!openSslAvailable.getAsBoolean()) {
            Throwable cause = unavailabilityCause.get();
            throw new NativeTlsUnavailableException(refusalMessage(cause), cause);
        }
        return SslProvider.OPENSSL;
    }

    /** The operator message for a missing native engine. */
    static String refusalMessage(Throwable cause) {
        return "TLS engine 'openssl' (netty-tcnative BoringSSL) is not available: "
                + (cause == null ? "unknown cause" : cause.toString())
                + ". The presenter will not start without it. Check that netty-tcnative-boringssl-static"
                + " for this OS/architecture is on the class path and that the temporary directory"
                + " (io.netty.native.workdir) allows executing native libraries; or, knowing it costs"
                + " far more CPU per handshake, set tls.engine: jdk.";
    }

    /** A private key and its certificate chain, leaf first. */
    private record KeyAndChain(PrivateKey key, X509Certificate[] chain) {}

    private static List<KeyAndChain> loadPairs(TlsSettings settings) throws IOException {
        List<KeyAndChain> pairs = new ArrayList<>();
        Set<String> keyTypes = new HashSet<>();
        for (CertificateFiles files : settings.certificates()) {
            X509Certificate[] chain = PemFiles.readChain(files.chain());
            PrivateKey key = PemFiles.readPrivateKey(files.key());
            checkValidity(files, chain[0]);
            try {
                checkPair(files, chain[0], key);
            } catch (GeneralSecurityException e) {
                throw new IOException("cannot check the key " + files.key() + ": " + e.getMessage(), e);
            }
            if (!keyTypes.add(key.getAlgorithm())) {
                throw new IllegalArgumentException("tls.certificates has two " + key.getAlgorithm()
                        + " certificates; configure at most one ECDSA and one RSA pair");
            }
            pairs.add(new KeyAndChain(key, chain));
        }
        // ECDSA first: the preferred certificate for clients that accept both (a P-256 signature
        // costs a fraction of an RSA-2048 one).
        pairs.sort(Comparator.comparing(p -> "EC".equals(p.key().getAlgorithm()) ? 0 : 1));
        return pairs;
    }

    private static SslContext build(TlsSettings settings, SslProvider provider, List<KeyAndChain> pairs)
            throws IOException {
        SslContextBuilder builder = provider == SslProvider.JDK
                ? SslContextBuilder.forServer(jdkKeyManagers(pairs))
                // Netty's server context always asks a key manager for key material; give it the
                // preferred pair (Netty converts it to native form once, not per handshake).
                : SslContextBuilder.forServer(pairs.get(0).key(), pairs.get(0).chain());
        builder.sslProvider(provider)
                .protocols(settings.protocols())
                .clientAuth(ClientAuth.NONE)
                // Lifetime of sessions and of the tickets issued for them (the ticket lifetime hint).
                .sessionTimeout(settings.sessionTimeout().toSeconds())
                // 0 means "library default" to Netty; we disable the cache after building instead.
                .sessionCacheSize(Math.max(1, settings.sessionCacheSize()));
        if (!settings.groups().isEmpty()) {
            builder.option(OpenSslContextOption.GROUPS, settings.groups().toArray(String[]::new));
        }
        List<OpenSslCredential> credentials = new ArrayList<>();
        try {
            if (provider != SslProvider.JDK && pairs.size() > 1) {
                // Netty's key-manager path cannot serve two key types: it picks the key from the
                // server's own cipher list, before looking at the client, so an RSA-only client gets
                // the ECDSA certificate and fails (tested). BoringSSL's credential list picks, per
                // handshake, the first credential the client's cipher suites and signature
                // algorithms accept.
                if (!OpenSslCredential.isAvailable()) {
                    throw new IllegalStateException("tls.certificates: serving ECDSA and RSA at once needs"
                            + " BoringSSL's credential API, which this netty-tcnative build lacks");
                }
                for (KeyAndChain pair : pairs) {
                    credentials.add(OpenSslCredentialBuilder.forX509(pair.key(), pair.chain()).build());
                }
                builder.addCredentials(credentials);
            }
            return builder.build();
        } finally {
            // The context holds its own references; the builder does not.
            credentials.forEach(OpenSslCredential::release);
        }
    }

    private static KeyManagerFactory jdkKeyManagers(List<KeyAndChain> pairs) throws IOException {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            int i = 0;
            for (KeyAndChain pair : pairs) {
                store.setKeyEntry("cert-" + i++, pair.key(), KEY_STORE_PASSWORD, pair.chain());
            }
            // PKIX (not the JDK's default SunX509) chooses a certificate the client's signature
            // algorithms accept, which is what lets the JDK engine serve ECDSA and RSA.
            KeyManagerFactory factory = KeyManagerFactory.getInstance("PKIX");
            factory.init(store, KEY_STORE_PASSWORD);
            return factory;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot build the TLS key store: " + e.getMessage(), e);
        }
    }

    /** An expired certificate would fail every handshake: refuse it at startup and at a reload. */
    private static void checkValidity(CertificateFiles files, X509Certificate leaf) {
        try {
            leaf.checkValidity();
        } catch (java.security.cert.CertificateExpiredException e) {
            throw new IllegalArgumentException("tls.certificates: certificate " + files.chain() + " expired on "
                    + leaf.getNotAfter().toInstant());
        } catch (java.security.cert.CertificateNotYetValidException e) {
            throw new IllegalArgumentException("tls.certificates: certificate " + files.chain()
                    + " is not valid before " + leaf.getNotBefore().toInstant());
        }
    }

    /** Fails at startup, not at the first handshake, when a key does not belong to its certificate. */
    private static void checkPair(CertificateFiles files, X509Certificate leaf, PrivateKey key)
            throws GeneralSecurityException {
        String algorithm = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            default -> throw new IllegalArgumentException("tls.certificates: key " + files.key()
                    + " is " + key.getAlgorithm() + "; only EC (ECDSA) and RSA keys are supported");
        };
        byte[] probe = "presenter key check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        Signature signer = Signature.getInstance(algorithm);
        signer.initSign(key);
        signer.update(probe);
        byte[] signature = signer.sign();
        Signature verifier = Signature.getInstance(algorithm);
        try {
            verifier.initVerify(leaf.getPublicKey());
            verifier.update(probe);
            if (verifier.verify(signature)) {
                return;
            }
        } catch (GeneralSecurityException e) {
            // A certificate of another key type: reported below like any mismatch.
        }
        throw new IllegalArgumentException("tls.certificates: private key " + files.key()
                + " does not belong to the first certificate of " + files.chain());
    }
}
