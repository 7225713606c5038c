package io.presenter.gateway.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.presenter.gateway.backend.StreamRequest;
import io.presenter.protocol.auth.TokenVerifier;
import io.presenter.protocol.codec.Bytes;
import io.presenter.protocol.codec.LibthriftWire;
import io.presenter.protocol.codec.fuzz.TrackingAllocator;
import io.presenter.protocol.wire.AuthToken;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.protocol.wire.Heartbeat;
import io.presenter.protocol.wire.ResetCode;
import io.presenter.testing.TestChatClient;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The relay, with the auth stage that builds it, on an {@link EmbeddedChannel} client and a fake
 * {@link io.presenter.gateway.backend.StreamOpener} whose streams are {@link FakeRelayStream}s: what
 * it asks the opener for, what the stream and the client receive, when either is read, and why
 * the client is closed. Routing itself is the router's business and not modelled here.
 */
class ClientRelayTest {

    private static final long COUPLE = 70;
    private static final int MAX_RETRIES = 2;
    private static final byte[] AUTH = LibthriftWire.framed(ClientPacket.auth(TestChatClient.authPacket(7, COUPLE,
            new AuthToken("k1", 0, ByteBuffer.allocate(32)))));
    private static final byte[] PING = LibthriftWire.framed(ClientPacket.ping(new Heartbeat(1)));

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ClientMeters meters = new ClientMeters(registry);
    private final TrackingAllocator alloc = new TrackingAllocator();
    private final FakeStreamOpener opener = new FakeStreamOpener(MAX_RETRIES);
    private final EmbeddedChannel client = client();

    private EmbeddedChannel client() {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.config().setAllocator(alloc);
        new ClientConnections(10, 0, meters).admit(channel);
        channel.pipeline().addLast(AuthStage.NAME,
                new AuthStage(Duration.ofSeconds(10), 4096, TokenVerifier.ACCEPT_ALL, opener, meters));
        return channel;
    }

    @AfterEach
    void everyBufferReleased() {
        client.finishAndReleaseAll();
        opener.closeAll();
        alloc.assertAllReleased();
    }

    @Test
    void theFirstOpenCarriesTheAuthPacketAndWhatCameWithIt() {
        clientSends(Bytes.concat(AUTH, PING));

        assertThat(opener.opens()).singleElement().extracting(FakeStreamOpener.Open::request)
                .isEqualTo(StreamRequest.first(COUPLE, client.remoteAddress()));
        assertThat(client.config().isAutoRead()).as("the client waits for its stream").isFalse();

        FakeRelayStream stream = opener.succeed();

        assertThat(client.pipeline().names()).contains(ClientRelay.NAME).doesNotContain(AuthStage.NAME);
        assertThat(sentOn(stream)).isEqualTo(Bytes.concat(AUTH, PING));
        assertThat(client.config().isAutoRead()).as("not read before the chat server answered").isFalse();

        chatServerSends(stream, "welcome");

        assertThat(receivedBy(client)).isEqualTo(bytes("welcome"));
        assertThat(client.config().isAutoRead()).as("read once the chat server answered").isTrue();
        clientSends(bytes("more"));
        assertThat(sentOn(stream)).isEqualTo(bytes("more"));
    }

    @Test
    void aWrongShardResetBeforeTheAnswerOpensAgainWhereTheResetSaysWithTheSameBytes() {
        clientSends(Bytes.concat(AUTH, PING));
        FakeRelayStream first = opener.succeed();
        sentOn(first);

        first.resetByPeer(ResetCode.WRONG_SHARD, "chat-2", 42);

        assertThat(opener.opens()).hasSize(2);
        assertThat(opener.opens().get(1).request()).isEqualTo(
                new StreamRequest(COUPLE, null, 1, "chat-2", 42));
        assertThat(registry.get(ClientMeters.WRONG_SHARD_RETRIES).counter().count()).isEqualTo(1);
        assertThat(client.isOpen()).isTrue();

        FakeRelayStream second = opener.succeed();

        assertThat(sentOn(second)).as("the kept bytes, again").isEqualTo(Bytes.concat(AUTH, PING));
        chatServerSends(second, "welcome");
        assertThat(receivedBy(client)).isEqualTo(bytes("welcome"));
    }

    @Test
    void afterTheLastRetryTheResetClosesTheClientWithItsCode() {
        clientSends(AUTH);
        for (int attempt = 0; attempt <= MAX_RETRIES; attempt++) {
            FakeRelayStream stream = opener.succeed();
            assertThat(sentOn(stream)).isEqualTo(AUTH);
            stream.resetByPeer(ResetCode.WRONG_SHARD, "chat-" + attempt, attempt);
        }
        client.runPendingTasks();

        assertThat(opener.opens()).hasSize(1 + MAX_RETRIES);
        assertThat(client.isOpen()).isFalse();
        assertThat(closedFor("reset_wrong_shard")).isEqualTo(1);
        assertThat(registry.get(ClientMeters.WRONG_SHARD_RETRIES).counter().count()).isEqualTo(MAX_RETRIES);
    }

