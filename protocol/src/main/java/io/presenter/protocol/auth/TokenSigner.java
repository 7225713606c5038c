package io.presenter.protocol.auth;

import io.presenter.protocol.wire.AuthToken;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Issues {@link AuthToken}s with the ring's current signing key: for tests, the demo and the load
 * harness (the real issuer is the chat service's login, which uses the same format). Thread-safe.
 */
public final class TokenSigner {

    private final TokenKeys keys;
    private final Clock clock;

    public TokenSigner(TokenKeys keys, Clock clock) {
        this.keys = Objects.requireNonNull(keys, "keys");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** A token for {@code userId} in {@code coupleId} that expires {@code lifetime} from now. */
    public AuthToken sign(long userId, long coupleId, Duration lifetime) {
        return sign(userId, coupleId, clock.instant().plus(lifetime));
    }

    /**
     * A token for {@code userId} in {@code coupleId} that expires at {@code expiresAt} (whole
     * seconds), HMAC or Ed25519 as the signing key is.
     *
     * @throws IllegalStateException if the keys only verify (Ed25519 public keys)
     */
    public AuthToken sign(long userId, long coupleId, Instant expiresAt) {
        TokenKey key = keys.ring().signer();
        long expiresAtEpochSeconds = expiresAt.getEpochSecond();
        byte[] signature = key.sign(userId, coupleId, expiresAtEpochSeconds);
        return new AuthToken(key.id(), expiresAtEpochSeconds, ByteBuffer.wrap(signature));
    }

    @Override
    public String toString() {
        return "TokenSigner(" + keys + ")";
    }
}
