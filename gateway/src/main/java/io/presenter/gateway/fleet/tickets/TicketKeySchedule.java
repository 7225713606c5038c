package io.presenter.gateway.fleet.tickets;

import io.presenter.gateway.tls.TicketKeys;
import io.presenter.gateway.tls.TlsSettings;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.security.MessageDigest;
import java.util.List;

/**
 * The fleet's session ticket keys over time: each key has a serial number and the instant it starts
 * encrypting; it stops when the next key starts, and is dropped once the session lifetime has passed
 * after that. Immutable. The leader {@link #advance advances} it; every presenter computes from it,
 * with its own clock, {@link #installable the keys to install now}.
 *
 * <p>Timeline with rotation {@code R} and session lifetime {@code L}: key {@code n+1} is written
 * when key {@code n} starts encrypting, to start at {@code start(n) + R}, so every presenter holds
 * it, decrypt only, for one rotation before any presenter encrypts with it; key {@code n} then
 * decrypts for {@code L} more, and goes. When no newer key comes (ZooKeeper unreachable, no
 * leader), the last key keeps encrypting past its rotation ({@link #overdue}).
 *
 * <p>Plaintext form (sealed by {@link KeyEncryptionKey} before it leaves the process):
 * {@code format (1) | rotation ms (8) | count (4) | count x [serial (8) | encrypt-from epoch ms (8) | key (48)]},
 * entries in ascending serial and start. {@link #toString()} never shows key bytes.
 */
public final class TicketKeySchedule {

    static final byte FORMAT = 1;
    private static final int ENTRY = 8 + 8 + TicketKeys.KEY_LENGTH;
    private static final int HEAD = 1 + 8 + 4;

    /** One key: its serial, when it starts encrypting, its 48 bytes (name, HMAC key, AES key). */
    public static final class Entry {
        private final long serial;
        private final Instant encryptFrom;
        private final byte[] key;

        Entry(long serial, Instant encryptFrom, byte[] key) {
            this.serial = serial;
            this.encryptFrom = encryptFrom;
            this.key = key;
        }

        public long serial() {
            return serial;
        }

        public Instant encryptFrom() {
            return encryptFrom;
        }

        @Override
        public String toString() {
            return "key #" + serial + " from " + encryptFrom;
        }
    }

    private final Duration rotation;
    private final List<Entry> entries;

    private TicketKeySchedule(Duration rotation, List<Entry> entries) {
        this.rotation = rotation;
        this.entries = List.copyOf(entries);
    }

    /** No key yet: what the leader starts from when the node does not exist. */
    public static TicketKeySchedule empty(Duration rotation) {
        return new TicketKeySchedule(rotation, List.of());
    }

    public Duration rotation() {
        return rotation;
    }

    public List<Entry> entries() {
        return entries;
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    /**
     * The leader's step: drops keys past their decrypt-only lifetime and, when no key is scheduled
     * after {@code now}, adds a fresh random one to start one rotation after the newest (or one
     * rotation from now, when the schedule fell behind); an empty schedule gets a key that encrypts
     * at once and its successor. Returns this same object when nothing changes.
     */
    public TicketKeySchedule advance(Instant now, Duration newRotation, Duration lifetime, SecureRandom random) {
        List<Entry> kept = alive(now, lifetime);
        boolean changed = kept.size() != entries.size() || !newRotation.equals(rotation);
        if (kept.isEmpty()) {
            kept.add(new Entry(1, now, fresh(random)));
            kept.add(new Entry(2, now.plus(newRotation), fresh(random)));
            changed = true;
        } else {
            Entry newest = kept.get(kept.size() - 1);
            if (!newest.encryptFrom.isAfter(now)) {
                Instant start = newest.encryptFrom.plus(newRotation);
                if (start.isBefore(now.plus(newRotation))) {
                    start = now.plus(newRotation);  // behind (no leader for a while): still one rotation ahead
                }
                kept.add(new Entry(newest.serial + 1, start, fresh(random)));
                changed = true;
            }
        }
        while (kept.size() > TlsSettings.MAX_FLEET_TICKET_KEYS) {
            kept.remove(0);  // settings keep this from happening; the node stays bounded regardless
            changed = true;
        }
        return changed ? new TicketKeySchedule(newRotation, kept) : this;
    }

    private static byte[] fresh(SecureRandom random) {
        byte[] key = new byte[TicketKeys.KEY_LENGTH];
        random.nextBytes(key);
        return key;
    }

    /** Entries still needed at {@code now}: the encrypting one, the future ones, and previous ones within {@code lifetime}. */
    private List<Entry> alive(Instant now, Duration lifetime) {
        List<Entry> kept = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            boolean last = i == entries.size() - 1;
            if (last || !entries.get(i + 1).encryptFrom.plus(lifetime).isBefore(now)) {
                kept.add(entries.get(i));
            }
        }
        return kept;
    }

