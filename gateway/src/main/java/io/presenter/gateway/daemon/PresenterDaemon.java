package io.presenter.gateway.daemon;

import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.presenter.gateway.PresenterServer;
import io.presenter.gateway.admin.AdminServer;
import io.presenter.gateway.backend.BackendTls;
import io.presenter.gateway.config.ConfigSource;
import io.presenter.gateway.config.ConfigValues;
import io.presenter.gateway.config.PresenterConfig;
import io.presenter.gateway.drain.DrainController;
import io.presenter.gateway.drain.DrainStatus;
import io.presenter.gateway.fleet.tickets.FleetTicketKeys;
import io.presenter.gateway.lifecycle.PublicAddresses;
import io.presenter.gateway.tls.ServerTls;
import io.presenter.gateway.tls.ServerTlsContextFactory;
import io.presenter.gateway.tls.TlsSettings;
import io.presenter.gateway.fleet.FleetLoop;
import io.presenter.gateway.fleet.PresenterReadiness;
import io.presenter.gateway.handover.ListenerHandover;
import io.presenter.gateway.handover.ListenerTakeover;
import io.presenter.gateway.reload.ConfigReloader;
import io.presenter.gateway.reload.FileWatch;
import io.presenter.gateway.reload.ReloadOutcome;
import io.presenter.gateway.tls.TicketKeys;
import io.presenter.gateway.weight.DefaultLoadProbe;
import io.presenter.gateway.weight.Route53WeightPublisher;
import io.presenter.gateway.weight.WeightSettings;
import io.presenter.protocol.auth.TokenKeys;
import io.presenter.protocol.auth.TokenVerifier;
import io.presenter.protocol.mux.MuxPeerNames;
import io.presenter.protocol.mux.MuxTls;
import io.presenter.ring.RingSnapshot;
import io.presenter.ring.FleetAccessCheck;
import io.presenter.ring.FleetRole;
import io.presenter.ring.ZooKeeperClients;
import io.presenter.ring.ZooKeeperShardDirectory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Optional;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.apache.curator.framework.CuratorFramework;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.route53.Route53Client;

/**
 * A whole presenter process built from its config: metrics, the ring from ZooKeeper, client TLS,
 * edge token checks, the client listener and backend pool, weight publishing, the drain and the
 * admin endpoint. {@link #close()} stops everything in reverse order.
 */
