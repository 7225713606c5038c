package io.presenter.chat.server;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.presenter.chat.ChatService;

/**
 * The plaintext direct door: the client protocol without TLS, for a TLS terminator (HAProxy, a
 * cloud load balancer) in front of this server, which is how such a terminator is deployed. Off
 * unless configured ({@link ChatServerConfig#plaintextPort()}); never expose it beyond the
 * terminator's network. The pipeline is the direct door's after TLS.
 */
final class PlaintextClientInitializer extends ChannelInitializer<SocketChannel> {

    private final ChatService service;
    private final int maxPacketLength;

    PlaintextClientInitializer(ChatService service, int maxPacketLength) {
        this.service = service;
        this.maxPacketLength = maxPacketLength;
    }

    @Override
    protected void initChannel(SocketChannel channel) {
        DirectClientInitializer.addChatStages(channel.pipeline(), service.newSessionHandler(), maxPacketLength);
    }
}
