package io.presenter.gateway.tls;

import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.SslHandler;

/**
 * The TLS stage of the client pipeline: {@value #SSL} (the {@link SslHandler}, with the handshake
 * timeout), {@value TlsHandshakeMetrics#NAME} and {@value SessionTicketFlush#NAME} (both remove
 * themselves once the handshake is done).
 * Call first in the client channel initializer; the auth stage goes after it.
 */
public final class TlsStage {

    /** Pipeline name of the {@link SslHandler}. */
    public static final String SSL = "tls";

    private TlsStage() {}

    /** Adds the TLS stage at the end of {@code channel}'s pipeline. */
    public static void addTo(Channel channel, ServerTls tls, TlsMeters meters) {
        ChannelPipeline pipeline = channel.pipeline();
        pipeline.addLast(SSL, tls.newHandler(channel.alloc()));
        pipeline.addLast(TlsHandshakeMetrics.NAME, new TlsHandshakeMetrics(meters));
        pipeline.addLast(SessionTicketFlush.NAME, SessionTicketFlush.INSTANCE);
    }
}
