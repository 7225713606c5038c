package io.presenter.gateway.tls;

import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.OpenSslSessionTicketKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Session ticket keys, loaded from a key file shared by every presenter behind one DNS name (so a
 * client resumes on whichever presenter it reaches).
 *
 * <p>File format: UTF-8 text, one key per line, each the standard base64 of 48 random bytes: 16
 * bytes key name, 16 bytes HMAC-SHA256 key, 16 bytes AES-128 key. Blank lines and lines starting
 * with {@code #} are ignored. The <em>first</em> key encrypts new tickets; every key decrypts
 * tickets that carry its name (a ticket decrypted by a non-first key is renewed under the first).
 * Key names must be distinct. To rotate: add a fresh key last (decrypt only), move it first once
 * every presenter has re-read the file ({@link TicketKeyRotation}), and drop the previous keys after
 * at least {@code tls.session-timeout} (gateway/TLS.md). Generate a key line with
 * {@code head -c 48 /dev/urandom | base64 -w0}, or a whole file with {@link #generate}. The file
 * must be readable only by the daemon (mode 0600): whoever holds it can decrypt recorded traffic
 * of resumed TLS 1.2 sessions.
 *
 * <p>{@link #toString()} never shows key bytes, only the count and a short fingerprint.
 */
public final class TicketKeys {

    /** Bytes per key: name + HMAC key + AES key. */
    public static final int KEY_LENGTH = OpenSslSessionTicketKey.TICKET_KEY_SIZE;

    private static final int NAME = OpenSslSessionTicketKey.NAME_SIZE;
    private static final int HMAC = OpenSslSessionTicketKey.HMAC_KEY_SIZE;
    private static final int AES = OpenSslSessionTicketKey.AES_KEY_SIZE;

    private final List<byte[]> keys;

    private TicketKeys(List<byte[]> keys) {
        this.keys = keys;
    }

    /** Reads and validates a key file; the exception message names the file and line. */
    public static TicketKeys load(Path file) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IOException("cannot read TLS ticket key file " + file + ": " + e, e);
        }
        return parse(lines, file.toString());
    }

    /** Parses the lines of a key file; {@code source} names it in error messages. */
    public static TicketKeys parse(List<String> lines, String source) {
        List<byte[]> keys = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = "TLS ticket key file " + source + " line " + (i + 1);
            byte[] key;
            try {
                key = Base64.getDecoder().decode(line);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": not valid base64 (" + e.getMessage() + ")");
            }
            if (key.length != KEY_LENGTH) {
                throw new IllegalArgumentException(where + ": a key is " + KEY_LENGTH
                        + " bytes (16 name + 16 HMAC + 16 AES) but this line decodes to " + key.length);
            }
            if (!names.add(Base64.getEncoder().encodeToString(Arrays.copyOf(key, NAME)))) {
                throw new IllegalArgumentException(where + ": key name (first 16 bytes) repeats an earlier key");
            }
            keys.add(key);
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("TLS ticket key file " + source
                    + " has no keys: it needs at least one base64 line of " + KEY_LENGTH + " bytes");
        }
        return new TicketKeys(List.copyOf(keys));
    }

    /**
     * Keys from raw 48-byte values, the first encrypting (the fleet schedule's keys, which never
     * touch a file); copies them, and rejects a wrong length or a repeated key name.
     */
    public static TicketKeys of(List<byte[]> raw) {
        if (raw.isEmpty()) {
            throw new IllegalArgumentException("a ticket key set needs at least one key");
        }
        List<byte[]> keys = new ArrayList<>(raw.size());
        Set<String> names = new HashSet<>();
        for (byte[] key : raw) {
            if (key.length != KEY_LENGTH) {
                throw new IllegalArgumentException("a ticket key is " + KEY_LENGTH + " bytes, not " + key.length);
            }
            if (!names.add(Base64.getEncoder().encodeToString(Arrays.copyOf(key, NAME)))) {
                throw new IllegalArgumentException("two ticket keys share a name (first 16 bytes)");
            }
            keys.add(key.clone());
        }
        return new TicketKeys(List.copyOf(keys));
    }

    /** {@code count} fresh random keys. */
    public static TicketKeys random(int count, SecureRandom random) {
        if (count < 1) {
            throw new IllegalArgumentException("count must be >= 1");
        }
        List<byte[]> keys = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            byte[] key = new byte[KEY_LENGTH];
            random.nextBytes(key);
            keys.add(key);
        }
        return new TicketKeys(List.copyOf(keys));
    }

    /**
     * Writes a file of {@code count} fresh keys from {@link SecureRandom}, readable only by its owner
     * (0600), replacing {@code file} atomically so a concurrent reload never sees half a file.
     */
    public static TicketKeys generate(Path file, int count) throws IOException {
        TicketKeys keys = random(count, new SecureRandom());
        keys.write(file);
        return keys;
    }

    /** This key set with {@code fresh} first (encrypting) and these keys after it (decrypt only). */
    public TicketKeys rotatedIn(TicketKeys fresh) {
        List<byte[]> all = new ArrayList<>(fresh.keys);
        all.addAll(keys);
        return new TicketKeys(List.copyOf(all));
    }

    /** This key set without its last {@code n} (oldest) keys; at least one key stays. */
    public TicketKeys withoutOldest(int n) {
        int keep = Math.max(1, keys.size() - n);
        return new TicketKeys(List.copyOf(keys.subList(0, keep)));
    }

    /** Writes this key set to {@code file} (0600, atomic replace). */
    public void write(Path file) throws IOException {
        StringBuilder text = new StringBuilder("# TLS session ticket keys: first line encrypts, all decrypt.\n");
        for (byte[] key : keys) {
            text.append(Base64.getEncoder().encodeToString(key)).append('\n');
        }
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, ".ticket-keys", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Number of keys (the first encrypts). */
    public int size() {
        return keys.size();
    }

    /** Installs these keys: turns tickets on (TLS 1.2 too) and replaces the previous keys. */
    public void installInto(OpenSslSessionContext context) {
        OpenSslSessionTicketKey[] openSslKeys = new OpenSslSessionTicketKey[keys.size()];
        for (int i = 0; i < openSslKeys.length; i++) {
            byte[] k = keys.get(i);
            openSslKeys[i] = new OpenSslSessionTicketKey(Arrays.copyOfRange(k, 0, NAME),
                    Arrays.copyOfRange(k, NAME, NAME + HMAC), Arrays.copyOfRange(k, NAME + HMAC, NAME + HMAC + AES));
        }
        context.setTicketKeys(openSslKeys);
    }

    /** The keys as 48-byte values, first (encrypting) first: for TLS contexts outside tcnative (QUIC). */
    public List<byte[]> raw() {
        return keys.stream().map(byte[]::clone).toList();
    }

    /**
     * A short fingerprint of the key set (SHA-256 of all keys, 8 hex digits): lets operators check
     * that every presenter loaded the same file without logging any key material.
     */
    public String fingerprint() {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (byte[] k : keys) {
                sha.update(k);
            }
            byte[] d = sha.digest();
            return String.format("%02x%02x%02x%02x", d[0], d[1], d[2], d[3]);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof TicketKeys other) || other.keys.size() != keys.size()) {
            return false;
        }
        for (int i = 0; i < keys.size(); i++) {
            if (!MessageDigest.isEqual(keys.get(i), other.keys.get(i))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return keys.size();
    }

    @Override
    public String toString() {
        return "TicketKeys[" + keys.size() + " keys, fingerprint " + fingerprint() + "]";
    }
}
