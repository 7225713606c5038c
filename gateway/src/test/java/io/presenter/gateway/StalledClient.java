package io.presenter.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.presenter.protocol.codec.ClientPackets;
import io.presenter.protocol.wire.AuthPacket;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.testing.TestChatClient;
import java.io.DataInputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A plain blocking TLS client that authenticates, then never reads again: what backpressure tests
 * need, since a Netty client would keep reading. Its small receive buffer keeps the kernel from
 * absorbing megabytes before the presenter notices.
 */
public final class StalledClient {

    private StalledClient() {}

    /** Connects, authenticates with {@code auth}, checks the answer is OK and returns the socket unread. */
    public static SSLSocket open(InetSocketAddress presenter, AuthPacket auth) throws Exception {
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, InsecureTrustManagerFactory.INSTANCE.getTrustManagers(), null);
        SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket();
        socket.setReceiveBufferSize(16 * 1024);
        socket.setSoTimeout((int) TestChatClient.TIMEOUT.toMillis());
        socket.connect(presenter);
        ByteBuf encoded = ClientPackets.encode(ByteBufAllocator.DEFAULT, ClientPacket.auth(auth));
        try {
            socket.getOutputStream().write(ByteBufUtil.getBytes(encoded));
        } finally {
            encoded.release();
        }
        DataInputStream in = new DataInputStream(socket.getInputStream());
        byte[] packet = new byte[Integer.BYTES + in.readInt()];
        ByteBuffer.wrap(packet).putInt(packet.length - Integer.BYTES);
        in.readFully(packet, Integer.BYTES, packet.length - Integer.BYTES);
        assertThat(ClientPackets.decode(Unpooled.wrappedBuffer(packet)).getAuthResult().getStatus())
                .isEqualTo(AuthStatus.OK);
        return socket;
    }
}
