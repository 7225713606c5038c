package io.presenter.gateway.config;

import static io.presenter.gateway.config.Setting.bool;
import static io.presenter.gateway.config.Setting.duration;
import static io.presenter.gateway.config.Setting.fraction;
import static io.presenter.gateway.config.Setting.integer;
import static io.presenter.gateway.config.Setting.path;
import static io.presenter.gateway.config.Setting.string;
import static io.presenter.gateway.config.Setting.stringList;

import io.presenter.gateway.GatewaySettings;
import io.presenter.gateway.client.AuthStage;
import io.presenter.gateway.client.EdgeSettings;
import io.presenter.gateway.client.HandoverLimits;
import io.presenter.gateway.client.ProxyProtocol;
import io.presenter.gateway.backend.ConnectBackoff;
import io.presenter.gateway.fleet.FleetSettings;
import io.presenter.gateway.quic.QuicSettings;
import io.presenter.gateway.tls.TlsSettings;
import io.presenter.gateway.tls.TlsSettings.CertificateFiles;
import io.presenter.protocol.auth.TokenVerifier;
import io.presenter.protocol.transport.TransportChoice;
import io.presenter.ring.ZooKeeperConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Every setting of the presenter's config file, in the order {@code deploy/presenter.example.yaml}
 * lists them. This is the schema: a key not here is an error, and a test checks the example file
 * against it.
 */
public final class PresenterSettings {

    private PresenterSettings() {}

    public static final Setting<String> ID = string("presenter.id", null,
            "This presenter's name: its ring peer id, its Route53 set identifier. Default: the host name.");

    public static final Setting<String> LISTEN_ADDRESS = string("listen.address", "0.0.0.0",
            "Address the client TLS listener binds.");
    public static final Setting<Integer> LISTEN_PORT = integer("listen.port", 7443, 0, 65_535,
            "Client TLS port (0 picks a free one).");
    public static final Setting<Integer> LISTEN_BACKLOG = integer("listen.backlog", 4096, 1, 1 << 20,
            "Accept queue length (SO_BACKLOG). The kernel silently caps it at net.core.somaxconn: raise both.");
    public static final Setting<Integer> LISTEN_TCP_FAST_OPEN = integer("listen.tcp-fast-open",
            GatewaySettings.DEFAULT_TCP_FAST_OPEN_QUEUE, 0, 1 << 20,
            "TCP Fast Open queue of the client listener (epoll and io_uring, not nio); 0 disables TFO. The kernel must allow "
                    + "server TFO too: net.ipv4.tcp_fastopen = 3 (deploy/sysctl).");
    public static final Setting<Integer> EVENT_LOOPS = integer("listen.event-loops", 0, 0, 1024,
            "Event loop threads shared by clients and chat-server connections; 0 means one per core.");
    public static final Setting<TransportChoice> LISTEN_TRANSPORT = Setting.custom("listen.transport",
            TransportChoice.AUTO, TransportChoice.AUTO.configValue(),
            value -> TransportChoice.fromConfig(Setting.text(value)),
            "Socket transport of the client listener and the chat-server connections: auto (native epoll, else "
                    + "NIO), epoll, io_uring or nio. One that cannot run here stops the start. io_uring does "
                    + "everything epoll does except handover.socket (BENCHMARKS.md compares the two).");
    public static final Setting<ProxyProtocol> LISTEN_PROXY_PROTOCOL = Setting.custom("listen.proxy-protocol",
            ProxyProtocol.OFF, ProxyProtocol.OFF.configValue(), value -> ProxyProtocol.fromConfig(Setting.text(value)),
            "off, required or optional: a PROXY protocol v1/v2 header before TLS names the end client (behind "
                    + "a network load balancer such as AWS NLB with proxy protocol v2 on). required: a connection "
                    + "without one is refused. optional lets any client that reaches the port directly claim any "
                    + "address: only while moving clients onto the balancer.");

