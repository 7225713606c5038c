package io.presenter.protocol.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * One named HMAC-SHA256 secret, and the token signature it makes.
 *
 * <p>{@link Mac} is not thread-safe and initialising one costs more than the MAC itself, so each
 * thread keeps its own initialised instance; verification on event loops then takes no lock.
 */
final class HmacKey implements TokenKey {

    static final String ALGORITHM = "HmacSHA256";
    static final int SIGNATURE_LENGTH = 32;
    /** HMAC-SHA256 is as strong as its key up to the hash's 32 bytes; shorter is guessable. */
    static final int MIN_SECRET_BYTES = 32;
    /**
     * At most 32 characters, while a base64 secret has at least 43: a key id can never be a whole
     * secret, so messages may quote valid ids without risk of quoting a misplaced secret.
     */
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,32}");

    private final String id;
    private final ThreadLocal<Mac> mac;

    /**
     * @throws IllegalArgumentException if the id is not {@linkplain #isValidId valid} or the
     *     secret is shorter than {@value #MIN_SECRET_BYTES} bytes (the message quotes neither)
     */
    HmacKey(String id, byte[] secret) {
        if (!isValidId(id)) {
            throw new IllegalArgumentException("a key id must be 1-32 of [A-Za-z0-9._-]");
        }
        if (secret.length < MIN_SECRET_BYTES) {
            throw new IllegalArgumentException("secret of key '" + id + "' has " + secret.length
                    + " bytes, at least " + MIN_SECRET_BYTES + " are needed");
        }
        this.id = id;
        SecretKeySpec key = new SecretKeySpec(secret, ALGORITHM);
        this.mac = ThreadLocal.withInitial(() -> newMac(key));
    }

    static boolean isValidId(String id) {
        return ID.matcher(id).matches();
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public int signatureLength() {
        return SIGNATURE_LENGTH;
    }

    /** Compares in constant time, so timing does not reveal how much of a forged signature was right. */
    @Override
    public boolean verifies(long userId, long coupleId, long expiresAtEpochSeconds, byte[] signature) {
        return MessageDigest.isEqual(sign(userId, coupleId, expiresAtEpochSeconds), signature);
    }

    @Override
    public boolean canSign() {
        return true;
    }

    @Override
    public byte[] sign(long userId, long coupleId, long expiresAtEpochSeconds) {
        String message = "v1|" + userId + "|" + coupleId + "|" + expiresAtEpochSeconds;
        return mac.get().doFinal(message.getBytes(StandardCharsets.UTF_8));
    }

    private static Mac newMac(SecretKeySpec key) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every Java platform must support " + ALGORITHM, e);
        }
    }

    /** The id only: the secret must never reach a log. */
    @Override
    public String toString() {
        return "HmacKey(" + id + ")";
    }
}
