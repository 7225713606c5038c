package io.presenter.chat.server;

import io.presenter.protocol.transport.Transport;
import io.presenter.protocol.transport.TransportChoice;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.presenter.chat.ChatLimits;
import io.presenter.chat.HandoverConfig;
import io.presenter.protocol.auth.TokenKeys;
import io.presenter.protocol.auth.TokenVerifier;
import io.presenter.protocol.codec.ClientPacketFrameDecoder;
import io.presenter.protocol.mux.MuxPeerNames;
import io.presenter.protocol.mux.MuxTls;
import io.presenter.protocol.process.DurationConverter;
import io.presenter.protocol.process.ManifestVersion;
import io.presenter.ring.RingMember;
import io.presenter.ring.FleetAcl;
import io.presenter.ring.ZooKeeperAuth;
import io.presenter.ring.ZooKeeperConfig;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code chat-server}: runs one chat-server stub until SIGTERM, then drains and exits. */
@Command(name = "chat-server", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = "A small real chat server: direct TLS clients and presenter streams, couples "
                + "sharded over a ring kept in ZooKeeper.")
public final class ChatServerCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(ChatServerCommand.class);

    @Option(names = "--id", required = true, description = "Member id in the ring, unique per server.")
    String id;

    @Option(names = "--bind", defaultValue = "127.0.0.1", description = "Listen address (default: ${DEFAULT-VALUE}).")
    String bind;

    @Option(names = "--advertise", description = "Address presenters and clients use; default: the bind address.")
    String advertise;

    @Option(names = "--direct-port", defaultValue = "7443", description = "Direct TLS port (default: ${DEFAULT-VALUE}).")
    int directPort;

    @Option(names = "--mux-port", defaultValue = "7100", description = "Port presenters connect to (default: ${DEFAULT-VALUE}).")
    int muxPort;

    @Option(names = "--plaintext-port", description = "Plaintext direct port: the client protocol without TLS,"
            + " for a TLS terminator in front of this server (HAProxy). Off when not given; never expose it"
            + " beyond the terminator.")
    Integer plaintextPort;

    @Option(names = "--max-streams-per-connection", defaultValue = "10000",
            description = "Concurrent streams one presenter connection may carry (sent in the mux preface;"
                    + " presenters open more connections beyond it). Default: ${DEFAULT-VALUE}.")
    int maxStreamsPerConnection;

    @Option(names = "--cert", required = true, description = "PEM certificate chain for the direct TLS port.")
    Path cert;

    @Option(names = "--key", required = true, description = "PEM private key (PKCS#8) for the certificate.")
    Path key;

    @Option(names = "--token-keys", required = true,
            description = "Token key file (see README, Auth tokens); re-read every 30 s, so keys rotate live.")
    Path tokenKeys;

    @Option(names = "--zookeeper", description = "ZooKeeper connect string (host:port,...[/chroot]); "
            + "without it the server runs alone and owns every couple.")
    String zooKeeper;

    @Option(names = "--zk-base-path", defaultValue = ZooKeeperConfig.DEFAULT_BASE_PATH,
            description = "Base path of the ring's nodes (default: ${DEFAULT-VALUE}).")
    String zkBasePath;

    @Option(names = "--zk-digest-file", description = "ZooKeeper digest credentials of the chat servers, one line"
            + " 'user:password' (see deploy/zookeeper); none when not given.")
    Path zkDigestFile;

    @Option(names = "--zk-acl-presenter-id", defaultValue = "", description = "Fleet ZooKeeper ACLs: the presenters'"
            + " digest id 'user:base64digest'. With --zk-acl-chat-server-id; ACLs are off without them.")
    String zkAclPresenterId;

    @Option(names = "--zk-acl-chat-server-id", defaultValue = "", description = "Fleet ZooKeeper ACLs: the chat"
            + " servers' digest id 'user:base64digest' (what --zk-digest-file must authenticate as).")
    String zkAclChatServerId;

    @Option(names = "--weight", defaultValue = "1", description = "Share of new couples, 0-100 (default: ${DEFAULT-VALUE}).")
    int weight = RingMember.DEFAULT_WEIGHT;

    @Option(names = "--admin-port", description = "Serve /metrics (Prometheus), /health and POST /drain "
            + "on this port; off when not given.")
    Integer adminPort;

    @Option(names = "--admin-bind", defaultValue = "127.0.0.1",
            description = "Admin listen address (default: ${DEFAULT-VALUE}); /drain has no credential.")
    String adminBind;

    private final CompletableFuture<Integer> drained = new CompletableFuture<>();
    private final AtomicBoolean draining = new AtomicBoolean();
    private AdminEndpoint admin;

    @Option(names = "--event-loops", description = "Worker event loops (default: number of cores).")
    int eventLoops = Runtime.getRuntime().availableProcessors();

    @Option(names = "--transport", defaultValue = "auto", description = "Socket transport: auto (epoll, else NIO), "
            + "epoll, io_uring or nio; one that cannot run here stops the start (default: ${DEFAULT-VALUE}).")
    String transport;

    @Option(names = "--max-sessions", defaultValue = "100000", description = "Sessions beyond this get SERVER_BUSY (default: ${DEFAULT-VALUE}).")
    int maxSessions;

    @Option(names = "--max-message-bytes", defaultValue = "16384", description = "Largest message body (default: ${DEFAULT-VALUE}).")
    int maxMessageBytes;

    @Option(names = "--max-pending-deliveries", defaultValue = "1024",
            description = "Unwritten packets after which a slow session is closed (default: ${DEFAULT-VALUE}).")
    int maxPendingDeliveries;

    @Option(names = "--move-spread", defaultValue = "10s", converter = DurationConverter.class,
            description = "Time over which couples that moved away are let go (default: ${DEFAULT-VALUE}).")
    Duration moveSpread;

    @Option(names = "--drain-timeout", defaultValue = "60s", converter = DurationConverter.class,
            description = "On SIGTERM, how long to wait for sessions to move away (default: ${DEFAULT-VALUE}).")
    Duration drainTimeout;

    @Option(names = "--mux-tls-cert", description = "Mutual TLS on the mux port: this server's PEM certificate "
            + "chain. With --mux-tls-key and --mux-tls-ca; without them the mux port is plaintext.")
    Path muxTlsCert;

    @Option(names = "--mux-tls-key", description = "Mutual TLS on the mux port: the PEM (PKCS#8) private key.")
    Path muxTlsKey;

    @Option(names = "--mux-tls-ca", description = "Mutual TLS on the mux port: PEM CA certificate(s) that "
            + "presenters' client certificates must chain to.")
    Path muxTlsCa;

    @Option(names = "--mux-tls-presenter-uri-prefix", defaultValue = "", description = "Mutual TLS on the mux port:"
            + " a presenter's certificate must also carry a URI name under this prefix (e.g."
            + " spiffe://chat.example/presenter/); empty (default) trusts any certificate from --mux-tls-ca.")
    String muxTlsPresenterUriPrefix;

    @Option(names = "--handover-key-file", description = "Session handover (issue 18): a file holding the key, "
            + "base64, of at least 32 bytes, that this fleet's chat servers (and nobody else: not the presenters, "
            + "not the token key) share to seal a moved couple's state. With it, a couple that moves (join, drain, "
            + "weight change) is handed over under the clients' open connections; without it (default) its "
            + "streams are reset SHARD_MOVED and the clients reconnect.")
    Path handoverKeyFile;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ChatServerCommand()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        CompletableFuture<Void> closed = new CompletableFuture<>();
        ChatServer server = start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            drain(server);
            // The JVM halts when hooks return: wait (bounded) for the main thread's clean close.
            closed.completeOnTimeout(null, drainTimeout.toSeconds() + 10, TimeUnit.SECONDS).join();
        }, "drain-on-sigterm"));
        try {
            log.info("drained, {} sessions left", drained.get());
        } finally {
            server.close();
            closed.complete(null);
        }
        return 0;
    }

    /** Starts the drain once, on SIGTERM or {@code POST /drain}; {@link #drained} completes after it. */
    private void drain(ChatServer server) {
        if (draining.compareAndSet(false, true)) {
            server.drain().whenComplete((left, error) -> {
                if (error != null) {
                    drained.completeExceptionally(error);
                } else {
                    drained.complete(left);
                }
            });
        }
    }

    /** Where the admin endpoint listens, once started with {@code --admin-port}. */
    InetSocketAddress adminAddress() {
        return admin.address();
    }

    /** Completes with the sessions left when a drain (SIGTERM or POST /drain) has ended. */
    CompletableFuture<Integer> drained() {
        return drained;
    }

    /** The mux door's mutual TLS from the three --mux-tls-* options, or null (plaintext) when none is given. */
    MuxTls muxTls() throws javax.net.ssl.SSLException {
        int given = (muxTlsCert == null ? 0 : 1) + (muxTlsKey == null ? 0 : 1) + (muxTlsCa == null ? 0 : 1);
        if (given == 0) {
            return null;
        }
        if (given != 3) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--mux-tls-cert, --mux-tls-key and --mux-tls-ca go together");
        }
        return MuxTls.server(muxTlsCert, muxTlsKey, muxTlsCa).withPeerNames(new MuxPeerNames(muxTlsPresenterUriPrefix));
    }

    /** Handover with the key in --handover-key-file, or off when it is not given. */
    HandoverConfig handover() throws java.io.IOException {
        if (handoverKeyFile == null) {
            return HandoverConfig.OFF;
        }
        byte[] key;
        try {
            key = java.util.Base64.getDecoder().decode(java.nio.file.Files.readString(handoverKeyFile).trim());
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--handover-key-file " + handoverKeyFile + " does not hold base64: " + e.getMessage());
        }
        if (key.length < HandoverConfig.MIN_KEY_BYTES) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--handover-key-file " + handoverKeyFile
                    + " holds " + key.length + " bytes, at least " + HandoverConfig.MIN_KEY_BYTES + " are needed");
        }
        return HandoverConfig.withKey(key);
    }

    /** Credentials and fleet ACLs from the --zk-* options; none of either when they are not given. */
    ZooKeeperAuth zooKeeperAuth() throws java.io.IOException {
        FleetAcl acl = new FleetAcl(zkAclPresenterId, zkAclChatServerId);
        return zkDigestFile == null ? new ZooKeeperAuth("", "", acl) : ZooKeeperAuth.fromFile(zkDigestFile, acl);
    }

    /** Starts the server the options describe, with token verification from the key file. */
    ChatServer start() throws Exception {
        if (!OpenSsl.isAvailable()) {
            throw new IllegalStateException("BoringSSL (netty-tcnative) did not load", OpenSsl.unavailabilityCause());
        }
        SslContext tls = SslContextBuilder.forServer(cert.toFile(), key.toFile())
                .sslProvider(SslProvider.OPENSSL).build();
        TokenKeys keys = TokenKeys.load(tokenKeys);
        TokenVerifier verifier = new TokenVerifier(keys, Clock.systemUTC(), TokenVerifier.DEFAULT_ALLOWED_SKEW);
        ChatServerConfig config = new ChatServerConfig(id, bind, advertise == null ? bind : advertise,
                directPort, muxPort, eventLoops, ClientPacketFrameDecoder.DEFAULT_MAX_PACKET_LENGTH,
                new ChatLimits(maxSessions, maxMessageBytes, maxPendingDeliveries), weight,
                zooKeeper == null ? null : ZooKeeperConfig.of(zooKeeper).withBasePath(zkBasePath).withAuth(zooKeeperAuth()),
                moveSpread, drainTimeout).withMuxTls(muxTls())
                .withPlaintextPort(plaintextPort == null ? ChatServerConfig.NO_PORT : plaintextPort)
                .withMaxStreamsPerConnection(maxStreamsPerConnection).withHandover(handover());
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        ChatServer server = ChatServer.start(config, tls, auth -> verifier.verify(auth).toAuthStatus(), registry,
                Transport.of(TransportChoice.fromConfig(transport)));
        KeyReloader.every(Duration.ofSeconds(30), keys);
        if (adminPort != null) {
            admin = AdminEndpoint.start(new InetSocketAddress(adminBind, adminPort), registry, () -> drain(server));
            server.closeFuture().thenRun(admin::close);
            log.info("admin on http://{}:{}/ (metrics, health, drain)", adminBind, admin.address().getPort());
        }
        return server;
    }
}