    public static final Setting<Boolean> QUIC_ENABLED = bool("quic.enabled", false,
            "Also listen for QUIC (UDP), ALPN presenter/1: one bidirectional stream carries one client session "
                    + "(README, QUIC transport). Uses the first of tls.certificates.");
    public static final Setting<Integer> QUIC_PORT = integer("quic.port", QuicSettings.SAME_AS_TCP, -1, 65_535,
            "UDP port of the QUIC listener; -1: the same number as listen.port; 0 picks a free one.");
    public static final Setting<Boolean> QUIC_EARLY_DATA = bool("quic.early-data", true,
            "Accept 0-RTT from returning clients: only the auth packet is processed before the handshake ends.");
    public static final Setting<String> QUIC_RETRY = string("quic.retry", QuicSettings.Retry.UNDER_LOAD.configValue(),
            "Address validation with a Retry round trip: always, never, or under-load (while more than "
                    + "quic.retry-above-handshakes handshakes are in flight, e.g. a flood of spoofed Initials).");
    public static final Setting<Integer> QUIC_RETRY_ABOVE_HANDSHAKES = integer("quic.retry-above-handshakes",
            QuicSettings.DEFAULT_RETRY_ABOVE_HANDSHAKES, 0, Integer.MAX_VALUE,
            "Handshakes in flight above which quic.retry: under-load demands a Retry.");
    public static final Setting<Integer> QUIC_STREAM_WINDOW = integer("quic.stream-window-bytes",
            (int) QuicSettings.DEFAULT_STREAM_WINDOW_BYTES, 1024, 1 << 30,
            "Flow-control window of a client's session stream (QUIC bytes in flight per direction).");
    public static final Setting<Integer> QUIC_CONNECTION_WINDOW = integer("quic.connection-window-bytes",
            (int) QuicSettings.DEFAULT_CONNECTION_WINDOW_BYTES, 1024, 1 << 30,
            "Flow-control window of a whole QUIC connection; at least quic.stream-window-bytes.");

    public static final Setting<Integer> MAX_CONNECTIONS = integer("limits.max-connections",
            GatewaySettings.DEFAULT_MAX_CONNECTIONS, 1, Integer.MAX_VALUE,
            "Client connections beyond which new ones are closed at accept, before any TLS work. Keep it "
                    + "under the process's open-file limit.");
    public static final Setting<Integer> MAX_CONNECTIONS_PER_IP = integer("limits.max-connections-per-ip",
            GatewaySettings.DEFAULT_MAX_CONNECTIONS_PER_ADDRESS, 0, Integer.MAX_VALUE,
            "Client connections from one source IP; 0 disables the limit. Mobile carriers put many clients "
                    + "behind one address (CGNAT), so keep it generous.");
    public static final Setting<Duration> AUTH_TIMEOUT = duration("limits.auth-timeout",
            AuthStage.DEFAULT_AUTH_TIMEOUT,
            "Time from the end of the TLS handshake (tls.handshake-timeout bounds that) to a routed auth packet.");
    public static final Setting<Integer> MAX_AUTH_PACKET_BYTES = integer("limits.max-auth-packet-bytes",
            AuthStage.DEFAULT_MAX_AUTH_PACKET_BYTES, 16, 1 << 20,
            "Largest auth packet, length prefix included; a longer one is rejected before it is read.");
    public static final Setting<Duration> IDLE_TIMEOUT = duration("limits.idle-timeout",
            GatewaySettings.DEFAULT_IDLE_TIMEOUT,
            "A client connection with no bytes either way for this long is closed. Longer than the "
                    + "clients' ping interval; 0s disables it.");
    public static final Setting<Integer> MAX_HANDSHAKE_RATE = integer("limits.max-handshake-rate", 0, 0, 10_000_000,
            "New connections (each a TLS handshake) per second above which new ones are closed at accept, before "
                    + "any TLS work, so the handshakes already started finish (HAProxy's maxsslrate). Set it near "
                    + "the machine's measured handshake capacity; 0 disables it.");
    public static final Setting<Integer> MAX_CONNECTION_RATE_PER_IP = integer("limits.max-connection-rate-per-ip", 0,
            0, 10_000_000, "New connections per second from one source IP (the end client's behind a PROXY "
                    + "header) above which new ones are closed at accept. Carriers put many clients behind one "
                    + "address (CGNAT): keep it generous. 0 disables it.");
    public static final Setting<Duration> MAX_CONNECTION_AGE = duration("limits.max-connection-age", Duration.ZERO,
            "A client connection older than this (± the jitter) is closed, at most drain.close-rate a second, "
                    + "so long-lived clients reconnect through DNS and spread onto presenters a scale-out added. "
                    + "0s disables it.");
    public static final Setting<Double> MAX_CONNECTION_AGE_JITTER = fraction("limits.max-connection-age-jitter",
            EdgeSettings.DEFAULT_AGE_JITTER, "Each connection's maximum age differs from limits.max-connection-age "
                    + "by up to this fraction either way (gRPC's ±10%), so connections made together close apart.");