public final class PresenterDaemon implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PresenterDaemon.class);

    /** How long a handover exchange may take before the new process gives up (and does not start). */
    static final Duration HANDOVER_TIMEOUT = Duration.ofSeconds(30);

    private final PresenterConfig config;
    private final ConfigSource source;
    private final ConfigValues values;
    private final ServerTlsContextFactory tlsFactory = new ServerTlsContextFactory();
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ScheduledExecutorService housekeeping = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "presenter-housekeeping");
        thread.setDaemon(true);
        return thread;
    });
    /** What to close, last started first. */
    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private ZooKeeperShardDirectory directory;
    private PresenterServer server;
    private volatile DrainController drain;
    private volatile FleetLoop fleet;
    private PresenterReadiness readiness;
    private AdminServer admin;
    private ServerTls tls;
    private TokenKeys tokenKeys;
    private ConfigReloader reloader;
    private AutoCloseable fileWatch = () -> { };
    private ListenerHandover handover;

    private PresenterDaemon(PresenterConfig config, ConfigSource source, ConfigValues values) {
        this.config = config;
        this.source = source;
        this.values = values;
    }

    /**
     * Starts every part from {@code config}; on failure, closes what had started and rethrows. A
     * reload re-reads only the files the config names (certificates, keys, token keys): the config
     * object cannot be read again.
     */
    public static PresenterDaemon start(PresenterConfig config) throws Exception {
        return start(new PresenterDaemon(config, null, null));
    }

    /** Starts every part from the config {@code source}, which a reload reads again. */
    public static PresenterDaemon start(ConfigSource source) throws Exception {
        ConfigValues values = source.values();
        return start(new PresenterDaemon(PresenterConfig.from(values), source, values));
    }

    /**
     * Checks a candidate config the way a reload does, without starting anything: builds the TLS
     * context (every certificate parsed, checked against its key and for expiry) and reads the
     * token and ticket key files.
     *
     * @throws Exception what is wrong, in its message
     */
    public static void check(PresenterConfig candidate) throws Exception {
        new ServerTlsContextFactory().newContext(candidate.tls());
        if (candidate.tokenKeyFile() != null) {
            TokenKeys.load(candidate.tokenKeyFile());
        }
        if (candidate.tls().ticketKeyFile() != null) {
            TicketKeys.load(candidate.tls().ticketKeyFile());
        }
    }

    private static PresenterDaemon start(PresenterDaemon daemon) throws Exception {
        try {
            daemon.startParts();
            return daemon;
        } catch (Exception | Error e) {
            daemon.close();
            throw e;
        }
    }

    private void startParts() throws Exception {
        // Looked up here rather than when the config is read, and before anything binds: a presenter
        // that cannot tell its own address must not take clients it could not weigh in DNS.
        WeightSettings weightSettings = PublicAddresses.resolve(config.weight(), config.instanceMetadataUrl());
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        started.push(housekeeping::shutdownNow);

        tls = tlsFactory.create(config.tls(), registry);
        started.push(tls);
        TokenVerifier verifier = tokenVerifier();

        CuratorFramework curator = ZooKeeperClients.start(config.zooKeeper(), registry);
        started.push(curator);
        FleetAccessCheck.verify(curator, config.zooKeeper(), FleetRole.PRESENTER, registry);
        startFleetTicketKeys(curator, tls);
        directory = new ZooKeeperShardDirectory(curator, config.zooKeeper().basePath(), registry);
        directory.start();
        started.push(directory);
        awaitFirstRing();

        BackendTls backendTls = config.backendTls() == null ? BackendTls.PLAINTEXT
                : BackendTls.mutual(MuxTls.client(config.backendTls().certificate(), config.backendTls().key(),
                        config.backendTls().ca()).withPeerNames(new MuxPeerNames(config.backendTls().memberUriPrefix())));
        log.info(backendTls == BackendTls.PLAINTEXT ? "mux links to chat servers are plaintext (no backend.tls-*)"
                : "mux links to chat servers use mutual TLS");
        Optional<ListenerTakeover> takeover = config.handover().enabled()
                ? ListenerTakeover.take(config.handover().socket(), HANDOVER_TIMEOUT) : Optional.empty();
        if (takeover.isPresent()) {
            try (ListenerTakeover handed = takeover.get()) {
                server = PresenterServer.adopt(config.gateway(), tls, directory, verifier, backendTls, registry,
                        handed.listenerFd());
                started.push(server);
                handed.confirm();
            }
        } else {
            server = PresenterServer.start(config.gateway(), tls, directory, verifier, backendTls, registry);
            started.push(server);
        }
        if (config.quic().enabled()) {
            server.startQuic(config.quic());
        } else {
            log.info("QUIC off (quic.enabled: false)");
        }

        // One readiness answers both /ready and this presenter's fleet node, so they never disagree.
        readiness = new PresenterReadiness(server::listening,
                () -> directory.firstRing().toCompletableFuture().isDone(), directory, server.backends(),
                () -> drain != null && drain.isDraining(), config.fleet().readyReachableFraction());
        Route53Client route53 = weightSettings.enabled() ? Route53WeightPublisher.newClient(weightSettings) : null;
        if (route53 != null) {
            started.push(route53);
        }
        fleet = FleetLoop.start(config.fleet(), weightSettings, config.gateway().presenterId(), curator,
                config.zooKeeper().basePath(), readiness, new DefaultLoadProbe(server.connections()::active,
                        weightSettings.capacityOr(config.gateway().maxConnections())), route53, registry);
        started.push(fleet);
        drain = new DrainController(config.drain(), server.connections(), fleet::drain, housekeeping,
                System::nanoTime, registry);

        reloader = new ConfigReloader(source, values, config, this::prepareReload, registry, Clock.systemUTC());
        fileWatch = FileWatch.start(reloader, housekeeping, config.reloadWatchInterval());
        started.push(fileWatch);

        if (config.admin().enabled()) {
            admin = AdminServer.start(config.admin().address(), registry, this::notReadyReason, drain, adminToken());
            admin.serveReload(reloader);
            started.push(admin);
            log.info("admin on http://{}:{}/ (health, ready, metrics, drain, reload)",
                    admin.address().getHostString(), admin.address().getPort());
        }

        if (config.handover().enabled()) {
            if (server.listenerFd() == null) {
                throw new IllegalStateException("handover.socket needs the epoll transport; this presenter runs on "
                        + server.transport());
            }
            handover = ListenerHandover.offer(config.handover().socket(), server.acceptorGroup(), server::listenerFd,
                    () -> !drain.isDraining(), this::stepDown, housekeeping);
            started.push(handover);
        }
    }

    /**
     * Checks {@code candidate} completely (a new TLS context from its certificate files, its token
     * key file) and returns what swaps it in: new handshakes get the new context, new connections
     * the new limits, the drain its new knobs; nothing open is touched.
     */
    private Runnable prepareReload(PresenterConfig candidate) throws Exception {
        io.netty.handler.ssl.SslContext next = tlsFactory.newContext(candidate.tls());
        if (candidate.tokenKeyFile() != null) {
            TokenKeys.load(candidate.tokenKeyFile());
        }
        return () -> {
            tls.swap(next, candidate.tls().handshakeTimeout());
            if (tokenKeys != null) {
                try {
                    tokenKeys.reload();
                } catch (IOException e) {
                    log.warn("token keys not reloaded from {}, keeping the current ones: {}", candidate.tokenKeyFile(),
                            e.getMessage());
                }
            }
            server.applyLive(candidate.gateway());
            drain.settings(candidate.drain());
        };
    }

    /**
     * The successor accepts on the listener: stop accepting (this process's descriptor only; the
     * socket stays open in the successor), free the admin port for it, leave its fleet node and
     * the weight to it (not zeroed: the successor registers the same presenter id), and close the
     * clients here spread over
     * {@code handover.drain-window}. The process exits 0 when the last is gone.
     */
    private void stepDown() {
        server.stopAccepting();
        if (admin != null) {
            admin.close();
        }
        fleet.close();
        try {
            fileWatch.close();
        } catch (Exception e) {
            log.warn("while stopping the file watch: {}", e.toString());
        }
        drain.handOver(reloader.running().handover().drainWindow());
    }

    /** Reloads the config now (SIGHUP, {@code POST /reload}, a test); never throws. */
    public ReloadOutcome reload(String trigger) {
        return reloader.reload(trigger);
    }

    /** With {@code tls.ticket-key-source: zookeeper}: watch (and, as leader, write) the fleet's ticket keys. */
    private void startFleetTicketKeys(CuratorFramework curator, ServerTls tls) throws Exception {
        if (config.tls().ticketKeySource() != TlsSettings.TicketKeySource.ZOOKEEPER) {
            return;
        }
        // The keys are watched before the listener binds, so the first tickets already use the fleet's
        // keys; the leader (the same one that writes Route53) is elected later, by the fleet loop.
        BooleanSupplier isLeader = () -> fleet != null && fleet.leadership().isLeader();
        started.push(FleetTicketKeys.start(curator, config.zooKeeper().basePath(), config.tls(),
                tls.ticketKeyInstaller().orElseThrow(), isLeader, registry));
    }

    /**
     * Waits, for {@code zookeeper.first-ring-timeout} at most, for the ring, so that the first
     * clients are routed rather than refused as {@code no_shard}. A presenter that cannot read
     * ZooKeeper yet starts anyway (its admin endpoint must answer) and is not ready until it can.
     */
    private void awaitFirstRing() throws InterruptedException {
        try {
            RingSnapshot ring = directory.firstRing().toCompletableFuture()
                    .get(config.firstRingTimeout().toNanos(), TimeUnit.NANOSECONDS);
            log.info("ring version {} with {} member(s) read from ZooKeeper", ring.version(), ring.members().size());
        } catch (TimeoutException e) {
            log.warn("no ring from ZooKeeper after {} (zookeeper.first-ring-timeout): accepting clients anyway, "
                    + "not ready until a ring arrives", config.firstRingTimeout());
        } catch (ExecutionException e) {
            log.warn("reading the first ring failed, not ready until a ring arrives: {}", e.getCause().toString());
        }
    }

    private TokenVerifier tokenVerifier() throws IOException {
        if (config.tokenKeyFile() == null) {
            log.info("no auth.token-key-file: tokens are checked by the chat servers only");
            return TokenVerifier.ACCEPT_ALL;
        }
        TokenKeys keys = TokenKeys.load(config.tokenKeyFile());
        tokenKeys = keys;
        long period = config.tokenKeyReloadInterval().toMillis();
        housekeeping.scheduleWithFixedDelay(() -> {
            try {
                keys.reload();
            } catch (IOException | RuntimeException e) {
                log.warn("token keys not reloaded from {}, keeping the current ones: {}", config.tokenKeyFile(),
                        e.getMessage());
            }
        }, period, period, TimeUnit.MILLISECONDS);
        log.info("verifying tokens at the edge with keys {} from {}", keys.keyIds(), config.tokenKeyFile());
        return new TokenVerifier(keys, Clock.systemUTC(), config.allowedSkew());
    }

    private String adminToken() throws IOException {
        if (config.admin().tokenFile() == null) {
            return null;
        }
        String token = Files.readString(config.admin().tokenFile(), StandardCharsets.UTF_8).strip();
        if (token.length() < 16) {
            throw new IOException("admin.token-file " + config.admin().tokenFile() + " holds fewer than 16 characters");
        }
        return token;
    }

    /** Null when ready for clients, else why not. */
    private String notReadyReason() {
        if (handover != null && handover.handedOver()) {
            return "handed over to a successor";
        }
        return readiness.notReadyReason();
    }

    /** Starts the drain (SIGTERM, POST /drain, the lifecycle hook); idempotent. */
    public DrainStatus drain() {
        return drain.start();
    }

    /** Completes when a drain has finished. */
    public CompletableFuture<Void> drained() {
        return drain.drained();
    }

    public PresenterServer server() {
        return server;
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The admin endpoint's address, when enabled. */
    public InetSocketAddress adminAddress() {
        return admin == null ? null : admin.address();
    }

    @Override
    public synchronized void close() {
        while (!started.isEmpty()) {
            try {
                started.pop().close();
            } catch (Exception e) {
                log.warn("while stopping: {}", e.toString());
            }
        }
    }
}
