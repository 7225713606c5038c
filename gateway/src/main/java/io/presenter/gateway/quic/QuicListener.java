package io.presenter.gateway.quic;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.quic.Quic;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.SslSessionTicketKey;
import io.presenter.gateway.client.ClientSessions;
import io.presenter.gateway.tls.PemFiles;
import io.presenter.gateway.tls.TicketKeys;
import io.presenter.protocol.transport.Transport;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The QUIC listener: one UDP socket on one of the presenter's event loops, the datagram screen,
 * then Netty's QUIC server codec (quiche, BoringSSL TLS 1.3, ALPN {@value QuicSettings#ALPN}).
 * Connections, their streams and the mux streams they open to chat servers all run on that loop,
 * so the pool's connections on that loop serve them, as they serve TCP clients on it.
 *
 * <p>Session tickets (for resumption and 0-RTT) use random process-local keys until
 * {@link #installTicketKeys} installs the TLS listener's keys (key file or the fleet schedule in
 * ZooKeeper; {@code PresenterServer.startQuic} makes this listener follow them): then a ticket from
 * any presenter of the fleet resumes on any other.
 */
public final class QuicListener implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(QuicListener.class);
    /**
     * UDP socket buffers: a reconnect wave is a burst of 1200-byte Initials on this one socket, and
     * the kernel's default (~208 KiB) drops datagrams beyond ~170 of them before quiche sees any.
     * The kernel caps this at net.core.rmem_max / wmem_max (deploy/sysctl).
     */
    static final int UDP_BUFFER_BYTES = 4 * 1024 * 1024;
    /**
     * The active_connection_id_limit the presenter announces, which quiche also uses as the most
     * network paths one connection may have. A client that hands out no spare connection ids
     * (Netty's client does not) keeps its one id on every path it has used, so quiche never frees
     * an old path (path.rs {@code unused()}), and a new source address beyond the limit has its
     * packets dropped. quiche's default of 2 let a connection survive one NAT rebinding; 16 lets it
     * survive 15. A path costs a few KB, and only once the client has moved.
     */
    static final long MAX_PATHS = 16;

    private final Channel socket;
    private final QuicSslContext sslContext;
    private final AtomicInteger handshakesInFlight = new AtomicInteger();

    private QuicListener(QuicSettings settings, InetSocketAddress bind, EventLoopGroup loops, Transport transport,
            ClientSessions sessions, QuicMeters meters, Supplier<Duration> handshakeTimeout)
            throws IOException, InterruptedException {
        sslContext = sslContext(settings);
        ChannelHandler codec = new QuicServerCodecBuilder()
                .sslContext(sslContext)
                .localConnectionIdLength(Quic.MAX_CONN_ID_LEN)
                .tokenHandler(new RetryTokens(settings.retry(), settings.retryAboveHandshakes(),
                        handshakesInFlight::get, System::currentTimeMillis, meters))
                // Quiche closes a connection silent for this long; the stream's own idle timeout
                // (limits.idle-timeout, counted as idle) fires first, this is the backstop.
                .maxIdleTimeout(idleBackstopMillis(sessions), TimeUnit.MILLISECONDS)
                .initialMaxData(settings.connectionWindowBytes())
                .initialMaxStreamDataBidirectionalRemote(settings.streamWindowBytes())
                .initialMaxStreamDataBidirectionalLocal(settings.streamWindowBytes())
                // One session stream, and room for the client to open one too many so that it is
                // refused and counted rather than failing the whole connection on a stream limit.
                .initialMaxStreamsBidirectional(2)
                .initialMaxStreamsUnidirectional(0)
                .activeMigration(true)
                .activeConnectionIdLimit(MAX_PATHS)
                .handler(new ChannelInitializer<QuicChannel>() {
                    @Override
                    protected void initChannel(QuicChannel connection) {
                        if (sessions.admit(connection, meters.clients())) {
                            connection.pipeline().addLast(QuicConnectionHandler.NAME,
                                    new QuicConnectionHandler(connection, sessions, meters, handshakesInFlight,
                                            handshakeTimeout.get()));
                        }
                    }
                })
                .streamHandler(new QuicStreamInitializer())
                .build();
        DatagramScreen screen = new DatagramScreen(meters);
        socket = new Bootstrap().group(loops.next())
                .channel(transport.datagramChannelClass())
                .option(io.netty.channel.ChannelOption.SO_RCVBUF, UDP_BUFFER_BYTES)
                .option(io.netty.channel.ChannelOption.SO_SNDBUF, UDP_BUFFER_BYTES)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel udp) {
                        udp.pipeline().addLast(DatagramScreen.NAME, screen).addLast("quic", codec);
                    }
                })
                .bind(bind).sync().channel();
        log.info("QUIC listening on udp {} (ALPN {}, 0-RTT {}, retry {})", socket.localAddress(), QuicSettings.ALPN,
                settings.earlyData() ? "on" : "off", settings.retry().configValue());
    }

    /**
     * Binds UDP {@code address} port {@link QuicSettings#portFor}({@code tcpPort}) on one of {@code loops}.
     * {@code handshakeTimeout} is read for each new connection (the TLS listener's, which a reload may change).
     */
    public static QuicListener start(QuicSettings settings, InetAddress address, int tcpPort, EventLoopGroup loops,
            Transport transport, ClientSessions sessions, QuicMeters meters, Supplier<Duration> handshakeTimeout)
            throws IOException, InterruptedException {
        return new QuicListener(settings, new InetSocketAddress(address, settings.portFor(tcpPort)), loops,
                transport, sessions, meters, handshakeTimeout);
    }

    private static long idleBackstopMillis(ClientSessions sessions) {
        long idle = sessions.limits().idleTimeout().toMillis();
        return idle == 0 ? TimeUnit.HOURS.toMillis(1) : idle + TimeUnit.SECONDS.toMillis(30);
    }

    private static QuicSslContext sslContext(QuicSettings settings) throws IOException {
        QuicSslContext context = QuicSslContextBuilder.forServer(PemFiles.readPrivateKey(settings.certificate().key()),
                        null, PemFiles.readChain(settings.certificate().chain()))
                .applicationProtocols(QuicSettings.ALPN)
                .earlyData(settings.earlyData())
                .build();
        // Without keys of its own the context issues tickets it cannot decrypt again: no resumption,
        // so no 0-RTT. Process-local random keys until the fleet's ZooKeeper keys replace them.
        context.sessionContext().setTicketKeys(randomTicketKey());
        return context;
    }

    private static SslSessionTicketKey randomTicketKey() {
        SecureRandom random = new SecureRandom();
        byte[][] parts = new byte[3][SslSessionTicketKey.NAME_SIZE];
        for (byte[] part : parts) {
            random.nextBytes(part);
        }
        return new SslSessionTicketKey(parts[0], parts[1], parts[2]);
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) socket.localAddress();
    }

    /** The UDP socket's channel (its class follows the transport: epoll, io_uring or NIO). */
    Channel socket() {
        return socket;
    }

    /** The TLS context: its session context takes the fleet's ticket keys once they exist. */
    public QuicSslContext sslContext() {
        return sslContext;
    }

    /**
     * Issues and accepts tickets with {@code keys} from now on (the first encrypts, all decrypt),
     * the same keys and format (16 name, 16 HMAC, 16 AES) as the TLS listener's: a ticket one
     * presenter of the fleet issued resumes a QUIC connection to any other.
     */
    public void installTicketKeys(TicketKeys keys) {
        List<byte[]> raw = keys.raw();
        SslSessionTicketKey[] quicKeys = new SslSessionTicketKey[raw.size()];
        int name = SslSessionTicketKey.NAME_SIZE;
        int hmac = SslSessionTicketKey.HMAC_KEY_SIZE;
        for (int i = 0; i < quicKeys.length; i++) {
            byte[] key = raw.get(i);
            quicKeys[i] = new SslSessionTicketKey(Arrays.copyOfRange(key, 0, name),
                    Arrays.copyOfRange(key, name, name + hmac), Arrays.copyOfRange(key, name + hmac, key.length));
        }
        sslContext.sessionContext().setTicketKeys(quicKeys);
        log.info("QUIC: session ticket keys installed ({} keys, fingerprint {})", quicKeys.length, keys.fingerprint());
    }

    /** Handshakes started and not finished yet: what {@code quic.retry: under-load} compares. */
    public int handshakesInFlight() {
        return handshakesInFlight.get();
    }

    /** Stops receiving; the connections on it are closed by the client connections' shutdown. */
    @Override
    public void close() {
        socket.close().syncUninterruptibly();
    }
}