    public static final Setting<List<CertificateFiles>> TLS_CERTIFICATES = Setting.custom("tls.certificates",
            null, null, PresenterSettings::certificates,
            "One or two {chain, key} PEM file pairs (e.g. ECDSA and RSA); each client gets the one it "
                    + "supports. As an override: chain.pem:key.pem[,chain2.pem:key2.pem].").required();
    public static final Setting<List<String>> TLS_PROTOCOLS = stringList("tls.protocols",
            TlsSettings.DEFAULT_PROTOCOLS, "TLSv1.3 and/or TLSv1.2; nothing older is accepted.");
    public static final Setting<Duration> TLS_HANDSHAKE_TIMEOUT = duration("tls.handshake-timeout",
            TlsSettings.DEFAULT_HANDSHAKE_TIMEOUT, "A handshake not finished by then is closed and counted.");
    public static final Setting<String> TLS_ENGINE = string("tls.engine", TlsSettings.Engine.OPENSSL.configValue(),
            "openssl (netty-tcnative BoringSSL) or jdk. The daemon refuses to start when BoringSSL cannot "
                    + "load, unless jdk is chosen here.");
    public static final Setting<Path> TLS_TICKET_KEY_FILE = path("tls.ticket-key-file",
            "Session ticket keys shared by every presenter behind the DNS name (first line encrypts, all "
                    + "decrypt; format in gateway/TLS.md). The daemon does not start if it is missing or "
                    + "malformed. None: process-local keys (resumption only on this process). Ignored by "
                    + "engine jdk.");
    public static final Setting<Duration> TLS_TICKET_KEY_RELOAD_INTERVAL = duration("tls.ticket-key-reload-interval",
            TlsSettings.DEFAULT_TICKET_KEY_RELOAD_INTERVAL, "How often the running daemon re-reads the ticket "
                    + "key file; keys that changed are swapped in without a restart. A file broken or missing at "
                    + "a re-read keeps the keys in use (one log line, counted in "
                    + "presenter.tls.ticket.key.reloads{result=failed}).");
    public static final Setting<String> TLS_TICKET_KEY_SOURCE = string("tls.ticket-key-source",
            TlsSettings.TicketKeySource.FILE.configValue(),
            "file: tls.ticket-key-file (or process-local keys without it). zookeeper: fleet-wide keys the "
                    + "leader generates and rotates in ZooKeeper (<zookeeper.base-path>/fleet/ticket-keys), sealed "
                    + "with tls.ticket-key-encryption-key-file; see gateway/TLS.md.");
    public static final Setting<Duration> TLS_TICKET_KEY_ROTATION = duration("tls.ticket-key-rotation",
            TlsSettings.DEFAULT_TICKET_KEY_ROTATION, "With ticket-key-source zookeeper: how long each fleet key "
                    + "encrypts; it is installed one rotation before and decrypts for tls.session-timeout after. "
                    + "The leader's value wins; give every presenter the same.");
    public static final Setting<Path> TLS_TICKET_KEY_ENCRYPTION_KEY_FILE = path("tls.ticket-key-encryption-key-file",
            "With ticket-key-source zookeeper (required then): a local file holding the base64 of 32 random bytes, "
                    + "the same on every presenter, mode 0600. The schedule is AES-256-GCM sealed under it in "
                    + "ZooKeeper.");
    public static final Setting<Integer> TLS_SESSION_CACHE_SIZE = integer("tls.session-cache-size",
            TlsSettings.DEFAULT_SESSION_CACHE_SIZE, 0, 10_000_000,
            "Server-side sessions kept for TLS 1.2 session-id resumption; 0 disables the cache.");
    public static final Setting<Duration> TLS_SESSION_TIMEOUT = duration("tls.session-timeout",
            TlsSettings.DEFAULT_SESSION_TIMEOUT, "How long a session (cache entry or ticket) may be resumed.");
    public static final Setting<List<String>> TLS_GROUPS = stringList("tls.groups", List.of(),
            "Key exchange groups in preference order, e.g. [X25519, P-256]. Empty: BoringSSL's default, "
                    + "post-quantum X25519MLKEM768 first, which costs ~70 us of CPU per TLS 1.3 handshake (see gateway/TLS.md).");

