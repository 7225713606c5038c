package io.presenter.protocol.auth;

/**
 * One named token key of a {@link KeyRing}: an HMAC secret, which both signs and verifies, or an
 * Ed25519 key, which verifies with its public half and signs only where its private half is
 * present. A token's key id picks the key, and so the algorithm: ids are unique across kinds.
 */
sealed interface TokenKey permits HmacKey, Ed25519Key {

    String id();

    /** The length of every signature this key makes: 32 for HMAC-SHA256, 64 for Ed25519. */
    int signatureLength();

    /** Whether {@code signature} is this key's for this user, couple and expiry (constant time where it matters). */
    boolean verifies(long userId, long coupleId, long expiresAtEpochSeconds, byte[] signature);

    /** Whether this key can {@link #sign}: false for an Ed25519 public key alone. */
    boolean canSign();

    /**
     * The signature of a token for {@code userId} in {@code coupleId} until {@code expiresAt}.
     *
     * @throws IllegalStateException if this key cannot sign
     */
    byte[] sign(long userId, long coupleId, long expiresAtEpochSeconds);
}
