package io.presenter.protocol.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Optional;

/**
 * A named Ed25519 token key (RFC 8032, the JDK's {@code Ed25519}). Its public half verifies: that
 * is all a presenter or chat server needs, and all it can leak. Its private half, held only by
 * whoever issues tokens (the chat service's login, an auth service), signs.
 *
 * <p>The signed message is {@code "ed25519-v1|" + userId + "|" + coupleId + "|" +
 * expiresAtEpochSeconds} (decimal, UTF-8): its prefix differs from HMAC's {@code "v1|"}, so a
 * signature of one kind never stands for the other. {@link Signature} is not thread-safe, so each
 * thread keeps its own instance, as {@link HmacKey} does with its {@code Mac}.
 */
final class Ed25519Key implements TokenKey {

    static final String ALGORITHM = "Ed25519";
    static final int SIGNATURE_LENGTH = 64;
    static final String PROVIDER_PROPERTY = "io.presenter.auth.ed25519.provider";
    /** Null when BouncyCastle is not on the class path. */
    private static final Provider BOUNCY_CASTLE = bouncyCastle();

    private final String id;
    private final PublicKey publicKey;
    private final Optional<PrivateKey> privateKey;
    /** Initialised once per thread: a verify resets it for the next, and initialising decodes the key. */
    private final ThreadLocal<Signature> verifiers;
    private final ThreadLocal<Signature> signers;

    /**
     * @throws IllegalArgumentException if the id is not valid, or the private key does not sign
     *     what the public key verifies (the message quotes neither key)
     */
    Ed25519Key(String id, PublicKey publicKey, Optional<PrivateKey> privateKey) {
        if (!HmacKey.isValidId(id)) {
            throw new IllegalArgumentException("a key id must be 1-32 of [A-Za-z0-9._-]");
        }
        this.id = id;
        this.publicKey = publicKey;
        this.privateKey = privateKey;
        verifiers = ThreadLocal.withInitial(() -> {
            Signature verifier = newSignature();
            try {
                verifier.initVerify(publicKey);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("Ed25519 key '" + id + "' does not verify", e);
            }
            return verifier;
        });
        signers = ThreadLocal.withInitial(Ed25519Key::newSignature);
        if (privateKey.isPresent() && !verifies(0, 0, 0, sign(0, 0, 0))) {
            throw new IllegalArgumentException("the private and public keys of '" + id + "' are not one pair");
        }
    }

    /** A new key pair under {@code id}, for the key tool and tests. */
    static Ed25519Key generate(String id) {
        try {
            KeyPair pair = KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
            return new Ed25519Key(id, pair.getPublic(), Optional.of(pair.getPrivate()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Java 15+ always has " + ALGORITHM, e);
        }
    }

    /**
     * Decodes a key from the key file's forms: the public key as base64 of its X.509
     * SubjectPublicKeyInfo DER ({@code openssl pkey -pubout -outform DER | base64}), and, to sign,
     * the private key as base64 of its PKCS#8 DER ({@code openssl genpkey -algorithm ed25519
     * -outform DER | base64}).
     *
     * @throws IllegalArgumentException if either does not decode as an Ed25519 key
     */
    static Ed25519Key decode(String id, String publicBase64, Optional<String> privateBase64) {
        try {
            KeyFactory factory = KeyFactory.getInstance(ALGORITHM);
            PublicKey publicKey = factory.generatePublic(
                    new X509EncodedKeySpec(Base64.getDecoder().decode(publicBase64)));
            Optional<PrivateKey> privateKey = privateBase64.isEmpty() ? Optional.empty()
                    : Optional.of(factory.generatePrivate(
                            new PKCS8EncodedKeySpec(Base64.getDecoder().decode(privateBase64.get()))));
            return new Ed25519Key(id, publicKey, privateKey);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            // Not e's message: it may quote key bytes.
            throw new IllegalArgumentException("key '" + id + "' is not a base64 Ed25519 "
                    + (privateBase64.isEmpty() ? "public key (X.509 DER)" : "public (X.509 DER) and private (PKCS#8 DER) key"));
        }
    }

    /** This key without its private half: what a verifier's key file holds. */
    Ed25519Key publicOnly() {
        return new Ed25519Key(id, publicKey, Optional.empty());
    }

    /** The key file value of this key: {@code ed25519:<public>} or {@code ed25519:<public>:<private>}. */
    String keyFileValue() {
        Base64.Encoder base64 = Base64.getEncoder();
        return KeyFile.ED25519_PREFIX + base64.encodeToString(publicKey.getEncoded())
                + privateKey.map(key -> ":" + base64.encodeToString(key.getEncoded())).orElse("");
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public int signatureLength() {
        return SIGNATURE_LENGTH;
    }

    @Override
    public boolean verifies(long userId, long coupleId, long expiresAtEpochSeconds, byte[] signature) {
        Signature verifier = verifiers.get();
        try {
            verifier.update(message(userId, coupleId, expiresAtEpochSeconds));
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            verifiers.remove();  // its state after a failure is unspecified: start afresh next time
            return false;  // a signature that does not even decode is not this key's
        }
    }

    @Override
    public boolean canSign() {
        return privateKey.isPresent();
    }

    @Override
    public byte[] sign(long userId, long coupleId, long expiresAtEpochSeconds) {
        PrivateKey key = privateKey.orElseThrow(() -> new IllegalStateException(
                "key '" + id + "' is an Ed25519 public key: it verifies tokens but cannot sign them"));
        Signature signer = signers.get();
        try {
            signer.initSign(key);
            signer.update(message(userId, coupleId, expiresAtEpochSeconds));
            return signer.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 signing failed for key '" + id + "'", e);
        }
    }

    private static byte[] message(long userId, long coupleId, long expiresAtEpochSeconds) {
        return ("ed25519-v1|" + userId + "|" + coupleId + "|" + expiresAtEpochSeconds).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A {@link Signature} from BouncyCastle when it is on the class path (the presenter's jar has
     * it), else from the JDK. Why: on Java 17 the JDK's Ed25519 verifies in milliseconds, while
     * BouncyCastle's takes tens of microseconds (TokenVerifyBenchmark, BENCHMARKS.md), and a
     * presenter verifies a token on every connect. System property {@value #PROVIDER_PROPERTY}
     * = {@code jdk} forces the JDK's.
     */
    private static Signature newSignature() {
        try {
            Provider bouncyCastle = System.getProperty(PROVIDER_PROPERTY, "auto").equals("jdk") ? null : BOUNCY_CASTLE;
            return bouncyCastle == null ? Signature.getInstance(ALGORITHM) : Signature.getInstance(ALGORITHM, bouncyCastle);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Java 15+ always has " + ALGORITHM, e);
        }
    }

    private static Provider bouncyCastle() {
        try {
            return (Provider) Class.forName("org.bouncycastle.jce.provider.BouncyCastleProvider")
                    .getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            return null;  // not on the class path: the JDK's Ed25519 it is
        }
    }

    /** The id and kind only: key bytes never reach a log. */
    @Override
    public String toString() {
        return "Ed25519Key(" + id + (canSign() ? ", signs" : ", verify-only") + ")";
    }
}
