package io.presenter.gateway.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.presenter.gateway.backend.StreamRouter;
import io.presenter.protocol.auth.TokenKeys;
import io.presenter.protocol.auth.TokenSigner;
import io.presenter.protocol.auth.TokenVerifier;
import io.presenter.protocol.codec.ClientPackets;
import io.presenter.protocol.codec.LibthriftWire;
import io.presenter.protocol.codec.MalformedFrameException;
import io.presenter.protocol.codec.fuzz.FuzzInput;
import io.presenter.protocol.codec.fuzz.TrackingAllocator;
import io.presenter.protocol.wire.AuthPacket;
import io.presenter.protocol.wire.AuthToken;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.protocol.wire.Heartbeat;
import io.presenter.ring.RingListener;
import io.presenter.ring.RingSnapshot;
import io.presenter.ring.ShardDirectory;
import io.presenter.testing.TestChatClient;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The auth stage against arbitrary client bytes (after TLS), split into reads anywhere, once with
 * tokens checked at the edge and once without. For every input it must: never let an exception
 * out, reject at most once, reject exactly when the bytes hold a whole first packet (or a length
 * prefix it refuses), give the one reason that decoding that packet alone (and checking its
 * token) gives, keep waiting otherwise until the deadline rejects, and release every buffer.
 *
 * <p>The ring is empty, so an acceptable auth packet ends as {@code no_shard}: routing itself is
 * the end-to-end tests' job. The hand-made inputs below name their expected reason each, so an
 * expired, foreign or unknown-key token cannot pass as {@code no_shard}. Plain test runs replay
 * them (and any finding kept in {@code AuthStageFuzzTestInputs/firstPacket/});
 * {@code protocol/src/test/fuzz/run-fuzz.sh} fuzzes.
 */
class AuthStageFuzzTest {

    private static final int MAX_AUTH_PACKET_BYTES = 512;
    private static final Duration AUTH_TIMEOUT = Duration.ofSeconds(10);
    private static final Instant NOW = Instant.parse("2026-12-01T00:00:00Z");
    private static final TokenKeys KEYS = TokenKeys.of("k1", Map.of("k1",
            "fuzzing key, not a secret anywhere".getBytes(StandardCharsets.US_ASCII)));
    private static final TokenVerifier VERIFIER = new TokenVerifier(KEYS, Clock.fixed(NOW, ZoneOffset.UTC),
            TokenVerifier.DEFAULT_ALLOWED_SKEW);

    @FuzzTest
    void firstPacket(byte[] input) {
        FuzzInput parsed = FuzzInput.parse(input);
        check(parsed, TokenVerifier.ACCEPT_ALL);
        check(parsed, VERIFIER);
    }

    /** Each hand-made input gets exactly its reason, with edge token checks and without. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("nastyInputs")
    void nastyInput(String name, byte[] wire, int[] cuts, String atTheEdge, String leftToTheChatServer) {
        FuzzInput input = FuzzInput.parse(FuzzInput.encode(wire, cuts));
        assertThat(check(input, VERIFIER)).as("with edge token checks").isEqualTo(atTheEdge);
        assertThat(check(input, TokenVerifier.ACCEPT_ALL)).as("without").isEqualTo(leftToTheChatServer);
    }

    @Test
    void aSignedAuthPacketFollowedByChatIsAcceptedAndOnlyTheEmptyRingStopsIt() {
        assertThat(check(FuzzInput.parse(FuzzInput.encode(signedAuthThenChat(), 3, 40)), VERIFIER))
                .isEqualTo("no_shard");
    }

    @Test
    void aPacketShorterThanItsPrefixWaitsForTheDeadline() {
        assertThat(check(FuzzInput.parse(FuzzInput.encode(prefix(100))), TokenVerifier.ACCEPT_ALL))
                .isEqualTo("auth_timeout");
    }

    static Stream<Arguments> nastyInputs() {
        byte[] auth = signedAuthThenChat();
        AuthPacket expired = TestChatClient.authPacket(7, 70, signer(NOW.minus(Duration.ofHours(3)))
                .sign(7, 70, Duration.ofHours(1)));
        AuthPacket otherCouple = TestChatClient.authPacket(7, 71, signer(NOW).sign(7, 70, Duration.ofHours(1)));
        AuthPacket otherKey = TestChatClient.authPacket(7, 70, new AuthToken(signer(NOW).sign(7, 70,
                Duration.ofHours(1))).setKeyId("k9"));
        String badLength = "malformed_" + MalformedFrameException.Reason.BAD_LENGTH.tag();
        return Stream.of(
                Arguments.of("signed auth then chat, one read", auth, new int[0], "no_shard", "no_shard"),
                Arguments.of("signed auth then chat, a byte per read at the prefix", auth, new int[] {1, 2, 3, 4},
                        "no_shard", "no_shard"),
                Arguments.of("expired token", LibthriftWire.framed(ClientPacket.auth(expired)), new int[0],
                        "expired_token", "no_shard"),
                Arguments.of("token of another couple", LibthriftWire.framed(ClientPacket.auth(otherCouple)),
                        new int[0], "bad_token", "no_shard"),
                Arguments.of("unknown key id", LibthriftWire.framed(ClientPacket.auth(otherKey)), new int[0],
                        "unknown_key", "no_shard"),
                Arguments.of("ping first", LibthriftWire.framed(ClientPacket.ping(new Heartbeat(1))), new int[0],
                        "not_auth", "not_auth"),
                Arguments.of("length -1", prefix(-1), new int[0], badLength, badLength),
                Arguments.of("length 2^31-1", prefix(Integer.MAX_VALUE), new int[0], "auth_too_large",
                        "auth_too_large"),
                Arguments.of("length one over the cap", prefix(MAX_AUTH_PACKET_BYTES - Integer.BYTES + 1), new int[0],
                        "auth_too_large", "auth_too_large"),
                Arguments.of("length 0", prefix(0), new int[0], "malformed_invalid_struct", "malformed_invalid_struct"),
                Arguments.of("HTTP request",
                        "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII), new int[0],
                        "auth_too_large", "auth_too_large"),
                Arguments.of("auth packet cut one byte short", java.util.Arrays.copyOf(auth, 60), new int[] {30},
                        "auth_timeout", "auth_timeout"));
    }

    /**
     * Feeds {@code input} to a fresh auth stage, checks every invariant and returns the rejection
     * reason, after the deadline if the input did not end the stage.
     */
    private static String check(FuzzInput input, TokenVerifier verifier) {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        TrackingAllocator alloc = new TrackingAllocator();
        EmbeddedChannel client = new EmbeddedChannel();
        client.config().setAllocator(alloc);
        client.pipeline().addLast(AuthStage.NAME, new AuthStage(AUTH_TIMEOUT, MAX_AUTH_PACKET_BYTES, verifier,
                new StreamRouter(new EmptyRing(), null, "fuzz", 0, Duration.ZERO), new ClientMeters(registry)));
        for (byte[] read : input.reads()) {
            if (client.isOpen()) {
                client.writeInbound(alloc.buffer(read.length).writeBytes(read));
                client.checkException();
            }
        }
        String expected = expectedReason(input.wire(), verifier);
        assertThat(rejections(registry)).as("rejections before the deadline").isEqualTo(expected == null ? 0 : 1);
        assertThat(client.isOpen()).as("open while the first packet is incomplete").isEqualTo(expected == null);
        if (expected != null) {
            assertThat(reasonCounted(registry)).isEqualTo(expected);
        }
        String reason = expected == null ? "auth_timeout" : expected;
        client.advanceTimeBy(AUTH_TIMEOUT.toNanos() + 1, TimeUnit.NANOSECONDS);
        client.runScheduledPendingTasks();
        assertThat(client.isOpen()).as("open after the deadline").isFalse();
        assertThat(rejections(registry)).as("rejections after the deadline").isEqualTo(1);
        assertThat(reasonCounted(registry)).isEqualTo(reason);
        assertThat(client.inboundMessages()).as("the auth stage passes nothing on").isEmpty();
        client.finishAndReleaseAll();
        alloc.assertAllReleased();
        return reason;
    }

