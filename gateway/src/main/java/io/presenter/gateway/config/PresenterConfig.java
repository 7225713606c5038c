package io.presenter.gateway.config;

import static io.presenter.gateway.config.PresenterSettings.*;

import io.presenter.gateway.GatewaySettings;
import io.presenter.gateway.admin.AdminSettings;
import io.presenter.gateway.backend.ConnectBackoff;
import io.presenter.gateway.drain.DrainSettings;
import io.presenter.gateway.handover.HandoverSettings;
import io.presenter.gateway.tls.TlsSettings;
import io.presenter.gateway.weight.RecordType;
import io.presenter.gateway.weight.WeightSettings;
import io.presenter.ring.ZooKeeperConfig;
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
 * @param reloadWatchInterval how often watched files are compared for changes; zero: not watched
 * @param handover the listener handover to a successor process
 */
public record PresenterConfig(GatewaySettings gateway, TlsSettings tls, Path tokenKeyFile,
        Duration tokenKeyReloadInterval, Duration allowedSkew, ZooKeeperConfig zooKeeper, Duration firstRingTimeout,
        AdminSettings admin, DrainSettings drain, WeightSettings weight, URI instanceMetadataUrl,
        BackendTlsFiles backendTls, Duration reloadWatchInterval, HandoverSettings handover) {

    /** This presenter's certificate and key for the mux links, and the CA chat servers' certificates chain to. */
    public record BackendTlsFiles(Path certificate, Path key, Path ca) {}

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
                    .eventLoops(loops)
                    .maxConnections(v.get(MAX_CONNECTIONS))
                    .maxConnectionsPerAddress(v.get(MAX_CONNECTIONS_PER_IP))
                    .authTimeout(v.get(AUTH_TIMEOUT))
                    .maxAuthPacketBytes(v.get(MAX_AUTH_PACKET_BYTES))
                    .idleTimeout(v.get(IDLE_TIMEOUT))
                    .connectionsPerLoop(v.get(BACKEND_CONNECTIONS_PER_LOOP))
                    .backendConnectTimeout(v.get(BACKEND_CONNECT_TIMEOUT))
                    .backendBackoff(new ConnectBackoff(v.get(BACKEND_BACKOFF_MIN), v.get(BACKEND_BACKOFF_MAX)))
                    .wrongShardRetries(v.get(BACKEND_WRONG_SHARD_RETRIES))
                    .ringCatchUp(v.get(BACKEND_RING_CATCH_UP))
                    .build();
            TlsSettings tls = new TlsSettings(v.get(TLS_CERTIFICATES), v.get(TLS_PROTOCOLS),
                    v.get(TLS_HANDSHAKE_TIMEOUT), TlsSettings.Engine.fromConfig(v.get(TLS_ENGINE)),
                    v.get(TLS_TICKET_KEY_FILE), v.get(TLS_TICKET_KEY_RELOAD_INTERVAL), v.get(TLS_SESSION_CACHE_SIZE),
                    v.get(TLS_SESSION_TIMEOUT), v.get(TLS_GROUPS));
            ZooKeeperConfig zooKeeper = ZooKeeperConfig.of(v.get(ZK_CONNECT)).withBasePath(v.get(ZK_BASE_PATH))
                    .withSessionTimeout(v.get(ZK_SESSION_TIMEOUT))
                    .withConnectionTimeout(v.get(ZK_CONNECTION_TIMEOUT));
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
            return new PresenterConfig(gateway, tls, v.get(AUTH_TOKEN_KEY_FILE), v.get(AUTH_TOKEN_KEY_RELOAD_INTERVAL),
                    v.get(AUTH_ALLOWED_SKEW), zooKeeper, v.get(ZK_FIRST_RING_TIMEOUT), admin, drain, weight,
                    URI.create(v.get(WEIGHT_INSTANCE_METADATA_URL)), backendTls(v), v.get(RELOAD_WATCH_INTERVAL),
                    new HandoverSettings(v.get(HANDOVER_SOCKET), v.get(HANDOVER_DRAIN_WINDOW)));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
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
        return new BackendTlsFiles(files.get(0), files.get(1), files.get(2));
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("presenter.id is not set and the host name is unknown: " + e.getMessage());
        }
    }
}