    public static final Setting<Path> AUTH_TOKEN_KEY_FILE = path("auth.token-key-file",
            "Token keys (id = base64 lines, signing = id) to verify tokens at the edge, re-read "
                    + "periodically. None: the chat servers alone verify tokens.");
    public static final Setting<Duration> AUTH_TOKEN_KEY_RELOAD_INTERVAL = duration("auth.token-key-reload-interval",
            Duration.ofSeconds(30), "How often the token key file is re-read.");
    public static final Setting<Duration> AUTH_ALLOWED_SKEW = duration("auth.allowed-skew",
            TokenVerifier.DEFAULT_ALLOWED_SKEW, "Clock skew tolerated on token expiry.");

    public static final Setting<String> ZK_CONNECT = string("zookeeper.connect", null,
            "The ensemble holding the ring: host:port[,host:port...][/chroot].").required();
    public static final Setting<String> ZK_BASE_PATH = string("zookeeper.base-path",
            ZooKeeperConfig.DEFAULT_BASE_PATH, "Root of the ring's nodes; members live under <base-path>/members.");
    public static final Setting<Duration> ZK_SESSION_TIMEOUT = duration("zookeeper.session-timeout",
            ZooKeeperConfig.DEFAULT_SESSION_TIMEOUT, "ZooKeeper session timeout.");
    public static final Setting<Duration> ZK_CONNECTION_TIMEOUT = duration("zookeeper.connection-timeout",
            ZooKeeperConfig.DEFAULT_CONNECTION_TIMEOUT, "Timeout of one connection attempt.");
    public static final Setting<Path> ZK_DIGEST_FILE = path("zookeeper.digest-file",
            "ZooKeeper digest credentials of the presenters: one line user:password, readable by this process "
                    + "only (see deploy/zookeeper). None: no credentials.");
    public static final Setting<String> ZK_ACL_PRESENTER_ID = string("zookeeper.acl-presenter-id", "",
            "Fleet ZooKeeper ACLs: the presenters' digest id user:base64digest (DigestAuthenticationProvider's "
                    + "output). With zookeeper.acl-chat-server-id; empty (default): nodes are created open.");
    public static final Setting<String> ZK_ACL_CHAT_SERVER_ID = string("zookeeper.acl-chat-server-id", "",
            "Fleet ZooKeeper ACLs: the chat servers' digest id; only they may write <base-path>/members.");
    /** Two connection attempts: enough for a healthy ensemble, short enough not to stall a start. */
    public static final Setting<Duration> ZK_FIRST_RING_TIMEOUT = duration("zookeeper.first-ring-timeout",
            ZooKeeperConfig.DEFAULT_CONNECTION_TIMEOUT.multipliedBy(2),
            "How long a starting presenter waits for the ring before it accepts clients; then it starts "
                    + "anyway, and /ready says not ready until a ring arrives.");

