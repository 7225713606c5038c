package io.presenter.gateway.client;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyProtocolException;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol.AddressFamily;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol.TransportProtocol;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waits, under a deadline, for the PROXY protocol header of a client connection (decoded by
 * {@link ProxyProtocolDetector} and Netty's decoder ahead of it), then hands the connection and the
 * end client's address to the rest of the pipeline ({@code serve}: admission, TLS, auth) and
 * removes itself. A connection is not a client until then: it is not counted in the connection
 * gauges nor against any limit.
 *
 * <ul>
 *   <li>{@code PROXY} over TCP: the header's source address is the client's. Any other proxied
 *       protocol ({@code UNKNOWN} in v1, {@code UNSPEC}): the socket's peer, as the spec says.</li>
 *   <li>{@code LOCAL} (v2; the balancer's own health check): closed cleanly at once, counted in
 *       {@value ClientMeters#PROXY_HEALTH_CHECKS}{@code {kind=local}}. A connection that closes
 *       before a header could be recognised (a plain TCP health check connects and closes) is
 *       counted there as {@code kind=empty}.</li>
 *   <li>No header, in {@link ProxyProtocol#REQUIRED} mode: refused, {@value #MISSING}. In
 *       {@link ProxyProtocol#OPTIONAL} mode: served with the socket's peer as the client.</li>
 *   <li>A header Netty's decoder rejects: {@value #MALFORMED}. No complete header within the
 *       deadline: {@value #TIMEOUT}.</li>
 * </ul>
 *
 * Refusals are counted in {@code presenter.connections.closed{reason}}, like the limits at accept.
 */
final class ProxyHeaderHandler extends ChannelInboundHandlerAdapter {

    static final String NAME = "proxy-header";
    /** The event {@link ProxyProtocolDetector} fires when a connection starts without a header. */
    static final Object NO_HEADER = new Object() {
        @Override
        public String toString() {
            return "NO_PROXY_HEADER";
        }
    };
    static final String MISSING = "proxy_header_missing";
    static final String MALFORMED = "proxy_header_malformed";
    static final String TIMEOUT = "proxy_header_timeout";

    private static final Logger log = LoggerFactory.getLogger(ProxyHeaderHandler.class);

    private final ProxyProtocol mode;
    private final Duration deadline;
    private final BiConsumer<Channel, InetSocketAddress> serve;
    private final ClientMeters meters;
    private ScheduledFuture<?> timeout;
    /** The header was handled (served, answered or refused): nothing else is this handler's. */
    private boolean done;
    private boolean anyBytes;

    /**
     * @param serve continues the pipeline for a client at the given address, on the event loop
     */
    ProxyHeaderHandler(ProxyProtocol mode, Duration deadline, BiConsumer<Channel, InetSocketAddress> serve,
            ClientMeters meters) {
        this.mode = mode;
        this.deadline = deadline;
        this.serve = serve;
        this.meters = meters;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        timeout = ctx.executor().schedule(() -> refuse(ctx, TIMEOUT, "no complete header within " + deadline),
                deadline.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        timeout.cancel(false);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        anyBytes = true;
        try {
            if (!done && msg instanceof HAProxyMessage header) {
                accept(ctx, header);
            }
            // Anything else is what arrived after a refusal: dropped with the connection.
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void accept(ChannelHandlerContext ctx, HAProxyMessage header) {
        if (header.command() == HAProxyCommand.LOCAL) {
            done = true;
            meters.proxyHealthCheck("local");
            ctx.close();
            return;
        }
        if (!isTcp(header)) {
            serve(ctx, null);  // UNKNOWN / UNSPEC / unix: the spec says use the connection's own addresses
            return;
        }
        InetAddress source = header.sourceAddress() == null ? null
                : NetUtil.createInetAddressFromIpAddressString(header.sourceAddress());
        if (source == null) {
            refuse(ctx, MALFORMED, "source address " + header.sourceAddress());
            return;
        }
        serve(ctx, new InetSocketAddress(source, header.sourcePort()));
    }

    private static boolean isTcp(HAProxyMessage header) {
        return header.proxiedProtocol().transportProtocol() == TransportProtocol.STREAM
                && (header.proxiedProtocol().addressFamily() == AddressFamily.AF_IPv4
                        || header.proxiedProtocol().addressFamily() == AddressFamily.AF_IPv6);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event != NO_HEADER) {
            super.userEventTriggered(ctx, event);
            return;
        }
        anyBytes = true;
        if (mode == ProxyProtocol.OPTIONAL) {
            serve(ctx, null);
        } else {
            refuse(ctx, MISSING, "the connection does not start with a PROXY header");
        }
    }

    /** Continues as a client at {@code endClient}, or at the socket's peer when null. */
    private void serve(ChannelHandlerContext ctx, InetSocketAddress endClient) {
        done = true;
        timeout.cancel(false);
        Channel client = ctx.channel();
        InetSocketAddress address = endClient;
        if (address == null) {
            address = client.remoteAddress() instanceof InetSocketAddress peer ? peer : null;
        } else {
            ClientAddress.set(client, endClient);
        }
        // The rest of the pipeline goes after this handler, which then leaves: bytes that came with
        // the header are passed on by the decoder ahead when it leaves in turn.
        serve.accept(client, address);
        if (!ctx.isRemoved()) {
            ctx.pipeline().remove(this);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof HAProxyProtocolException) {
            refuse(ctx, MALFORMED, cause.getMessage());
        } else {
            log.debug("connection {} failed before its PROXY header: {}", ctx.channel(), cause.toString());
            ctx.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (!done && !anyBytes) {
            done = true;
            meters.proxyHealthCheck("empty");
        }
        super.channelInactive(ctx);
    }

    private void refuse(ChannelHandlerContext ctx, String reason, String detail) {
        if (done) {
            return;
        }
        done = true;
        meters.connectionClosed(reason);
        log.debug("connection {} refused, {}: {}", ctx.channel(), reason, detail);
        ctx.close();
    }
}