    @Test
    void aClientGoneWhileItsStreamOpensClosesTheStreamWhenItArrives() {
        clientSends(Bytes.concat(AUTH, PING));
        client.close();
        client.runPendingTasks();

        FakeRelayStream late = opener.succeed();

        assertThat(late.isOpen()).as("nobody to relay for").isFalse();
        assertThat(sentOn(late)).as("nothing sent on it").isEmpty();
        assertThat(closedFor(ClientConnections.CLIENT_CLOSED)).isEqualTo(1);
    }

    @Test
    void eachSideIsReadOnlyWhileTheOtherCanTakeMore() {
        clientSends(AUTH);
        FakeRelayStream stream = opener.succeed();
        sentOn(stream);
        chatServerSends(stream, "welcome");
        receivedBy(client);
        assertThat(client.config().isAutoRead()).isTrue();

        // A slow chat server: its window closes, the client is not read; it opens, reading resumes.
        stream.setWritable(false);
        assertThat(client.config().isAutoRead()).as("stream full: client paused").isFalse();
        stream.setWritable(true);
        assertThat(client.config().isAutoRead()).as("stream writable: client read").isTrue();

        // A slow client: its socket fills, the stream is not asked for more; it drains, the stream is.
        FakeRelayStream.setWritable(client, false);
        int reads = stream.readRequests();
        chatServerSends(stream, "news");
        assertThat(receivedBy(client)).isEqualTo(bytes("news"));
        assertThat(stream.readRequests()).as("client full: stream paused").isEqualTo(reads);
        FakeRelayStream.setWritable(client, true);
        assertThat(stream.readRequests()).as("client writable: stream read").isEqualTo(reads + 1);
        chatServerSends(stream, "more news");
        assertThat(stream.readRequests()).as("and read after each batch while it stays so").isEqualTo(reads + 2);
        receivedBy(client);
    }

    @Test
    void aClientGoneLeavesItsStreamReadingItselfToTheEndAfterItsLastBytes() {
        clientSends(AUTH);
        FakeRelayStream stream = opener.succeed();
        sentOn(stream);
        chatServerSends(stream, "welcome");
        receivedBy(client);
        FakeRelayStream.setWritable(client, false);  // a client that stopped reading: the stream is paused
        clientSends(bytes("last words"));

        client.close();
        client.runPendingTasks();

        assertThat(sentOn(stream)).as("the client's last bytes still go out").isEqualTo(bytes("last words"));
        assertThat(stream.isOutputShutdown()).as("then the FIN").isTrue();
        // A chat server that half-closed first: its FIN waits behind whatever it sent, which only a
        // read delivers. Nobody reads for the client any more, so the stream reads by itself.
        assertThat(stream.readsToEnd()).isTrue();
        chatServerSends(stream, "too late for the client");  // dropped, released
        assertThat(closedFor(ClientConnections.CLIENT_CLOSED)).isEqualTo(1);
    }

    private void clientSends(byte[] bytes) {
        client.writeInbound(alloc.buffer(bytes.length).writeBytes(bytes));
        client.checkException();
    }

    private void chatServerSends(FakeRelayStream stream, String text) {
        stream.chatServerSends(alloc.buffer().writeBytes(bytes(text)));
        client.checkException();
    }

    /** Everything the relay sent on {@code stream} since the last look; the buffers are released. */
    private static byte[] sentOn(FakeRelayStream stream) {
        byte[] all = new byte[0];
        for (ByteBuf buf : stream.takeWritten()) {
            all = Bytes.concat(all, ByteBufUtil.getBytes(buf));
            buf.release();
        }
        return all;
    }

    /** Everything the relay wrote to {@code client} since the last look; the buffers are released. */
    private static byte[] receivedBy(EmbeddedChannel client) {
        return takeOutbound(client);
    }

    private static byte[] takeOutbound(EmbeddedChannel channel) {
        byte[] all = new byte[0];
        for (ByteBuf buf = channel.readOutbound(); buf != null; buf = channel.readOutbound()) {
            all = Bytes.concat(all, ByteBufUtil.getBytes(buf));
            buf.release();
        }
        return all;
    }

    private double closedFor(String reason) {
        return registry.counter(ClientMeters.CONNECTIONS_CLOSED, "reason", reason, ClientMeters.TRANSPORT, ClientMeters.TCP).count();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