    /**
     * The one reason the stage must give for {@code wire}: null while the first packet is
     * incomplete, else what the length prefix, or decoding that one packet on its own, says; for an
     * auth packet, the token check's verdict, and then the empty ring's.
     */
    private static String expectedReason(byte[] wire, TokenVerifier verifier) {
        if (wire.length < Integer.BYTES) {
            return null;
        }
        int length = ByteBuffer.wrap(wire).getInt();
        if (length < 0) {
            return "malformed_" + MalformedFrameException.Reason.BAD_LENGTH.tag();
        }
        if (length > MAX_AUTH_PACKET_BYTES - Integer.BYTES) {
            return "auth_too_large";
        }
        if (wire.length < Integer.BYTES + length) {
            return null;
        }
        ClientPacket packet;
        try {
            packet = ClientPackets.decode(Unpooled.wrappedBuffer(wire, 0, Integer.BYTES + length));
        } catch (MalformedFrameException e) {
            return "malformed_" + e.reason().tag();
        }
        if (!packet.isSetAuth()) {
            return "not_auth";
        }
        return switch (verifier.verify(packet.getAuth())) {
            case OK -> "no_shard";
            case EXPIRED -> "expired_token";
            case UNKNOWN_KEY -> "unknown_key";
            case BAD_SIGNATURE, MALFORMED -> "bad_token";
        };
    }

    private static double rejections(SimpleMeterRegistry registry) {
        return registry.find(ClientMeters.AUTH_REJECTED).counters().stream().mapToDouble(Counter::count).sum();
    }

    private static String reasonCounted(SimpleMeterRegistry registry) {
        return registry.find(ClientMeters.AUTH_REJECTED).counters().stream()
                .filter(counter -> counter.count() > 0).findFirst().orElseThrow().getId().getTag("reason");
    }

    private static TokenSigner signer(Instant at) {
        return new TokenSigner(KEYS, Clock.fixed(at, ZoneOffset.UTC));
    }

    private static byte[] signedAuthThenChat() {
        AuthPacket auth = TestChatClient.authPacket(7, 70, signer(NOW).sign(7, 70, Duration.ofHours(1)));
        return io.presenter.protocol.codec.Bytes.concat(LibthriftWire.framed(ClientPacket.auth(auth)),
                LibthriftWire.framed(ClientPacket.ping(new Heartbeat(2))));
    }

    private static byte[] prefix(int length) {
        return ByteBuffer.allocate(Integer.BYTES).putInt(length).array();
    }

    /** No chat server known yet: every acceptable auth packet ends as {@code no_shard}. */
    private static final class EmptyRing implements ShardDirectory {

        @Override
        public RingSnapshot ring() {
            return RingSnapshot.empty();
        }

        @Override
        public void addListener(RingListener listener) {}

        @Override
        public void removeListener(RingListener listener) {}
    }
}
