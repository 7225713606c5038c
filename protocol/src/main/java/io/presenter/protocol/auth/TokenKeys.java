package io.presenter.protocol.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The ring of token signing keys: every key verifies tokens that name it, one key signs new ones.
 *
 * <p>Keys rotate without a restart: edit the key file and call {@link #reload()}. A reload swaps
 * the whole ring at once, so a concurrent verification sees either the old or the new ring; a file
 * that does not parse leaves the current ring in place. To rotate, add the new key (tokens signed
 * with it then verify everywhere), make it the {@code signing} key, and remove the old key once
 * the tokens it signed have expired.
 *
 * <p>The key file:
 *
 * <pre>
 * # comments and blank lines are ignored
 * k2026-10 = 3q2+7w...base64...
 * k2026-11 = Zm9vYmFy...base64...
 * signing = k2026-11
 * </pre>
 *
 * <p>Each {@code keyId = secret} line adds a key: the id is 1-32 of {@code [A-Za-z0-9._-]}
 * ({@code signing} is reserved), the secret is standard base64 of at least 32 random bytes
 * ({@code head -c 32 /dev/urandom | base64}). A {@code keyId = ed25519:<public>} line adds an
 * Ed25519 key that only verifies (base64 of the X.509 DER public key); {@code keyId =
 * ed25519:<public>:<private>} (the private key as base64 PKCS#8 DER) also signs. Presenters and
 * chat servers should hold public keys only: they can then check tokens but not mint them. HMAC and
 * Ed25519 keys mix in one file during a migration; a token's key id picks its key and so its
 * algorithm. The optional {@code signing} line names the key that signs new tokens; without it
 * the last key listed signs if it can (a file of public keys only verifies). Errors name the file
 * and line, never a secret.
 */
public final class TokenKeys {

    private final Path file;
    private volatile KeyRing ring;

    private TokenKeys(Path file, KeyRing ring) {
        this.file = file;
        this.ring = ring;
    }

    /** Loads the key file at {@code file}; {@link #reload()} reads it again. */
    public static TokenKeys load(Path file) throws IOException {
        return new TokenKeys(file, read(file));
    }

    /**
     * A fixed ring, for tests and the demo: {@code secrets} by key id (each at least 32 bytes), and
     * the id of the key that signs. It cannot be reloaded.
     *
     * @throws IllegalArgumentException if a key id or secret is not acceptable
     */
    public static TokenKeys of(String signingKeyId, Map<String, byte[]> secrets) {
        Map<String, TokenKey> keys = new LinkedHashMap<>();
        secrets.forEach((id, secret) -> keys.put(id, new HmacKey(id, secret)));
        TokenKey signing = keys.get(signingKeyId);
        if (signing == null) {
            throw new IllegalArgumentException("signing key '" + signingKeyId + "' is not among " + keys.keySet());
        }
        return new TokenKeys(null, new KeyRing(keys, Optional.of(signing)));
    }

    /**
     * A fixed ring parsed from key file {@code lines} (see above), for tests and tools.
     *
     * @throws KeyFileException if the lines are not a valid key file
     */
    public static TokenKeys parse(String source, List<String> lines) throws KeyFileException {
        return new TokenKeys(null, KeyFile.parse(source, lines));
    }

    /**
     * Reads the key file again and, if it parses, replaces every key with its contents.
     *
     * @throws KeyFileException if the file is not valid; the current keys stay in use
     * @throws IllegalStateException if these keys were not loaded from a file
     */
    public void reload() throws IOException {
        if (file == null) {
            throw new IllegalStateException("fixed keys cannot be reloaded");
        }
        ring = read(file);
    }

    /**
     * The id of the key that signs new tokens.
     *
     * @throws IllegalStateException if these keys only verify (Ed25519 public keys)
     */
    public String signingKeyId() {
        return ring.signer().id();
    }

    /** Whether these keys can sign, false for a verifier's ring of Ed25519 public keys. */
    public boolean canSign() {
        return ring.signingKey().isPresent();
    }

    /** Ids of every key that verifies. */
    public Set<String> keyIds() {
        return ring.keys().keySet();
    }

    KeyRing ring() {
        return ring;
    }

    private static KeyRing read(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        return KeyFile.parse(file.toString(), Files.readAllLines(file, StandardCharsets.UTF_8));
    }

    /** Key ids only: secrets never reach a log. */
    @Override
    public String toString() {
        return "TokenKeys(" + (file == null ? "fixed" : file) + ", " + ring + ")";
    }
}