    public static final Setting<Integer> BACKEND_CONNECTIONS_PER_LOOP = integer("backend.connections-per-loop",
            GatewaySettings.DEFAULT_CONNECTIONS_PER_LOOP, 1, 64,
            "Mux connections per chat server per event loop: internal connections = this x event loops per chat server.");
    public static final Setting<Integer> BACKEND_MAX_STREAMS_PER_CONNECTION = integer(
            "backend.max-streams-per-connection", GatewaySettings.DEFAULT_MAX_STREAMS_PER_CONNECTION, 1, 1_000_000,
            "Client streams one mux connection carries at most (a chat server may set a lower limit in its"
                    + " preface). When every connection of an event loop to a chat server is full, the pool opens"
                    + " another, up to backend.max-connections-per-loop.");
    public static final Setting<Integer> BACKEND_MAX_CONNECTIONS_PER_LOOP = integer(
            "backend.max-connections-per-loop", GatewaySettings.DEFAULT_MAX_CONNECTIONS_PER_LOOP, 1, 1024,
            "Mux connections per chat server per event loop, extras opened when the others are full"
                    + " included (extras close when empty again; raised to connections-per-loop if lower). Beyond"
                    + " it new clients are refused: presenter.auth.rejected{reason=backend_full}.");
    public static final Setting<Duration> BACKEND_CONNECT_TIMEOUT = duration("backend.connect-timeout",
            GatewaySettings.DEFAULT_BACKEND_CONNECT_TIMEOUT, "TCP connect timeout towards chat servers.");
    public static final Setting<Duration> BACKEND_BACKOFF_MIN = duration("backend.backoff-min",
            ConnectBackoff.DEFAULT.base(), "First pause after a failed connect to a chat server (jittered, doubling).");
    public static final Setting<Duration> BACKEND_BACKOFF_MAX = duration("backend.backoff-max",
            ConnectBackoff.DEFAULT.max(), "Longest pause between connects to a chat server that keeps failing.");
    public static final Setting<Integer> BACKEND_WRONG_SHARD_RETRIES = integer("backend.wrong-shard-retries",
            GatewaySettings.DEFAULT_WRONG_SHARD_RETRIES, 0, 10,
            "Streams opened again per client after a wrong-shard, refused or going-away reset.");
    public static final Setting<Duration> BACKEND_RING_CATCH_UP = duration("backend.ring-catch-up",
            GatewaySettings.DEFAULT_RING_CATCH_UP,
            "How long a retry waits for this presenter's ring to reach the chat server's version.");
    public static final Setting<Integer> BACKEND_HANDOVER_REPLAY_SLACK = integer("backend.handover-replay-slack-bytes",
            HandoverLimits.DEFAULT_REPLAY_SLACK_BYTES, 0, 64 << 20,
            "Session handover (a couple moving to a new chat server under open client connections): client bytes "
                    + "kept per client before the chat server's credited offset, for the replay to the new owner. "
                    + "At least the largest client packet; a handover that needs older bytes falls back: "
                    + "presenter.handovers{result=fallback_replay_lost}, the client reconnects.");
    public static final Setting<Integer> BACKEND_HANDOVER_REPLAY_MAX = integer("backend.handover-replay-max-bytes",
            HandoverLimits.DEFAULT_REPLAY_MAX_BYTES, 0, 256 << 20,
            "Client bytes kept per client for a handover at most (slack + stream window + write buffer); past it "
                    + "the client's next handover falls back (fallback_replay_lost). Not below the slack.");
    public static final Setting<Duration> BACKEND_HANDOVER_TIMEOUT = duration("backend.handover-timeout",
            HandoverLimits.DEFAULT_TIMEOUT,
            "Longest time from a chat server's handover frame to the stream at the new owner being open; then "
                    + "the client is closed to reconnect (fallback_timeout).");
    public static final Setting<Integer> BACKEND_HANDOVER_MAX_STATE = integer("backend.handover-max-state-bytes",
            HandoverLimits.DEFAULT_MAX_STATE_BYTES, 0, 1 << 20,
            "Largest sealed session state a presenter carries to a new owner; a larger one falls back "
                    + "(fallback_state_too_large).");
    public static final Setting<Path> BACKEND_TLS_CERTIFICATE = path("backend.tls-certificate",
            "Mutual TLS on the mux links to chat servers: this presenter's client certificate chain (PEM). "
                    + "None: plaintext, for a private network. Needs backend.tls-key and backend.tls-ca too.");
    public static final Setting<Path> BACKEND_TLS_KEY = path("backend.tls-key",
            "Private key (PEM) of backend.tls-certificate.");
    public static final Setting<Path> BACKEND_TLS_CA = path("backend.tls-ca",
            "CA certificates (PEM) a chat server's certificate must chain to.");
    public static final Setting<String> BACKEND_TLS_MEMBER_URI_PREFIX = string("backend.tls-member-uri-prefix", "",
            "Mutual TLS: a chat server's certificate must carry the URI name <prefix><member id> of the member "
                    + "dialled (e.g. spiffe://chat.example/chat-server/). Empty (default): any certificate from "
                    + "backend.tls-ca.");

