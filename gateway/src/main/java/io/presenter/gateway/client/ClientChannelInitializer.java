package io.presenter.gateway.client;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.presenter.gateway.backend.StreamOpener;
import io.presenter.gateway.tls.ServerTls;
import io.presenter.gateway.tls.TlsMeters;
import io.presenter.gateway.tls.TlsStage;
import io.presenter.protocol.auth.TokenVerifier;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The client pipeline, top to bottom:
 * <ol>
 *   <li>on a PROXY protocol listener only: {@value ProxyProtocolDetector#NAME} (then Netty's
 *       decoder) and {@value ProxyHeaderHandler#NAME}, which learn the end client's address and
 *       leave; everything below is added once it is known;</li>
 *   <li>admission, before any handler or TLS work: the accept rates ({@link AcceptRates}, on the
 *       acceptor thread by {@link #acceptGate()}, the per-address one here behind a PROXY header),
 *       then the connection limits ({@link ClientConnections});</li>
 *   <li>the idle timeout, the maximum connection age (when set), TLS, then the auth stage, which
 *       later replaces itself with the relay.</li>
 * </ol>
 * Nothing else is ever added to a client pipeline.
 */
public final class ClientChannelInitializer extends ChannelInitializer<SocketChannel> {

    /** Read once per connection: a reload changes the limits of connections accepted after it. */
    private volatile ClientLimits limits;
    private final EdgeSettings edge;
    private final ClientConnections connections;
    /** Replaced whole by a reload that changes a rate; the accept gate reads it per connection. */
    private volatile AcceptRates acceptRates;
    private final ConnectionAging aging;
    private final ServerTls tls;
    private final TlsMeters tlsMeters;
    private final TokenVerifier verifier;
    private final StreamOpener opener;
    private final ClientMeters meters;

    /**
     * @param verifier checks tokens at the edge, or {@link TokenVerifier#ACCEPT_ALL} to leave that to
     *     the chat servers
     */
    public ClientChannelInitializer(ClientLimits limits, EdgeSettings edge, ClientConnections connections,
            ServerTls tls, TlsMeters tlsMeters, TokenVerifier verifier, StreamOpener opener, ClientMeters meters) {
        this.limits = limits;
        this.edge = edge;
        this.connections = connections;
        this.acceptRates = new AcceptRates(edge.maxHandshakeRate(), edge.maxConnectionRatePerAddress(), meters);
        this.aging = edge.maxConnectionAge().isZero() ? null : new ConnectionAging(edge.maxConnectionAge(),
                edge.maxConnectionAgeJitter(), edge.ageCloseRate(), System::nanoTime,
                () -> ThreadLocalRandom.current().nextDouble());
        this.tls = tls;
        this.tlsMeters = tlsMeters;
        this.verifier = verifier;
        this.opener = opener;
        this.meters = meters;
    }

    /** Limits for the connections accepted from now on (a reload); open ones keep theirs. */
    public void limits(ClientLimits next) {
        limits = next;
    }

    /**
     * The accept rates from now on (a reload). Changed rates start with fresh buckets (full, the
     * per-address map empty), which only errs towards admitting; unchanged ones keep theirs, so a
     * reload for a certificate does not hand every address a new burst.
     */
    public void acceptRates(int maxHandshakeRate, int maxConnectionRatePerAddress) {
        AcceptRates current = acceptRates;
        if (current.maxHandshakeRate() != maxHandshakeRate
                || current.maxRatePerAddress() != maxConnectionRatePerAddress) {
            acceptRates = new AcceptRates(maxHandshakeRate, maxConnectionRatePerAddress, meters);
        }
    }

    @Override
    protected void initChannel(SocketChannel client) {
        if (edge.proxyProtocol() == ProxyProtocol.OFF) {
            serve(client, client.remoteAddress());
            return;
        }
        // The header's deadline is the auth timeout's: both bound the time before a client is routed.
        client.pipeline().addLast(ProxyProtocolDetector.NAME, new ProxyProtocolDetector());
        client.pipeline().addLast(ProxyHeaderHandler.NAME, new ProxyHeaderHandler(edge.proxyProtocol(),
                limits.authTimeout(), this::serve, meters));
    }

    /**
     * The handler of the listening channel: the accept rates, applied on the acceptor thread before
     * a connection reaches its event loop (install with {@code ServerBootstrap.handler}).
     */
    public ChannelHandler acceptGate() {
        return new AcceptGate(() -> acceptRates, edge.proxyProtocol() == ProxyProtocol.OFF);
    }

    /** Admits the client at {@code endClient} (null: none known) and adds the rest of its pipeline. */
    private void serve(Channel client, InetSocketAddress endClient) {
        InetAddress source = endClient == null ? null : endClient.getAddress();
        boolean addressChecked = edge.proxyProtocol() == ProxyProtocol.OFF;  // by the accept gate
        if (!addressChecked && !acceptRates.admitAddress(client, source)) {
            return;
        }
        if (!connections.admit(client, source)) {
            return;
        }
        ClientLimits limits = this.limits;
        ChannelPipeline pipeline = client.pipeline();
        if (!limits.idleTimeout().isZero()) {
            pipeline.addLast(IdleTimeoutHandler.NAME, new IdleTimeoutHandler(limits.idleTimeout()));
        }
        if (aging != null) {
            pipeline.addLast(MaxConnectionAgeHandler.NAME, new MaxConnectionAgeHandler(aging));
        }
        TlsStage.addTo(client, tls, tlsMeters);
        pipeline.addLast(AuthStage.NAME, new AuthStage(limits.authTimeout(),
                limits.maxAuthPacketBytes(), verifier, opener, meters, null, limits.handover()));
    }
}