    /**
     * The key that encrypts at {@code now}: the newest one started; when none has started yet by
     * this presenter's clock (a clock behind the leader's at the very first key), the oldest.
     */
    public Entry encrypting(Instant now) {
        if (entries.isEmpty()) {
            throw new IllegalStateException("empty schedule");
        }
        Entry current = entries.get(0);
        for (Entry e : entries) {
            if (!e.encryptFrom.isAfter(now)) {
                current = e;
            }
        }
        return current;
    }

    /**
     * The keys to install at {@code now}: the encrypting one first, then the coming ones (decrypt
     * only until their start), then the previous ones still within {@code lifetime}, newest first.
     */
    public TicketKeys installable(Instant now, Duration lifetime) {
        List<Entry> alive = alive(now, lifetime);
        Entry current = encrypting(now);
        List<byte[]> keys = new ArrayList<>(alive.size());
        keys.add(current.key);
        int at = alive.indexOf(current);
        for (int i = at + 1; i < alive.size(); i++) {
            keys.add(alive.get(i).key);
        }
        for (int i = at - 1; i >= 0; i--) {
            keys.add(alive.get(i).key);
        }
        return TicketKeys.of(keys);
    }

    /**
     * How long the key encrypting at {@code now} has been past its planned end (its start plus the
     * rotation) with no successor in the schedule; zero when it is not.
     */
    public Duration overdue(Instant now) {
        Entry current = encrypting(now);
        if (current != entries.get(entries.size() - 1)) {
            return Duration.ZERO;
        }
        Duration past = Duration.between(current.encryptFrom.plus(rotation), now);
        return past.isNegative() ? Duration.ZERO : past;
    }

    /** The plaintext form; the caller seals it and then clears it. */
    public byte[] encode() {
        ByteBuffer out = ByteBuffer.allocate(HEAD + entries.size() * ENTRY);
        out.put(FORMAT).putLong(rotation.toMillis()).putInt(entries.size());
        for (Entry e : entries) {
            out.putLong(e.serial).putLong(e.encryptFrom.toEpochMilli()).put(e.key);
        }
        return out.array();
    }

    /** Parses {@link #encode()}'s form, checking every bound. */
    public static TicketKeySchedule decode(byte[] plaintext) {
        try {
            ByteBuffer in = ByteBuffer.wrap(plaintext);
            byte format = in.get();
            if (format != FORMAT) {
                throw new IllegalArgumentException("unknown schedule format " + format);
            }
            long rotationMillis = in.getLong();
            int count = in.getInt();
            if (rotationMillis <= 0) {
                throw new IllegalArgumentException("rotation " + rotationMillis + " ms");
            }
            if (count < 1 || count > TlsSettings.MAX_FLEET_TICKET_KEYS) {
                throw new IllegalArgumentException("schedule of " + count + " keys (1.."
                        + TlsSettings.MAX_FLEET_TICKET_KEYS + ")");
            }
            if (plaintext.length != HEAD + count * ENTRY) {
                throw new IllegalArgumentException(plaintext.length + " bytes for " + count + " keys");
            }
            List<Entry> entries = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                long serial = in.getLong();
                Instant start = Instant.ofEpochMilli(in.getLong());
                byte[] key = new byte[TicketKeys.KEY_LENGTH];
                in.get(key);
                if (!entries.isEmpty()) {
                    Entry previous = entries.get(entries.size() - 1);
                    if (serial <= previous.serial || start.isBefore(previous.encryptFrom)) {
                        throw new IllegalArgumentException("keys out of order at #" + serial);
                    }
                }
                entries.add(new Entry(serial, start, key));
            }
            TicketKeys.of(entries.stream().map(e -> e.key).toList());  // distinct names
            return new TicketKeySchedule(Duration.ofMillis(rotationMillis), entries);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated schedule");
        }
    }

    /** Whether both hold the same keys at the same times. */
    @Override
    public boolean equals(Object o) {
        return o instanceof TicketKeySchedule other && MessageDigest.isEqual(encode(), other.encode());
    }

    @Override
    public int hashCode() {
        return entries.size();
    }

    @Override
    public String toString() {
        return "TicketKeySchedule[rotation " + rotation + ", " + entries + "]";
    }
}
