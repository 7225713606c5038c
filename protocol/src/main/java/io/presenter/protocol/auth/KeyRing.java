package io.presenter.protocol.auth;

import java.util.Map;
import java.util.Optional;

/**
 * An immutable set of keys and the one that signs, if any: a ring of Ed25519 public keys alone
 * verifies but cannot sign. {@link TokenKeys} swaps whole rings.
 */
record KeyRing(Map<String, TokenKey> keys, Optional<TokenKey> signingKey) {

    KeyRing {
        keys = Map.copyOf(keys);
        if (signingKey.isPresent() && !signingKey.get().canSign()) {
            throw new IllegalArgumentException("key '" + signingKey.get().id() + "' cannot sign");
        }
    }

    TokenKey find(String keyId) {
        return keys.get(keyId);
    }

    /** @throws IllegalStateException if this ring only verifies */
    TokenKey signer() {
        return signingKey.orElseThrow(() -> new IllegalStateException(
                "these token keys only verify: no 'signing' line, and the last of " + keys.keySet()
                        + " is an Ed25519 public key"));
    }

    @Override
    public String toString() {
        return "KeyRing(keys=" + keys.keySet() + ", signing=" + signingKey.map(TokenKey::id).orElse("none, verify-only") + ")";
    }
}
