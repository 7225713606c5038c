package io.presenter.loadtest;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.presenter.loadtest.ScenarioOptions.Resumption;
import io.presenter.loadtest.quic.QuicClientEndpoint;
import io.presenter.loadtest.quic.UdpRelay;
import io.presenter.protocol.auth.TokenKeys;
import io.presenter.protocol.auth.TokenSigner;
import io.presenter.protocol.wire.AuthPacket;
import io.presenter.protocol.wire.AuthToken;
import io.presenter.protocol.wire.ClientPlatform;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLException;

/**
 * How a scenario's clients reach the target, as the options say: the client event loops (epoll
 * when the native library loads), one client TLS context on BoringSSL, signed or unsigned auth
 * packets, and the source addresses taken round robin. With {@code --transport quic}: NIO event
 * loops, one {@link QuicClientEndpoint} (one UDP socket) per event loop and source address, and optionally a
 * {@link UdpRelay} between them and the target acting as a NAT that can rebind.
 */
final class Connector implements AutoCloseable {

    private final ScenarioOptions options;
    private final InetSocketAddress target;
    private final List<InetAddress> sources;
    private final AtomicInteger nextSource = new AtomicInteger();
    private final TokenSigner signer;
    private final boolean quic;
    private final boolean epoll;
    private final EventLoopGroup group;
    private final Bootstrap bootstrap;
    /** Shared by every client: with {@code --resumption SHARED} its session cache is what they resume from. */
    private final SslContext tls;
    /** QUIC clients: one endpoint (UDP socket) per event loop and source address, taken round robin; empty for TCP. */
    private final List<QuicClientEndpoint> quicEndpoints = new ArrayList<>();
    /** Between the QUIC clients and the target when asked for: the NAT whose mapping {@link #rebindNat} changes. */
    private final UdpRelay nat;
    private final InetSocketAddress quicTarget;

    Connector(ScenarioOptions options) throws IOException {
        this(options, false);
    }

