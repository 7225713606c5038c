package io.presenter.gateway.fleet.tickets;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key-encryption key that seals the fleet's ticket key schedule before it goes to ZooKeeper
 * (AES-256-GCM), read from a local file every presenter has ({@code tls.ticket-key-encryption-key-file}).
 * Whoever reads the ZooKeeper node, a snapshot or a backup of it without this file sees only
 * ciphertext; a node changed by anyone without it fails authentication and is rejected.
 *
 * <p>File: UTF-8 text, one line holding the standard base64 of 32 random bytes
 * ({@code head -c 32 /dev/urandom | base64 -w0}); blank lines and {@code #} comments are ignored.
 *
 * <p>Sealed form: {@code version (1 byte) | key id (4 bytes) | nonce (12 bytes) | ciphertext + tag}.
 * The key id (the first 4 bytes of a SHA-256 over a label and the key) tells a presenter configured
 * with another key apart from a damaged node, so the rejection names the right cause; it reveals
 * nothing usable about the key. Version and key id are authenticated as associated data.
 */
public final class KeyEncryptionKey {

    private static final Logger log = LoggerFactory.getLogger(KeyEncryptionKey.class);

    /** Bytes of an AES-256 key. */
    public static final int LENGTH = 32;
    static final byte VERSION = 1;
    private static final int ID_LENGTH = 4;
    private static final int NONCE_LENGTH = 12;
    private static final int TAG_BITS = 128;
    private static final int HEADER = 1 + ID_LENGTH;
    private static final byte[] CONTEXT = "presenter fleet TLS ticket key schedule".getBytes(StandardCharsets.US_ASCII);

    /** Why a sealed node could not be opened; the {@code reason} tag of the rejection counter. */
    public static final class OpenException extends Exception {
        private final String reason;

        OpenException(String reason, String message) {
            super(message);
            this.reason = reason;
        }

        /** {@code wrong_key} or {@code malformed}. */
        public String reason() {
            return reason;
        }
    }

    private final SecretKeySpec key;
    private final byte[] id;
    private final SecureRandom random;

    private KeyEncryptionKey(byte[] raw, SecureRandom random) {
        this.key = new SecretKeySpec(raw, "AES");
        this.id = idOf(raw);
        this.random = random;
    }

    /** A key from 32 raw bytes (tests; the daemon reads a file). */
    public static KeyEncryptionKey of(byte[] raw) {
        if (raw.length != LENGTH) {
            throw new IllegalArgumentException("a key-encryption key is " + LENGTH + " bytes, not " + raw.length);
        }
        return new KeyEncryptionKey(raw.clone(), new SecureRandom());
    }

    /** Reads the key file; the message of a failure names the file, never key bytes. */
    public static KeyEncryptionKey load(Path file) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IOException("cannot read tls.ticket-key-encryption-key-file " + file + ": " + e, e);
        }
        String line = lines.stream().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#"))
                .reduce((a, b) -> {
                    throw new IllegalArgumentException("tls.ticket-key-encryption-key-file " + file
                            + " holds more than one key line");
                })
                .orElseThrow(() -> new IllegalArgumentException("tls.ticket-key-encryption-key-file " + file
                        + " holds no key: one base64 line of " + LENGTH + " bytes"));
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(line);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tls.ticket-key-encryption-key-file " + file + ": not valid base64");
        }
        if (raw.length != LENGTH) {
            throw new IllegalArgumentException("tls.ticket-key-encryption-key-file " + file + ": the key is "
                    + LENGTH + " bytes (AES-256) but the line decodes to " + raw.length);
        }
        warnIfReadableByOthers(file);
        KeyEncryptionKey kek = new KeyEncryptionKey(raw, new SecureRandom());
        Arrays.fill(raw, (byte) 0);
        return kek;
    }

    private static void warnIfReadableByOthers(Path file) {
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (permissions.contains(PosixFilePermission.GROUP_READ) || permissions.contains(PosixFilePermission.OTHERS_READ)) {
                log.warn("tls.ticket-key-encryption-key-file {} is readable by other users; make it 0600, owned by the"
                        + " presenter's user", file);
            }
        } catch (IOException | UnsupportedOperationException e) {
            // Not a POSIX file system: nothing to check.
        }
    }

    /** Encrypts and authenticates {@code plaintext} under a fresh random nonce. */
    public byte[] seal(byte[] plaintext) {
        byte[] nonce = new byte[NONCE_LENGTH];
        random.nextBytes(nonce);
        ByteBuffer out = ByteBuffer.allocate(HEADER + NONCE_LENGTH + plaintext.length + TAG_BITS / 8);
        out.put(VERSION).put(id).put(nonce);
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(associatedData(out.array()));
            cipher.doFinal(ByteBuffer.wrap(plaintext), out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM unavailable: " + e, e);
        }
        return out.array();
    }

    /** Checks and decrypts what {@link #seal} produced, with this key. */
    public byte[] open(byte[] sealed) throws OpenException {
        if (sealed.length < HEADER + NONCE_LENGTH + TAG_BITS / 8) {
            throw new OpenException("malformed", "too short (" + sealed.length + " bytes) to be a sealed schedule");
        }
        if (sealed[0] != VERSION) {
            throw new OpenException("malformed", "unknown format version " + sealed[0]);
        }
        if (!MessageDigest.isEqual(Arrays.copyOfRange(sealed, 1, HEADER), id)) {
            throw new OpenException("wrong_key", "sealed under key-encryption key id "
                    + hex(Arrays.copyOfRange(sealed, 1, HEADER)) + ", this presenter has " + hex(id)
                    + ": tls.ticket-key-encryption-key-file differs between presenters");
        }
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed, HEADER, NONCE_LENGTH));
            cipher.updateAAD(associatedData(sealed));
            return cipher.doFinal(sealed, HEADER + NONCE_LENGTH, sealed.length - HEADER - NONCE_LENGTH);
        } catch (GeneralSecurityException e) {
            throw new OpenException("malformed", "authentication failed (changed or damaged in ZooKeeper): " + e);
        }
    }

    /** The id of this key (8 hex digits), for log lines. */
    public String id() {
        return hex(id);
    }

    private static byte[] associatedData(byte[] header) {
        byte[] aad = Arrays.copyOf(CONTEXT, CONTEXT.length + HEADER);
        System.arraycopy(header, 0, aad, CONTEXT.length, HEADER);
        return aad;
    }

    private static byte[] idOf(byte[] raw) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update("presenter key-encryption key id".getBytes(StandardCharsets.US_ASCII));
            sha.update(raw);
            return Arrays.copyOf(sha.digest(), ID_LENGTH);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hex(byte[] bytes) {
        StringBuilder s = new StringBuilder();
        for (byte b : bytes) {
            s.append(String.format("%02x", b));
        }
        return s.toString();
    }

    @Override
    public String toString() {
        return "KeyEncryptionKey[id " + id() + "]";
    }
}
