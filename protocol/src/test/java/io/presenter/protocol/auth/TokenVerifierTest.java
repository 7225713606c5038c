package io.presenter.protocol.auth;

import static io.presenter.protocol.auth.TestSecrets.secret;
import static org.assertj.core.api.Assertions.assertThat;

import io.presenter.protocol.wire.AuthPacket;
import io.presenter.protocol.wire.AuthToken;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class TokenVerifierTest {

    private static final long USER = 42L;
    private static final long COUPLE = 4242L;
    private static final Instant NOW = Instant.parse("2026-11-22T06:00:00Z");
    private static final Duration LIFETIME = Duration.ofHours(1);
    private static final Duration SKEW = Duration.ofSeconds(30);
    private static final TokenKeys KEYS = TokenKeys.of("k1", Map.of("k1", secret(1)));

    private final TokenSigner signer = new TokenSigner(KEYS, clockAt(NOW));
    private final TokenVerifier verifier = verifierAt(NOW);

    @Test
    void acceptsTheTokenItsSignerIssued() {
        AuthToken token = signer.sign(USER, COUPLE, LIFETIME);

        assertThat(token.getKeyId()).isEqualTo("k1");
        assertThat(token.getExpiresAtEpochSeconds()).isEqualTo(NOW.plus(LIFETIME).getEpochSecond());
        assertThat(verifier.verify(USER, COUPLE, token)).isEqualTo(TokenStatus.OK);
    }

    @Test
    void verifiesTheUserAndCoupleAnAuthPacketClaims() {
        AuthToken token = signer.sign(USER, COUPLE, LIFETIME);

        assertThat(verifier.verify(new AuthPacket(USER, COUPLE, token, "v1"))).isEqualTo(TokenStatus.OK);
        assertThat(verifier.verify(new AuthPacket(USER + 1, COUPLE, token, "v1")))
                .isEqualTo(TokenStatus.BAD_SIGNATURE);
    }

    /** A token that is valid for (USER, COUPLE), presented in some altered way. */
    interface Presentation {
        TokenStatus verify(TokenVerifier verifier, AuthToken validToken);
    }

    static Stream<Arguments> alteredTokens() {
        return Stream.of(
                Arguments.of("another user", TokenStatus.BAD_SIGNATURE, claiming(USER + 1, COUPLE)),
                Arguments.of("another couple", TokenStatus.BAD_SIGNATURE, claiming(USER, COUPLE + 1)),
                Arguments.of("one signature bit flipped", TokenStatus.BAD_SIGNATURE, altered(token -> {
                    byte[] signature = token.getSignature();
                    signature[31] ^= 1;
                    return token.setSignature(signature);
                })),
                Arguments.of("expiry pushed back", TokenStatus.BAD_SIGNATURE,
                        altered(token -> token.setExpiresAtEpochSeconds(token.getExpiresAtEpochSeconds() + 3600))),
                Arguments.of("signed with another secret under the same key id", TokenStatus.BAD_SIGNATURE,
                        altered(token -> new TokenSigner(TokenKeys.of("k1", Map.of("k1", secret(2))), clockAt(NOW))
                                .sign(USER, COUPLE, LIFETIME))),
                Arguments.of("expired and forged", TokenStatus.BAD_SIGNATURE, altered(token -> {
                    byte[] signature = token.getSignature();
                    signature[0] ^= 1;
                    return token.setSignature(signature).setExpiresAtEpochSeconds(1L);
                })),
                Arguments.of("key id nobody issued", TokenStatus.UNKNOWN_KEY, altered(token -> token.setKeyId("k9"))),
                Arguments.of("short signature", TokenStatus.MALFORMED,
                        altered(token -> token.setSignature(ByteBuffer.wrap(new byte[16])))),
                Arguments.of("no key id", TokenStatus.MALFORMED, altered(token -> token.setKeyId(null))),
                Arguments.of("no signature", TokenStatus.MALFORMED,
                        altered(token -> token.setSignature((ByteBuffer) null))),
                Arguments.of("no token", TokenStatus.MALFORMED, altered(token -> null)));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("alteredTokens")
    void rejectsAlteredTokens(String description, TokenStatus expected, Presentation presentation) {
        assertThat(presentation.verify(verifier, signer.sign(USER, COUPLE, LIFETIME))).isEqualTo(expected);
    }

    static Stream<Arguments> verificationTimes() {
        Instant expiry = NOW.plus(LIFETIME);
        return Stream.of(
                Arguments.of(NOW, TokenStatus.OK),
                Arguments.of(expiry, TokenStatus.OK),
                Arguments.of(expiry.plus(SKEW), TokenStatus.OK),
                Arguments.of(expiry.plus(SKEW).plusSeconds(1), TokenStatus.EXPIRED),
                Arguments.of(expiry.plus(Duration.ofDays(365)), TokenStatus.EXPIRED));
    }

    @ParameterizedTest(name = "at {0}: {1}")
    @MethodSource("verificationTimes")
    void expiresOnceTheSkewAllowanceHasPassed(Instant verifiedAt, TokenStatus expected) {
        AuthToken token = signer.sign(USER, COUPLE, LIFETIME);

        assertThat(verifierAt(verifiedAt).verify(USER, COUPLE, token)).isEqualTo(expected);
    }

    @ParameterizedTest
    @EnumSource(TokenStatus.class)
    void mapsOntoTheAuthStatusOfTheSameName(TokenStatus status) {
        assertThat(status.toAuthStatus().name()).isEqualTo(status.name());
    }

    /** A shared {@code Mac} would mix concurrent computations and fail genuine tokens. */
    @Test
    void verifiesConcurrentlyFromManyThreads() throws Exception {
        List<AuthToken> tokens = IntStream.range(0, 64)
                .mapToObj(i -> signer.sign(USER + i, COUPLE, LIFETIME)).toList();
        Callable<Long> verifyAll = () -> IntStream.range(0, 2_000)
                .filter(i -> verifier.verify(USER + i % 64, COUPLE, tokens.get(i % 64)) == TokenStatus.OK)
                .count();
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            for (Future<Long> okCount : threads.invokeAll(List.of(verifyAll, verifyAll, verifyAll, verifyAll))) {
                assertThat(okCount.get()).isEqualTo(2_000L);
            }
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void acceptAllAcceptsWhatAKeyedVerifierRefuses() {
        AuthToken forged = signer.sign(USER, COUPLE, LIFETIME).setKeyId("unknown");

        assertThat(verifier.verify(new AuthPacket(USER, COUPLE, forged, "v1"))).isEqualTo(TokenStatus.UNKNOWN_KEY);
        assertThat(TokenVerifier.ACCEPT_ALL.verify(new AuthPacket(USER, COUPLE, forged, "v1")))
                .isEqualTo(TokenStatus.OK);
        assertThat(TokenVerifier.ACCEPT_ALL.verify(new AuthPacket())).isEqualTo(TokenStatus.OK);
        assertThat(TokenVerifier.ACCEPT_ALL.verify(USER, COUPLE, null)).isEqualTo(TokenStatus.OK);
    }

    @Test
    void describesItselfWithoutSecrets() {
        String secretBase64 = TestSecrets.base64(secret(1));

        assertThat(KEYS).asString().contains("k1").doesNotContain(secretBase64);
        assertThat(verifier).asString().contains("k1").doesNotContain(secretBase64);
        assertThat(signer).asString().contains("k1").doesNotContain(secretBase64);
    }

    private static Presentation claiming(long userId, long coupleId) {
        return (verifier, token) -> verifier.verify(userId, coupleId, token);
    }

    private static Presentation altered(UnaryOperator<AuthToken> alteration) {
        return (verifier, token) -> verifier.verify(USER, COUPLE, alteration.apply(token));
    }

    private static TokenVerifier verifierAt(Instant now) {
        return new TokenVerifier(KEYS, clockAt(now), SKEW);
    }

    private static Clock clockAt(Instant now) {
        return Clock.fixed(now, ZoneOffset.UTC);
    }
}
