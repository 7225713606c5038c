package io.presenter.protocol.auth;

import io.presenter.protocol.wire.AuthToken;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The token key tool, for operators and scripts ({@code java -cp presenter.jar
 * io.presenter.protocol.auth.TokenKeyTool ...}):
 *
 * <ul>
 * <li>{@code ed25519 <keyId>} prints a new Ed25519 key as two key file lines: the issuer's (which
 *     signs) and the verifiers' (public key only, for presenters and chat servers);</li>
 * <li>{@code hmac <keyId>} prints a new HMAC key file line (32 random bytes);</li>
 * <li>{@code sign <keyFile> <userId> <coupleId> <lifetime>} signs a token with the file's signing
 *     key, HMAC or Ed25519, and prints its key id, expiry and base64 signature.</li>
 * </ul>
 */
public final class TokenKeyTool {

    private TokenKeyTool() {
    }

    /**
     * The two key file lines of a new Ed25519 key.
     *
     * @param signer {@code keyId = ed25519:<public>:<private>}, for the issuer only
     * @param verifier {@code keyId = ed25519:<public>}, for presenters and chat servers
     */
    public record Ed25519Lines(String signer, String verifier) {
        /** Key material must never reach a log. */
        @Override
        public String toString() {
            return "Ed25519Lines(" + verifier.substring(0, verifier.indexOf('=')).strip() + ")";
        }
    }

    /** A new Ed25519 key under {@code keyId}, as key file lines. */
    public static Ed25519Lines ed25519(String keyId) {
        Ed25519Key key = Ed25519Key.generate(keyId);
        return new Ed25519Lines(key.id() + " = " + key.keyFileValue(),
                key.id() + " = " + key.publicOnly().keyFileValue());
    }

    public static void main(String[] args) throws Exception {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        if (args.length == 2 && args[0].equals("ed25519")) {
            Ed25519Lines lines = ed25519(args[1]);
            out.println("# issuer (signs; keep secret):");
            out.println(lines.signer());
            out.println("# presenters and chat servers (verify only):");
            out.println(lines.verifier());
            return 0;
        }
        if (args.length == 2 && args[0].equals("hmac")) {
            byte[] secret = new byte[HmacKey.MIN_SECRET_BYTES];
            new java.security.SecureRandom().nextBytes(secret);
            HmacKey key = new HmacKey(args[1], secret);
            out.println(key.id() + " = " + Base64.getEncoder().encodeToString(secret));
            return 0;
        }
        if (args.length == 5 && args[0].equals("sign")) {
            TokenKeys keys = TokenKeys.load(Path.of(args[1]));
            if (!keys.canSign()) {
                err.println(args[1] + " only verifies (its signing key is an Ed25519 public key): sign with the issuer's file");
                return 1;
            }
            AuthToken token = new TokenSigner(keys, Clock.systemUTC())
                    .sign(Long.parseLong(args[2]), Long.parseLong(args[3]), Duration.parse(args[4]));
            out.println("keyId=" + token.getKeyId() + " expiresAtEpochSeconds=" + token.getExpiresAtEpochSeconds()
                    + " signature=" + Base64.getEncoder().encodeToString(token.getSignature())
                    + " (hex " + HexFormat.of().formatHex(token.getSignature()) + ")");
            return 0;
        }
        err.println("usage: TokenKeyTool ed25519 <keyId> | hmac <keyId>"
                + " | sign <keyFile> <userId> <coupleId> <lifetime, e.g. PT1H>");
        return 2;
    }
}
