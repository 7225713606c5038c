package io.presenter.gateway.config;

import static io.presenter.gateway.config.PresenterSettings.*;

import io.presenter.gateway.GatewaySettings;
import io.presenter.gateway.quic.QuicSettings;
import io.presenter.gateway.admin.AdminSettings;
import io.presenter.gateway.backend.ConnectBackoff;
import io.presenter.gateway.client.EdgeSettings;
import io.presenter.gateway.client.HandoverLimits;
import io.presenter.gateway.drain.DrainSettings;
import io.presenter.gateway.fleet.FleetSettings;
import io.presenter.gateway.handover.HandoverSettings;
import io.presenter.gateway.tls.TlsSettings;
import io.presenter.gateway.weight.RecordType;
import io.presenter.gateway.weight.WeightSettings;
import io.presenter.ring.FleetAcl;
import io.presenter.ring.ZooKeeperAuth;
import io.presenter.ring.ZooKeeperConfig;
import io.presenter.protocol.transport.TransportChoice;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A presenter's whole configuration, checked: what {@code presenter run} starts and
 * {@code presenter check-config} validates.
 *
 * @param tokenKeyFile token keys for edge verification, or null to leave it to the chat servers
 * @param firstRingTimeout how long the daemon waits for the first ring before it accepts clients
 * @param weight Route53 weight publishing; its addresses may still be {@code [instance-metadata]},
 *     which the daemon resolves at start from {@code instanceMetadataUrl}
 * @param backendTls mutual TLS files of the mux links, or null for plaintext
 * @param fleet the {@code fleet.*} settings (membership, the leader's record grace)
 * @param reloadWatchInterval how often watched files are compared for changes; zero: not watched
 * @param handover the listener handover to a successor process
 */
public record PresenterConfig(GatewaySettings gateway, TlsSettings tls, Path tokenKeyFile,
        Duration tokenKeyReloadInterval, Duration allowedSkew, ZooKeeperConfig zooKeeper, Duration firstRingTimeout,
        AdminSettings admin, DrainSettings drain, WeightSettings weight, URI instanceMetadataUrl,
        BackendTlsFiles backendTls, FleetSettings fleet, QuicSettings quic, Duration reloadWatchInterval,
        HandoverSettings handover) {

    /** This presenter's certificate and key for the mux links, and the CA chat servers' certificates chain to. */
    /** @param memberUriPrefix a chat server's certificate must name {@code <prefix><member id>}; empty: the CA alone */
    public record BackendTlsFiles(Path certificate, Path key, Path ca, String memberUriPrefix) {

        public BackendTlsFiles(Path certificate, Path key, Path ca) {
            this(certificate, key, ca, "");
        }
    }

    /** Reads {@code file} (or defaults when null) with the environment and {@code --set} overrides. */
    public static PresenterConfig load(Path file, Map<String, String> env, List<String> overrides)
            throws ConfigException {
        return from(ConfigValues.load(PresenterSettings.ALL, file, env, overrides));
    }

    /** Builds the settings; a cross-setting rule broken is reported like a bad value. */
    public static PresenterConfig from(ConfigValues v) throws ConfigException {
        try {
            String id = v.get(ID) != null ? v.get(ID) : hostName();
            int loops = v.get(EVENT_LOOPS) == 0 ? Runtime.getRuntime().availableProcessors() : v.get(EVENT_LOOPS);
            GatewaySettings gateway = GatewaySettings.builder(id)
                    .listenAddress(new InetSocketAddress(v.get(LISTEN_ADDRESS), v.get(LISTEN_PORT)))
                    .backlog(v.get(LISTEN_BACKLOG))
                    .tcpFastOpenQueue(v.get(LISTEN_TCP_FAST_OPEN))
                    .eventLoops(loops)
                    .transport(v.get(LISTEN_TRANSPORT))
                    .maxConnections(v.get(MAX_CONNECTIONS))
                    .maxConnectionsPerAddress(v.get(MAX_CONNECTIONS_PER_IP))
                    .authTimeout(v.get(AUTH_TIMEOUT))
                    .maxAuthPacketBytes(v.get(MAX_AUTH_PACKET_BYTES))
                    .idleTimeout(v.get(IDLE_TIMEOUT))
                    .connectionsPerLoop(v.get(BACKEND_CONNECTIONS_PER_LOOP))
                    .maxStreamsPerConnection(v.get(BACKEND_MAX_STREAMS_PER_CONNECTION))
                    .maxConnectionsPerLoop(v.get(BACKEND_MAX_CONNECTIONS_PER_LOOP))
                    .backendConnectTimeout(v.get(BACKEND_CONNECT_TIMEOUT))
                    .backendBackoff(new ConnectBackoff(v.get(BACKEND_BACKOFF_MIN), v.get(BACKEND_BACKOFF_MAX)))
                    .wrongShardRetries(v.get(BACKEND_WRONG_SHARD_RETRIES))
                    .ringCatchUp(v.get(BACKEND_RING_CATCH_UP))
                    .handover(new HandoverLimits(v.get(BACKEND_HANDOVER_REPLAY_SLACK), v.get(BACKEND_HANDOVER_REPLAY_MAX),
                            v.get(BACKEND_HANDOVER_TIMEOUT), v.get(BACKEND_HANDOVER_MAX_STATE)))
                    .edge(new EdgeSettings(v.get(LISTEN_PROXY_PROTOCOL), v.get(MAX_HANDSHAKE_RATE),
                            v.get(MAX_CONNECTION_RATE_PER_IP), v.get(MAX_CONNECTION_AGE),
                            v.get(MAX_CONNECTION_AGE_JITTER), v.get(DRAIN_CLOSE_RATE)))
                    .build();
            TlsSettings tls = new TlsSettings(v.get(TLS_CERTIFICATES), v.get(TLS_PROTOCOLS),
                    v.get(TLS_HANDSHAKE_TIMEOUT), TlsSettings.Engine.fromConfig(v.get(TLS_ENGINE)),
                    v.get(TLS_TICKET_KEY_FILE), v.get(TLS_TICKET_KEY_RELOAD_INTERVAL), v.get(TLS_SESSION_CACHE_SIZE),
                    v.get(TLS_SESSION_TIMEOUT), v.get(TLS_GROUPS),
                    TlsSettings.TicketKeySource.fromConfig(v.get(TLS_TICKET_KEY_SOURCE)), v.get(TLS_TICKET_KEY_ROTATION),
                    v.get(TLS_TICKET_KEY_ENCRYPTION_KEY_FILE));
            ZooKeeperConfig zooKeeper = ZooKeeperConfig.of(v.get(ZK_CONNECT)).withBasePath(v.get(ZK_BASE_PATH))
                    .withSessionTimeout(v.get(ZK_SESSION_TIMEOUT))
                    .withConnectionTimeout(v.get(ZK_CONNECTION_TIMEOUT))
                    .withAuth(zooKeeperAuth(v));
            AdminSettings admin = new AdminSettings(v.get(ADMIN_ENABLED),
                    new InetSocketAddress(v.get(ADMIN_ADDRESS), v.get(ADMIN_PORT)), v.get(ADMIN_TOKEN_FILE));
            Duration quiet = v.get(DRAIN_QUIET_PERIOD).isZero() ? v.get(WEIGHT_TTL).multipliedBy(2)
                    : v.get(DRAIN_QUIET_PERIOD);
            DrainSettings drain = new DrainSettings(quiet, v.get(DRAIN_MAX_TIME), v.get(DRAIN_CLOSE_RATE));
            List<RecordType> recordTypes = v.get(WEIGHT_RECORD_TYPES).stream().map(RecordType::fromConfig).toList();
            List<String> addresses = v.get(WEIGHT_ADDRESSES) == null ? List.of() : v.get(WEIGHT_ADDRESSES);
            WeightSettings weight = new WeightSettings(v.get(WEIGHT_ENABLED), v.get(WEIGHT_HOSTED_ZONE_ID),
                    v.get(WEIGHT_RECORD_NAME), recordTypes, addresses, v.get(WEIGHT_SET_IDENTIFIER),
                    v.get(WEIGHT_TTL), v.get(WEIGHT_INTERVAL), v.get(WEIGHT_REFRESH_INTERVAL), v.get(WEIGHT_JITTER),
                    v.get(WEIGHT_THRESHOLD), v.get(WEIGHT_MAX), v.get(WEIGHT_CAPACITY), v.get(WEIGHT_CPU_TARGET),
                    v.get(WEIGHT_SMOOTHING), v.get(WEIGHT_ENDPOINT) == null ? null : URI.create(v.get(WEIGHT_ENDPOINT)),
                    v.get(WEIGHT_REGION));
            QuicSettings quic = quic(v, tls);
            HandoverSettings handover = new HandoverSettings(v.get(HANDOVER_SOCKET), v.get(HANDOVER_DRAIN_WINDOW));
            if (quic.enabled() && handover.enabled()) {
                // The handover passes the TCP listener only: the successor could not bind the UDP port.
                throw new ConfigException("quic.enabled and handover.socket cannot be used together yet: the listener"
                        + " handover passes the TCP listener only");
            }
            if (handover.enabled() && (gateway.transport() == TransportChoice.IO_URING
                    || gateway.transport() == TransportChoice.NIO)) {
                // Only epoll's server channel can be built on a descriptor received from the predecessor.
                throw new ConfigException("handover.socket needs the epoll transport, but listen.transport is "
                        + gateway.transport().configValue() + ": use auto or epoll, or leave handover.socket unset");
            }
            return new PresenterConfig(gateway, tls, v.get(AUTH_TOKEN_KEY_FILE), v.get(AUTH_TOKEN_KEY_RELOAD_INTERVAL),
                    v.get(AUTH_ALLOWED_SKEW), zooKeeper, v.get(ZK_FIRST_RING_TIMEOUT), admin, drain, weight,
                    URI.create(v.get(WEIGHT_INSTANCE_METADATA_URL)), backendTls(v), fleet(v, weight), quic,
                    v.get(RELOAD_WATCH_INTERVAL), handover);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
    }

    /** Credentials from zookeeper.digest-file and the fleet ACL ids; ACLs on need credentials. */
    private static ZooKeeperAuth zooKeeperAuth(ConfigValues v) throws ConfigException {
        FleetAcl acl = new FleetAcl(v.get(ZK_ACL_PRESENTER_ID), v.get(ZK_ACL_CHAT_SERVER_ID));
        Path file = v.get(ZK_DIGEST_FILE);
        if (file == null) {
            if (acl.enabled()) {
                throw new ConfigException("zookeeper.acl-* is set but zookeeper.digest-file is not: with fleet ACLs on,"
                        + " ZooKeeper refuses a presenter without its credentials");
            }
            return ZooKeeperAuth.NONE;
        }
        try {
            return ZooKeeperAuth.fromFile(file, acl);
        } catch (java.io.IOException e) {
            throw new ConfigException("zookeeper.digest-file " + file + " cannot be read: " + e);
        }
    }

    private static FleetSettings fleet(ConfigValues v, WeightSettings weight) {
        return new FleetSettings(v.get(FLEET_LOAD_THRESHOLD), v.get(FLEET_NODE_REFRESH_INTERVAL),
                v.get(FLEET_READY_REACHABLE_FRACTION), v.get(FLEET_RECORD_GRACE), v.get(FLEET_LEADERLESS_DRAIN_AFTER))
                .checkedAgainst(weight.ttl());
    }

    private static QuicSettings quic(ConfigValues v, TlsSettings tls) {
        return new QuicSettings(v.get(QUIC_ENABLED), v.get(QUIC_PORT), v.get(QUIC_EARLY_DATA),
                QuicSettings.Retry.fromConfig(v.get(QUIC_RETRY)), v.get(QUIC_RETRY_ABOVE_HANDSHAKES),
                v.get(QUIC_STREAM_WINDOW), v.get(QUIC_CONNECTION_WINDOW), tls.certificates().get(0));
    }

    private static BackendTlsFiles backendTls(ConfigValues v) {
        List<Path> files = java.util.Arrays.asList(v.get(BACKEND_TLS_CERTIFICATE), v.get(BACKEND_TLS_KEY),
                v.get(BACKEND_TLS_CA));
        if (files.stream().allMatch(java.util.Objects::isNull)) {
            return null;
        }
        if (files.stream().anyMatch(java.util.Objects::isNull)) {
            throw new IllegalArgumentException("backend.tls-certificate, backend.tls-key and backend.tls-ca go together: "
                    + "set all three for mutual TLS, or none for plaintext");
        }
        return new BackendTlsFiles(files.get(0), files.get(1), files.get(2), v.get(BACKEND_TLS_MEMBER_URI_PREFIX));
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("presenter.id is not set and the host name is unknown: " + e.getMessage());
        }
    }
}
