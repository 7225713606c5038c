package io.presenter.loadtest.quic;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The test NAT: a rebind gives the client a new public port at once, while the old mapping still
 * passes on what the server sends to it, until {@link UdpRelay#OLD_MAPPING_LINGER}.
 */
class UdpRelayTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    private final EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private DatagramSocket server;
    private DatagramSocket client;
    private UdpRelay nat;

    @BeforeEach
    void start() throws Exception {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        server = new DatagramSocket(new InetSocketAddress(loopback, 0));
        client = new DatagramSocket(new InetSocketAddress(loopback, 0));
        server.setSoTimeout((int) WAIT.toMillis());
        client.setSoTimeout((int) WAIT.toMillis());
        nat = new UdpRelay(loop, (InetSocketAddress) server.getLocalSocketAddress(), Duration.ZERO);
    }

    @AfterEach
    void stop() {
        nat.close();
        server.close();
        client.close();
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void aRebindMovesTheClientToANewPortAndTheOldOneStillDeliversToIt() throws IOException {
        InetSocketAddress[] ports = portsAround(nat::rebind);
        InetSocketAddress firstPort = ports[0];
        InetSocketAddress secondPort = ports[1];
        assertThat(nat.upstreamPorts().values()).containsExactly(secondPort.getPort());

        // What the server sent to the old port before it learned the new one still arrives.
        send(server, "late, to the old port", firstPort);
        send(server, "to the new port", secondPort);
        assertThat(receiveAtClient()).isEqualTo("late, to the old port");
        assertThat(receiveAtClient()).isEqualTo("to the new port");
    }

    @Test
    void aRebindWithoutReturnPathCarriesTheClientOutwardsOnly() throws IOException {
        InetSocketAddress[] ports = portsAround(nat::rebindWithoutReturnPath);

        send(server, "to the new port", ports[1]);
        send(server, "to the old port", ports[0]);
        assertThat(receiveAtClient()).as("the new port drops, the old one still delivers").isEqualTo("to the old port");
    }

    @Test
    void closingTheRelayClosesTheMappingsARebindLeftOpen() throws IOException {
        InetSocketAddress firstPort = sendFromClientAndReceiveAtServer("before");
        nat.rebind();
        nat.close();
        send(server, "to a closed mapping", firstPort);
        client.setSoTimeout(200);  // a wait for something that must not come: bounded, not a sync point
        assertThat(receiveAtClient()).startsWith("nothing within");
    }

    /** The client's public port before and after {@code move}, as the server saw them; they differ. */
    private InetSocketAddress[] portsAround(Runnable move) throws IOException {
        InetSocketAddress before = sendFromClientAndReceiveAtServer("before");
        move.run();
        InetSocketAddress after = sendFromClientAndReceiveAtServer("after");
        assertThat(after).isNotEqualTo(before);
        return new InetSocketAddress[] {before, after};
    }

    private InetSocketAddress sendFromClientAndReceiveAtServer(String text) throws IOException {
        send(client, text, nat.address());
        DatagramPacket in = new DatagramPacket(new byte[256], 256);
        server.receive(in);  // SocketTimeoutException after WAIT fails the test
        assertThat(new String(in.getData(), 0, in.getLength(), StandardCharsets.UTF_8)).isEqualTo(text);
        return (InetSocketAddress) in.getSocketAddress();
    }

    private String receiveAtClient() throws IOException {
        DatagramPacket in = new DatagramPacket(new byte[256], 256);
        try {
            client.receive(in);
        } catch (SocketTimeoutException nothing) {
            return "nothing within " + client.getSoTimeout() + " ms";
        }
        return new String(in.getData(), 0, in.getLength(), StandardCharsets.UTF_8);
    }

    private static void send(DatagramSocket from, String text, SocketAddress to) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        from.send(new DatagramPacket(bytes, bytes.length, to));
    }
}
