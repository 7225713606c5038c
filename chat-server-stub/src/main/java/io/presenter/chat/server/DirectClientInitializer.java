package io.presenter.chat.server;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.presenter.chat.ChatService;
import io.presenter.chat.ChatSessionHandler;
import io.presenter.protocol.codec.ClientPacketFramingCodec;

/**
 * The direct front door: a client's TLS connection straight to this chat server, the way it was
 * before presenters (or behind a TCP load balancer). After TLS, the pipeline is exactly what a mux
 * stream gets, so the same chat handlers serve both.
 */
final class DirectClientInitializer extends ChannelInitializer<SocketChannel> {

    static final String TLS = "tls";

    private final SslContext sslContext;
    private final ChatService service;
    private final int maxPacketLength;

    DirectClientInitializer(SslContext sslContext, ChatService service, int maxPacketLength) {
        this.sslContext = sslContext;
        this.service = service;
        this.maxPacketLength = maxPacketLength;
    }

    @Override
    protected void initChannel(SocketChannel channel) {
        channel.pipeline().addLast(TLS, sslContext.newHandler(channel.alloc()));
        addChatStages(channel.pipeline(), service.newSessionHandler(), maxPacketLength);
    }

    /**
     * The chat stages every client byte stream gets, direct or mux: framing and codec in one stage
     * (one handler context less per idle stream), then the session.
     */
    static void addChatStages(ChannelPipeline pipeline, ChatSessionHandler session, int maxPacketLength) {
        pipeline.addLast(ClientPacketFramingCodec.NAME, new ClientPacketFramingCodec(maxPacketLength));
        pipeline.addLast(ChatSessionHandler.NAME, session);
    }
}