    /** {@code behindNat}: QUIC clients reach the target through a {@link UdpRelay} (see {@link #rebindNat}). */
    Connector(ScenarioOptions options, boolean behindNat) throws IOException {
        this.options = options;
        this.quic = options.transport == ScenarioOptions.Transport.quic;
        // The QUIC client endpoint and relay use NIO datagram channels.
        this.epoll = Epoll.isAvailable() && !quic;
        this.target = parseTarget(options.target);
        this.sources = parseSources(options.sourceAddresses);
        this.signer = options.tokenKeys == null ? null
                : new TokenSigner(TokenKeys.load(options.tokenKeys), Clock.systemUTC());
        this.tls = newClientContext();
        this.group = new MultiThreadIoEventLoopGroup(options.eventLoops,
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        this.bootstrap = new Bootstrap().group(group)
                .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, !options.nagle)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                        (int) Math.min(Integer.MAX_VALUE, options.connectTimeout.toMillis()));
        if (options.tcpFastOpen) {
            if (!epoll) {
                throw new IllegalArgumentException("--tcp-fast-open needs the epoll transport (Linux)");
            }
            // The kernel sends the first write (the ClientHello) in the SYN once it holds a TFO
            // cookie for the server (net.ipv4.tcp_fastopen bit 1 on this host, bit 2 on the server's).
            bootstrap.option(io.netty.channel.epoll.EpollChannelOption.TCP_FASTOPEN_CONNECT, true);
        }
        try {
            if (quic) {
                List<InetAddress> locals = sources.isEmpty() ? List.of(target.getAddress()) : sources;
                // One socket per event loop and source address: a socket is read by one thread, and
                // one thread's quiche work for thousands of handshakes overflowed its receive buffer.
                for (io.netty.util.concurrent.EventExecutor ignored : group) {
                    for (InetAddress local : locals) {
                        quicEndpoints.add(new QuicClientEndpoint(group, new InetSocketAddress(local, 0), true,
                                QUIC_IDLE_TIMEOUT.toMillis(), options.resumption == Resumption.SHARED,
                                options.caFile == null ? null : options.caFile.toFile()));
                    }
                }
            }
            this.nat = quic && behindNat ? new UdpRelay(group, target, Duration.ZERO) : null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new IOException("interrupted while binding the QUIC client sockets", e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        this.quicTarget = nat != null ? nat.address() : target;
    }

    /**
     * The client's idle timeout over QUIC: long enough for any hold; the server's own (its idle
     * limit plus a backstop) ends an abandoned session first.
     */
    static final Duration QUIC_IDLE_TIMEOUT = Duration.ofMinutes(5);

    /** "epoll" or "nio", for the report. */
    String transport() {
        return epoll ? "epoll" : "nio";
    }

    /** "tcp" or "quic", for the report. */
    String clientTransport() {
        return options.transport.name();
    }

    boolean quic() {
        return quic;
    }

    /**
     * Moves every QUIC client to a new source port now, as a NAT rebinding does (all clients of a
     * UDP socket share its mapping); returns how many mappings changed port. 0 when not behind the NAT.
     */
    int rebindNat() {
        if (nat == null) {
            return 0;
        }
        Map<InetSocketAddress, Integer> before = nat.upstreamPorts();
        nat.rebind();
        Map<InetSocketAddress, Integer> after = nat.upstreamPorts();
        int changed = 0;
        for (Map.Entry<InetSocketAddress, Integer> e : before.entrySet()) {
            if (!e.getValue().equals(after.get(e.getKey()))) {
                changed++;
            }
        }
        return changed;
    }

    /** Starts client {@code i} of {@code couples} with the shared TLS context and the --resumption choice. */
    ClientConnection open(int i, Couples couples, ClientConnection.Listener listener) {
        return open(i, couples, listener, tls, options.resumption == Resumption.SHARED);
    }

    /** Starts client {@code i} with its own TLS context (the storm's reconnects without resumption). */
    ClientConnection open(int i, Couples couples, ClientConnection.Listener listener, SslContext context,
            boolean resume) {
        if (quic) {
            // Resumption over QUIC is the endpoint's (its session cache), as --resumption set it.
            QuicClientEndpoint endpoint = quicEndpoints.get(Math.floorMod(nextSource.getAndIncrement(), quicEndpoints.size()));
            return ClientConnection.openQuic(i, endpoint, group.next(), quicTarget, authPacket(couples, i),
                    options.connectTimeout, listener);
        }
        return ClientConnection.open(i, bootstrap, context, resume, target, nextSource(), authPacket(couples, i),
                options.connectTimeout, options.nagle, listener);
    }

    /** The shared client TLS context. */
    SslContext tls() {
        return tls;
    }

    /**
     * A client TLS context as configured: BoringSSL, the offered versions, and either any
     * certificate or, with {@code --ca}, one that chains to it and names the {@code --target} host
     * (Netty checks the host name whenever it knows it, see {@link ClientConnection#handshakeFailure}).
     */
    SslContext newClientContext() throws SSLException {
        SslContextBuilder builder = SslContextBuilder.forClient().sslProvider(SslProvider.OPENSSL)
                .protocols(options.tlsProtocols);
        return (options.caFile == null ? builder.trustManager(InsecureTrustManagerFactory.INSTANCE)
                : builder.trustManager(options.caFile.toFile())).build();
    }

    /** The auth packet of client {@code i}: a token signed with the key file, or an unsigned one. */
    AuthPacket authPacket(Couples couples, int i) {
        long user = couples.userId(i);
        long couple = couples.coupleId(i);
        AuthToken token = signer != null ? signer.sign(user, couple, Duration.ofHours(1))
                : new AuthToken("unsigned", Instant.now().plus(Duration.ofHours(1)).getEpochSecond(),
                        ByteBuffer.allocate(32));
        return new AuthPacket(user, couple, token, "presenter-loadtest/1")
                .setPlatform(ClientPlatform.LOADTEST).setDeviceId("loadtest-" + i);
    }

    /** The next source address (round robin), or null to let the kernel choose. */
    private SocketAddress nextSource() {
        if (sources.isEmpty()) {
            return null;
        }
        return new InetSocketAddress(sources.get(Math.floorMod(nextSource.getAndIncrement(), sources.size())), 0);
    }

    @Override
    public void close() {
        if (nat != null) {
            nat.close();
        }
        quicEndpoints.forEach(QuicClientEndpoint::close);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    static InetSocketAddress parseTarget(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("--target must be host:port, got " + hostPort);
        }
        return new InetSocketAddress(hostPort.substring(0, colon).replace("[", "").replace("]", ""),
                Integer.parseInt(hostPort.substring(colon + 1)));
    }

    /** "a.b.c.d-a.b.c.e" (same /24, last octet ranges) or "a,b,c". */
    static List<InetAddress> parseSources(String spec) throws UnknownHostException {
        List<InetAddress> list = new ArrayList<>();
        if (spec == null || spec.isBlank()) {
            return list;
        }
        if (spec.contains("-") && !spec.contains(",")) {
            String[] ends = spec.split("-");
            byte[] from = InetAddress.getByName(ends[0].trim()).getAddress();
            byte[] to = InetAddress.getByName(ends[1].trim()).getAddress();
            if (from.length != 4 || to.length != 4 || from[0] != to[0] || from[1] != to[1] || from[2] != to[2]
                    || (to[3] & 0xff) < (from[3] & 0xff)) {
                throw new IllegalArgumentException("--source-addresses range must be IPv4 within one /24: " + spec);
            }
            for (int last = from[3] & 0xff; last <= (to[3] & 0xff); last++) {
                byte[] a = from.clone();
                a[3] = (byte) last;
                list.add(InetAddress.getByAddress(a));
            }
        } else {
            for (String s : spec.split(",")) {
                list.add(InetAddress.getByName(s.trim()));
            }
        }
        return list;
    }
}
