package io.presenter.protocol.auth;

import io.presenter.protocol.wire.AuthPacket;
import io.presenter.protocol.wire.AuthToken;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * Checks that a token was signed by a known key for exactly this user and couple, and has not
 * expired. Thread-safe and lock-free, meant to run on event loops.
 *
 * <p>The signature is checked before the expiry, so {@link TokenStatus#EXPIRED} is only ever said
 * about authentic tokens. HMAC signatures are compared in constant time so that timing does not
 * reveal how much of a forged signature was right; Ed25519 signatures are verified with the public
 * key, which holds no secret to leak.
 *
 * <p>{@link #ACCEPT_ALL} is the verifier of a component that leaves tokens to someone else (a
 * presenter without the keys: its chat servers check every token).
 */
public sealed class TokenVerifier permits TokenVerifier.AcceptAll {

    /** Tolerance for clocks of token issuers and verifiers that disagree a little. */
    public static final Duration DEFAULT_ALLOWED_SKEW = Duration.ofSeconds(30);

    /** Says {@link TokenStatus#OK} to every auth packet, without looking: tokens are checked elsewhere. */
    public static final TokenVerifier ACCEPT_ALL = new AcceptAll();

    private final TokenKeys keys;
    private final Clock clock;
    private final long allowedSkewSeconds;

    /**
     * @param allowedSkew how long after its expiry a token is still accepted
     */
    public TokenVerifier(TokenKeys keys, Clock clock, Duration allowedSkew) {
        this.keys = Objects.requireNonNull(keys, "keys");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (allowedSkew.isNegative()) {
            throw new IllegalArgumentException("allowedSkew " + allowedSkew + " is negative");
        }
        this.allowedSkewSeconds = allowedSkew.toSeconds();
    }

    private TokenVerifier() {
        keys = null;
        clock = null;
        allowedSkewSeconds = 0;
    }

    /** Verifies the token an auth packet carries for the user and couple it claims. */
    public TokenStatus verify(AuthPacket auth) {
        if (!auth.isSetUserId() || !auth.isSetCoupleId()) {
            return TokenStatus.MALFORMED;
        }
        return verify(auth.getUserId(), auth.getCoupleId(), auth.getToken());
    }

    /** Verifies that {@code token} lets {@code userId} join {@code coupleId} now. */
    public TokenStatus verify(long userId, long coupleId, AuthToken token) {
        if (token == null || !token.isSetKeyId() || !token.isSetExpiresAtEpochSeconds()
                || !token.isSetSignature()) {
            return TokenStatus.MALFORMED;
        }
        byte[] signature = token.getSignature();
        if (signature.length != HmacKey.SIGNATURE_LENGTH && signature.length != Ed25519Key.SIGNATURE_LENGTH) {
            return TokenStatus.MALFORMED;
        }
        TokenKey key = keys.ring().find(token.getKeyId());
        if (key == null) {
            return TokenStatus.UNKNOWN_KEY;
        }
        if (signature.length != key.signatureLength()) {
            return TokenStatus.MALFORMED;
        }
        if (!key.verifies(userId, coupleId, token.getExpiresAtEpochSeconds(), signature)) {
            return TokenStatus.BAD_SIGNATURE;
        }
        if (clock.instant().getEpochSecond() - allowedSkewSeconds > token.getExpiresAtEpochSeconds()) {
            return TokenStatus.EXPIRED;
        }
        return TokenStatus.OK;
    }

    @Override
    public String toString() {
        return "TokenVerifier(" + keys + ", skew=" + allowedSkewSeconds + "s)";
    }

    /** {@link #ACCEPT_ALL}: has no keys and needs none. */
    static final class AcceptAll extends TokenVerifier {

        private AcceptAll() {
        }

        @Override
        public TokenStatus verify(AuthPacket auth) {
            return TokenStatus.OK;
        }

        @Override
        public TokenStatus verify(long userId, long coupleId, AuthToken token) {
            return TokenStatus.OK;
        }

        @Override
        public String toString() {
            return "TokenVerifier.ACCEPT_ALL";
        }
    }
}
