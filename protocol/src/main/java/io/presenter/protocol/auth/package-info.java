/**
 * Signed auth tokens: chat servers and presenters verify the token in a client's auth packet.
 *
 * <p>A token says that a user may join a couple until an instant. Its signature is
 * {@code HMAC-SHA256(secret, "v1|" + userId + "|" + coupleId + "|" + expiresAtEpochSeconds)}
 * (decimal numbers, UTF-8), made with the secret that the token's {@code keyId} names in a
 * {@link io.presenter.protocol.auth.TokenKeys} ring. {@link io.presenter.protocol.auth.TokenSigner}
 * issues tokens, {@link io.presenter.protocol.auth.TokenVerifier} checks them.
 */
package io.presenter.protocol.auth;