    public static final Setting<Boolean> ADMIN_ENABLED = bool("admin.enabled", true,
            "Serve /health, /ready, /metrics and /drain over HTTP.");
    public static final Setting<String> ADMIN_ADDRESS = string("admin.address", "127.0.0.1",
            "Admin listen address. Anything but loopback requires admin.token-file.");
    public static final Setting<Integer> ADMIN_PORT = integer("admin.port", 9090, 0, 65_535,
            "Admin HTTP port (0 picks a free one).");
    public static final Setting<Path> ADMIN_TOKEN_FILE = path("admin.token-file",
            "A file holding the bearer token POST /drain requires. None: drain needs no credential "
                    + "(only allowed on loopback).");

    public static final Setting<Duration> DRAIN_QUIET_PERIOD = duration("drain.quiet-period", Duration.ZERO,
            "While draining, exit once no client is left and none has connected for this long. 0s: twice weight.ttl, "
                    + "the time for resolvers to forget this presenter.");
    public static final Setting<Duration> DRAIN_MAX_TIME = duration("drain.max-time", Duration.ofMinutes(30),
            "After this long draining, the remaining clients are closed, gradually.");
    public static final Setting<Integer> DRAIN_CLOSE_RATE = integer("drain.close-rate", 100, 1, 1_000_000,
            "Clients closed per second after drain.max-time: never all at once, which would start a reconnect storm.");

    public static final Setting<Duration> RELOAD_WATCH_INTERVAL = duration("reload.watch-interval",
            Duration.ofSeconds(10), "How often the config file, the tls.certificates files and the token key file "
                    + "are checked for changed contents; a change reloads them like SIGHUP and POST /reload do. "
                    + "0s: only SIGHUP and POST /reload.");
    public static final Setting<Path> HANDOVER_SOCKET = path("handover.socket",
            "A Unix socket path, e.g. /run/presenter/handover.sock. A presenter passes its client listener "
                    + "over it to a successor started on the same host with the same setting, then drains its "
                    + "clients over handover.drain-window and exits; a starting presenter that finds a "
                    + "predecessor there takes its listener instead of binding. None: no handover (needs the epoll transport).");
    public static final Setting<Duration> HANDOVER_DRAIN_WINDOW = duration("handover.drain-window",
            Duration.ofHours(4), "After handing its listener over, the old process closes its clients spread "
                    + "evenly over this window (never all at once), then exits 0 when the last is gone.");

    public static final Setting<Boolean> WEIGHT_ENABLED = bool("weight.enabled", false,
            "Route53 weights: every presenter reports its load in ZooKeeper and the elected fleet leader writes "
                    + "every presenter's weighted record (deploy/route53.md). Off: nothing is published.");
    public static final Setting<String> WEIGHT_HOSTED_ZONE_ID = string("weight.hosted-zone-id", null,
            "Route53 hosted zone of the record (required when weight.enabled).");
    public static final Setting<String> WEIGHT_RECORD_NAME = string("weight.record-name", null,
            "The DNS name clients resolve, e.g. chat.example.com. (required when weight.enabled).");
    public static final Setting<List<String>> WEIGHT_RECORD_TYPES = stringList("weight.record-types", List.of("A"),
            "A and/or AAAA.");
    public static final Setting<List<String>> WEIGHT_ADDRESSES = stringList("weight.addresses", null,
            "This presenter's public IPv4/IPv6 addresses: the value of its record(s) (required when weight.enabled). "
                    + "[instance-metadata]: read from EC2 instance metadata at start (public-ipv4 for A, ipv6 for AAAA).");
    public static final Setting<String> WEIGHT_INSTANCE_METADATA_URL = string("weight.instance-metadata-url",
            "http://169.254.169.254", "Where EC2 instance metadata answers, for weight.addresses: [instance-metadata].");
    public static final Setting<String> WEIGHT_SET_IDENTIFIER = string("weight.set-identifier", null,
            "The record's set identifier. Default: presenter.id.");
    public static final Setting<Duration> WEIGHT_TTL = duration("weight.ttl", Duration.ofSeconds(60),
            "TTL of the record.");
    public static final Setting<Duration> WEIGHT_INTERVAL = duration("weight.interval", Duration.ofSeconds(10),
            "How often the fleet loop runs: load sampled, node updated if worth it, and (on the leader) one "
                    + "Route53 batch of the changed weights.");
    public static final Setting<Duration> WEIGHT_REFRESH_INTERVAL = duration("weight.refresh-interval",
            Duration.ofMinutes(5), "The leader re-reads the records from Route53 this often and repairs any that differ (edited by hand, lost).");
    public static final Setting<Double> WEIGHT_JITTER = fraction("weight.jitter", 0.2,
            "Random spread of each interval, as a fraction, so a fleet does not call Route53 in step.");
    public static final Setting<Integer> WEIGHT_THRESHOLD = integer("weight.threshold", 8, 1, 255,
            "Smallest weight change worth publishing (hysteresis).");
    public static final Setting<Integer> WEIGHT_MAX = integer("weight.max", 200, 1, 255,
            "Weight of an idle presenter.");
    public static final Setting<Integer> WEIGHT_CAPACITY = integer("weight.capacity", 0, 0, Integer.MAX_VALUE,
            "Connections counted as full load; 0: limits.max-connections.");
    public static final Setting<Double> WEIGHT_CPU_TARGET = fraction("weight.cpu-target", 0.8,
            "Process CPU (fraction of all cores) counted as full load.");
    public static final Setting<Double> WEIGHT_SMOOTHING = fraction("weight.smoothing", 0.3,
            "EWMA factor of the load: higher follows faster.");
    public static final Setting<String> WEIGHT_ENDPOINT = string("weight.endpoint", null,
            "Route53 API endpoint override (tests, moto). Default: the AWS endpoint.");
    public static final Setting<String> WEIGHT_REGION = string("weight.region", "aws-global",
            "AWS region of the Route53 client.");

