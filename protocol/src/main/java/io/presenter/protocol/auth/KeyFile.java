package io.presenter.protocol.auth;

import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Parses the token key file format described on {@link TokenKeys}. A problem is reported with its
 * line number; only text that is a valid key id is ever quoted, so a misplaced secret (a missing
 * {@code =} or key id) never reaches a message.
 */
final class KeyFile {

    private static final String SIGNING = "signing";
    /** Marks an Ed25519 key's value; a bare value is an HMAC secret, as before Ed25519 existed. */
    static final String ED25519_PREFIX = "ed25519:";

    private KeyFile() {}

    static KeyRing parse(String source, List<String> lines) throws KeyFileException {
        Map<String, TokenKey> keys = new LinkedHashMap<>();
        TokenKey last = null;
        String signingId = null;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = source + " line " + (i + 1) + ": ";
            // Base64 padding is '=' too, so a line missing its separator yields a bad key id here.
            int equals = line.indexOf('=');
            String name = equals < 0 ? "" : line.substring(0, equals).strip();
            String value = line.substring(equals + 1).strip();
            if (!HmacKey.isValidId(name)) {
                throw new KeyFileException(where + "expected 'keyId = base64secret' or 'signing = keyId',"
                        + " a key id being 1-32 of [A-Za-z0-9._-]");
            }
            if (name.equals(SIGNING)) {
                if (signingId != null) {
                    throw new KeyFileException(where + "second 'signing' line");
                }
                if (!HmacKey.isValidId(value)) {
                    throw new KeyFileException(where + "'signing' must name a key id, 1-32 of [A-Za-z0-9._-]");
                }
                signingId = value;
                continue;
            }
            if (keys.containsKey(name)) {
                throw new KeyFileException(where + "key '" + name + "' is listed twice");
            }
            last = key(where, name, value);
            keys.put(name, last);
        }
        if (last == null) {
            throw new KeyFileException(source + ": no keys");
        }
        if (signingId == null) {
            // The last key signs if it can; a ring of Ed25519 public keys only verifies.
            return new KeyRing(keys, last.canSign() ? Optional.of(last) : Optional.empty());
        }
        TokenKey signing = keys.get(signingId);
        if (signing == null) {
            throw new KeyFileException(source + ": signing key '" + signingId + "' is not listed");
        }
        if (!signing.canSign()) {
            throw new KeyFileException(source + ": signing key '" + signingId
                    + "' is an Ed25519 public key without its private key: it cannot sign");
        }
        return new KeyRing(keys, Optional.of(signing));
    }

    private static TokenKey key(String where, String keyId, String value) throws KeyFileException {
        if (value.startsWith(ED25519_PREFIX)) {
            String[] parts = value.substring(ED25519_PREFIX.length()).split(":", -1);
            if (parts.length > 2) {
                throw new KeyFileException(where + "key '" + keyId + "': expected 'ed25519:<public>' or"
                        + " 'ed25519:<public>:<private>'");
            }
            try {
                return Ed25519Key.decode(keyId, parts[0].strip(),
                        parts.length == 2 ? Optional.of(parts[1].strip()) : Optional.empty());
            } catch (IllegalArgumentException e) {
                throw new KeyFileException(where + e.getMessage());
            }
        }
        return hmac(where, keyId, value);
    }

    private static HmacKey hmac(String where, String keyId, String base64) throws KeyFileException {
        byte[] secret;
        try {
            secret = Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            // Not e's message: it may quote the offending character of the secret.
            throw new KeyFileException(where + "secret of key '" + keyId + "' is not valid base64");
        }
        try {
            return new HmacKey(keyId, secret);
        } catch (IllegalArgumentException e) {
            throw new KeyFileException(where + e.getMessage());
        }
    }
}
