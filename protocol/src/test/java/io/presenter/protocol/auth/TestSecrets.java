package io.presenter.protocol.auth;

import java.util.Arrays;
import java.util.Base64;

/** Fixed secrets and key-file lines for the token tests. */
final class TestSecrets {

    private TestSecrets() {}

    /** A distinct valid secret per {@code seed}. */
    static byte[] secret(int seed) {
        byte[] secret = new byte[HmacKey.MIN_SECRET_BYTES];
        Arrays.fill(secret, (byte) seed);
        secret[0] = (byte) (seed * 7 + 1);
        return secret;
    }

    static String base64(byte[] secret) {
        return Base64.getEncoder().encodeToString(secret);
    }

    /** A key file line {@code keyId = base64(secret(seed))}. */
    static String keyLine(String keyId, int seed) {
        return keyId + " = " + base64(secret(seed));
    }
}
