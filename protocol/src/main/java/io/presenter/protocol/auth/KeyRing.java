package io.presenter.protocol.auth;

import java.util.Map;

/** An immutable set of keys and the one that signs; {@link TokenKeys} swaps whole rings. */
record KeyRing(Map<String, HmacKey> keys, HmacKey signingKey) {

    KeyRing {
        keys = Map.copyOf(keys);
    }

    HmacKey find(String keyId) {
        return keys.get(keyId);
    }

    @Override
    public String toString() {
        return "KeyRing(keys=" + keys.keySet() + ", signing=" + signingKey.id() + ")";
    }
}