    public static final Setting<Double> FLEET_LOAD_THRESHOLD = fraction("fleet.load-threshold",
            FleetSettings.DEFAULT_LOAD_THRESHOLD, "This presenter's ZooKeeper node is rewritten when "
                    + "connections/capacity or CPU moved by more than this (a fraction) since the last write.");
    public static final Setting<Duration> FLEET_NODE_REFRESH_INTERVAL = duration("fleet.node-refresh-interval",
            FleetSettings.DEFAULT_NODE_REFRESH_INTERVAL, "A smaller load change is written to the node after this "
                    + "long; an unchanged node is never rewritten.");
    public static final Setting<Double> FLEET_READY_REACHABLE_FRACTION = fraction("fleet.ready-reachable-fraction",
            FleetSettings.DEFAULT_READY_REACHABLE_FRACTION, "READY (and /ready) needs an open mux connection to at "
                    + "least this share of the ring's chat servers, and to at least one.");
    public static final Setting<Duration> FLEET_RECORD_GRACE = duration("fleet.record-grace",
            FleetSettings.DEFAULT_RECORD_GRACE, "The leader deletes the Route53 records of a presenter whose node "
                    + "is gone this long after it set them to 0. Longer than weight.ttl.");
    public static final Setting<Duration> FLEET_LEADERLESS_DRAIN_AFTER = duration("fleet.leaderless-drain-after",
            FleetSettings.DEFAULT_LEADERLESS_DRAIN_AFTER, "A draining presenter that has seen no fleet leader for "
                    + "this long writes its own weight 0 to Route53.");

