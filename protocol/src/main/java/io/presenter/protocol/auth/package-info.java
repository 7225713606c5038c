/**
 * Signed auth tokens: chat servers and presenters verify the token in a client's auth packet.
 *
 * <p>A token says that a user may join a couple until an instant. Its signature is
 * {@code HMAC-SHA256(secret, "v1|" + userId + "|" + coupleId + "|" + expiresAtEpochSeconds)}
 * (decimal numbers, UTF-8), made with the secret that the token's {@code keyId} names in a
 * {@link io.presenter.protocol.auth.TokenKeys} ring. A key id may instead name an Ed25519 key: the
 * signature is then Ed25519 over {@code "ed25519-v1|" + userId + "|" + coupleId + "|" +
 * expiresAtEpochSeconds}, and verifiers hold only its public key, so they cannot mint tokens.
 * {@link io.presenter.protocol.auth.TokenSigner}
 * issues tokens, {@link io.presenter.protocol.auth.TokenVerifier} checks them.
 */
package io.presenter.protocol.auth;
