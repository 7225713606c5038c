package io.presenter.gateway.client;

import static io.presenter.gateway.PresenterCluster.assertChat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.presenter.gateway.PresenterCluster;
import io.presenter.gateway.PresenterServer;
import io.presenter.protocol.auth.TokenKeyTool;
import io.presenter.protocol.auth.TokenKeys;
import io.presenter.protocol.auth.TokenSigner;
import io.presenter.protocol.auth.TokenStatus;
import io.presenter.protocol.auth.TokenVerifier;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.protocol.wire.AuthToken;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.testing.TestChatClient;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verify-only keys at the edge: the issuer signs with an Ed25519 private key, the presenter and the
 * chat server hold the public key only (and, mid-migration, the old HMAC secret). Good tokens of
 * both kinds get through and chat; forged, expired and unknown-key ones are refused by the
 * presenter with the same counted reasons as HMAC tokens.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Ed25519TokenTest {

    private static final String HMAC_LINE = "k1 = " + java.util.Base64.getEncoder()
            .encodeToString(PresenterCluster.TOKEN_SECRET.getBytes(StandardCharsets.US_ASCII));

    private final TokenKeyTool.Ed25519Lines ed = TokenKeyTool.ed25519("e1");
    /** The issuer: signs with Ed25519 e1 (the signing key), still holds HMAC k1 for the migration. */
    private final TokenKeys issuer = keys(HMAC_LINE, ed.signer(), "signing = e1");
    /** Presenters and chat servers: e1's public key and k1, nothing that signs Ed25519. */
    private final TokenKeys verifiers = keys(HMAC_LINE, ed.verifier());

    private PresenterCluster cluster;
    private PresenterServer presenter;

    @BeforeAll
    void start() throws Exception {
        cluster = new PresenterCluster(issuer, verifiers);
        cluster.startChatServer("chat-1");
        cluster.converged(1);
        presenter = cluster.startPresenter(PresenterCluster.settings(), cluster.directory);
    }

    @AfterAll
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void goodEd25519TokensChatThroughAPresenterHoldingOnlyThePublicKey() throws Exception {
        AuthToken token = new TokenSigner(issuer, Clock.systemUTC()).sign(1, 700, Duration.ofHours(1));
        assertThat(token.getKeyId()).isEqualTo("e1");
        assertThat(token.getSignature()).hasSize(64);

        TestChatClient alice = cluster.authenticated(presenter, 1, 700);
        TestChatClient bob = cluster.authenticated(presenter, 2, 700);
        assertChat(alice, bob, 1, 3);
        assertChat(bob, alice, 4, 3);
    }

    @Test
    void hmacTokensStayReadableDuringTheMigration() throws Exception {
        TestChatClient client = cluster.connect(presenter);
        AuthToken hmac = new TokenSigner(TokenKeys.parse("k1 only", List.of(HMAC_LINE)), Clock.systemUTC())
                .sign(3, 701, Duration.ofHours(1));
        assertThat(hmac.getSignature()).hasSize(32);
        assertThat(client.authenticate(TestChatClient.authPacket(3, 701, hmac))).isEqualTo(AuthStatus.OK);
    }

    @Test
    void theVerifiersKeysCannotMintEd25519Tokens(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("presenter.keys");
        Files.writeString(file, ed.verifier() + "\n");
        TokenKeys publicOnly = TokenKeys.load(file);

        assertThat(publicOnly.canSign()).isFalse();
        assertThatThrownBy(() -> new TokenSigner(publicOnly, Clock.systemUTC()).sign(1, 1, Duration.ofHours(1)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("only verify");
        assertThat(verifiers.canSign()).as("mid-migration, the last key listed is the Ed25519 public one").isFalse();
        assertThatThrownBy(() -> keys(ed.verifier(), "signing = e1"))
                .hasMessageContaining("cannot sign");
    }

    @Test
    void forgedTokenIsRefusedAsBadToken() throws Exception {
        // A forger with their own Ed25519 key, signing under the real key id.
        TokenKeys forger = keys(TokenKeyTool.ed25519("e1").signer());
        AuthToken forged = new TokenSigner(forger, Clock.systemUTC()).sign(4, 702, Duration.ofHours(1));
        assertRefused(4, 702, forged, "bad_token");

        // A genuine token for another couple, replayed for this one.
        AuthToken other = new TokenSigner(issuer, Clock.systemUTC()).sign(5, 9999, Duration.ofHours(1));
        assertRefused(5, 703, other, "bad_token");
    }

    @Test
    void expiredTokenIsRefusedAsExpired() throws Exception {
        Instant longAgo = Instant.now().minus(Duration.ofHours(2));
        AuthToken expired = new TokenSigner(issuer, Clock.systemUTC()).sign(6, 704, longAgo);
        assertRefused(6, 704, expired, "expired_token");
    }

    @Test
    void unknownKeyIsRefusedAsUnknownKey() throws Exception {
        TokenKeys retired = keys(TokenKeyTool.ed25519("e0-retired").signer());
        AuthToken token = new TokenSigner(retired, Clock.systemUTC()).sign(7, 705, Duration.ofHours(1));
        assertRefused(7, 705, token, "unknown_key");
    }

    @Test
    void signaturesOfTheWrongKindOrOneBitOffAreRefused() {
        TokenVerifier verifier = new TokenVerifier(verifiers, Clock.systemUTC(), TokenVerifier.DEFAULT_ALLOWED_SKEW);
        AuthToken good = new TokenSigner(issuer, Clock.systemUTC()).sign(8, 706, Duration.ofHours(1));
        assertThat(verifier.verify(8, 706, good)).isEqualTo(TokenStatus.OK);

        byte[] flipped = good.getSignature().clone();
        flipped[17] ^= 1;
        assertThat(verifier.verify(8, 706, good.deepCopy().setSignature(flipped))).isEqualTo(TokenStatus.BAD_SIGNATURE);
        // An HMAC-sized signature under the Ed25519 key id: wrong shape, nothing checked.
        assertThat(verifier.verify(8, 706, good.deepCopy().setSignature(ByteBuffer.wrap(new byte[32]))))
                .isEqualTo(TokenStatus.MALFORMED);
    }

    /** The presenter closes the client and counts {@code reason}, as it does for HMAC tokens. */
    private void assertRefused(long user, long couple, AuthToken token, String reason) throws Exception {
        double before = cluster.counter(ClientMeters.AUTH_REJECTED, "reason", reason);
        TestChatClient client = cluster.connect(presenter);
        client.send(ClientPacket.auth(TestChatClient.authPacket(user, couple, token)));
        client.awaitClosed();
        cluster.awaitCounter(before + 1, ClientMeters.AUTH_REJECTED, "reason", reason);
    }

    private static TokenKeys keys(String... lines) {
        try {
            return TokenKeys.parse("test keys", List.of(lines));
        } catch (Exception e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }
}