    /** Every setting, in file order. */
    public static final List<Setting<?>> ALL = List.of(ID,
            LISTEN_ADDRESS, LISTEN_PORT, LISTEN_BACKLOG, LISTEN_TCP_FAST_OPEN, EVENT_LOOPS, LISTEN_TRANSPORT,
            LISTEN_PROXY_PROTOCOL,
            QUIC_ENABLED, QUIC_PORT, QUIC_EARLY_DATA, QUIC_RETRY, QUIC_RETRY_ABOVE_HANDSHAKES, QUIC_STREAM_WINDOW,
            QUIC_CONNECTION_WINDOW,
            MAX_CONNECTIONS, MAX_CONNECTIONS_PER_IP, AUTH_TIMEOUT, MAX_AUTH_PACKET_BYTES, IDLE_TIMEOUT,
            MAX_HANDSHAKE_RATE, MAX_CONNECTION_RATE_PER_IP, MAX_CONNECTION_AGE, MAX_CONNECTION_AGE_JITTER,
            TLS_CERTIFICATES, TLS_PROTOCOLS, TLS_HANDSHAKE_TIMEOUT, TLS_ENGINE, TLS_TICKET_KEY_FILE,
            TLS_TICKET_KEY_RELOAD_INTERVAL, TLS_TICKET_KEY_SOURCE, TLS_TICKET_KEY_ROTATION,
            TLS_TICKET_KEY_ENCRYPTION_KEY_FILE, TLS_SESSION_CACHE_SIZE, TLS_SESSION_TIMEOUT, TLS_GROUPS,
            AUTH_TOKEN_KEY_FILE, AUTH_TOKEN_KEY_RELOAD_INTERVAL, AUTH_ALLOWED_SKEW,
            ZK_CONNECT, ZK_BASE_PATH, ZK_SESSION_TIMEOUT, ZK_CONNECTION_TIMEOUT, ZK_FIRST_RING_TIMEOUT,
            ZK_DIGEST_FILE, ZK_ACL_PRESENTER_ID, ZK_ACL_CHAT_SERVER_ID,
            BACKEND_CONNECTIONS_PER_LOOP, BACKEND_MAX_STREAMS_PER_CONNECTION, BACKEND_MAX_CONNECTIONS_PER_LOOP,
            BACKEND_CONNECT_TIMEOUT, BACKEND_BACKOFF_MIN, BACKEND_BACKOFF_MAX,
            BACKEND_WRONG_SHARD_RETRIES, BACKEND_RING_CATCH_UP, BACKEND_HANDOVER_REPLAY_SLACK,
            BACKEND_HANDOVER_REPLAY_MAX, BACKEND_HANDOVER_TIMEOUT, BACKEND_HANDOVER_MAX_STATE, BACKEND_TLS_CERTIFICATE, BACKEND_TLS_KEY, BACKEND_TLS_CA,
            BACKEND_TLS_MEMBER_URI_PREFIX,
            ADMIN_ENABLED, ADMIN_ADDRESS, ADMIN_PORT, ADMIN_TOKEN_FILE,
            DRAIN_QUIET_PERIOD, DRAIN_MAX_TIME, DRAIN_CLOSE_RATE,
            RELOAD_WATCH_INTERVAL, HANDOVER_SOCKET, HANDOVER_DRAIN_WINDOW,
            WEIGHT_ENABLED, WEIGHT_HOSTED_ZONE_ID, WEIGHT_RECORD_NAME, WEIGHT_RECORD_TYPES, WEIGHT_ADDRESSES,
            WEIGHT_INSTANCE_METADATA_URL, WEIGHT_SET_IDENTIFIER, WEIGHT_TTL, WEIGHT_INTERVAL, WEIGHT_REFRESH_INTERVAL,
            WEIGHT_JITTER, WEIGHT_THRESHOLD, WEIGHT_MAX, WEIGHT_CAPACITY, WEIGHT_CPU_TARGET, WEIGHT_SMOOTHING,
            WEIGHT_ENDPOINT, WEIGHT_REGION,
            FLEET_LOAD_THRESHOLD, FLEET_NODE_REFRESH_INTERVAL, FLEET_READY_REACHABLE_FRACTION, FLEET_RECORD_GRACE,
            FLEET_LEADERLESS_DRAIN_AFTER);

    /** {@code [{chain: a.pem, key: a.key}, ...]} in YAML, or {@code a.pem:a.key,b.pem:b.key} as an override. */
    private static List<CertificateFiles> certificates(Object value) {
        if (value instanceof List<?> list) {
            return list.stream().map(item -> {
                if (!(item instanceof Map<?, ?> pair) || pair.get("chain") == null || pair.get("key") == null) {
                    throw new IllegalArgumentException("each entry needs chain and key, got " + item);
                }
                return new CertificateFiles(Path.of(pair.get("chain").toString()), Path.of(pair.get("key").toString()));
            }).toList();
        }
        return Arrays.stream(Setting.text(value).split(",")).map(String::trim).map(pair -> {
            String[] files = pair.split(":");
            if (files.length != 2) {
                throw new IllegalArgumentException("expected chain.pem:key.pem, got '" + pair + "'");
            }
            return new CertificateFiles(Path.of(files[0]), Path.of(files[1]));
        }).toList();
    }
}
