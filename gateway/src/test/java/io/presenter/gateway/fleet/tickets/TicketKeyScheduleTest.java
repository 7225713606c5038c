package io.presenter.gateway.fleet.tickets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.presenter.gateway.tls.TicketKeys;
import io.presenter.gateway.tls.TlsSettings;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The key schedule's timeline, its sealed form, and what a damaged or foreign node gets. */
class TicketKeyScheduleTest {

    static final Duration R = Duration.ofHours(1);
    static final Duration LIFETIME = Duration.ofHours(3);
    static final Instant T0 = Instant.parse("2026-12-06T00:00:00Z");
    final SecureRandom random = new SecureRandom();

    @Test
    void eachKeyIsInstalledOneRotationBeforeItEncryptsAndDecryptsForTheLifetimeAfter() {
        TicketKeySchedule s = TicketKeySchedule.empty(R).advance(T0, R, LIFETIME, random);
        assertThat(serials(s)).containsExactly(1L, 2L);
        assertThat(s.entries().get(1).encryptFrom()).isEqualTo(T0.plus(R));
        assertThat(s.encrypting(T0).serial()).isEqualTo(1);
        assertThat(s.installable(T0, LIFETIME).size()).as("#1 encrypts, #2 already decrypts").isEqualTo(2);
        assertThat(s.advance(T0.plus(R.dividedBy(2)), R, LIFETIME, random)).as("nothing to do yet").isSameAs(s);

        // #2 starts: the leader schedules #3 one rotation ahead.
        Instant t1 = T0.plus(R);
        TicketKeySchedule s1 = s.advance(t1, R, LIFETIME, random);
        assertThat(serials(s1)).containsExactly(1L, 2L, 3L);
        assertThat(s1.entries().get(2).encryptFrom()).isEqualTo(T0.plus(R.multipliedBy(2)));
        TicketKeys installed = s1.installable(t1, LIFETIME);
        assertThat(installed).isEqualTo(keysOf(s1, 2, 3, 1));  // encrypting, coming, previous
        assertThat(s1.overdue(t1)).isZero();

        // #1 stopped at T0+R: it goes once the lifetime has passed after that, not before.
        TicketKeySchedule s2 = s1;
        for (int i = 2; i <= 4; i++) {
            s2 = s2.advance(T0.plus(R.multipliedBy(i)), R, LIFETIME, random);
        }
        assertThat(serials(s2)).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
        TicketKeySchedule s3 = s2.advance(T0.plus(R).plus(LIFETIME).plusMillis(1), R, LIFETIME, random);
        assertThat(serials(s3)).containsExactly(2L, 3L, 4L, 5L, 6L);
    }

    @Test
    void withoutANewerKeyTheLastKeepsEncryptingAndIsOverdue() {
        TicketKeySchedule s = TicketKeySchedule.empty(R).advance(T0, R, LIFETIME, random);
        Instant late = T0.plus(R.multipliedBy(2)).plusSeconds(90);
        assertThat(s.encrypting(late).serial()).isEqualTo(2);
        assertThat(s.overdue(late)).isEqualTo(Duration.ofSeconds(90));
        assertThat(s.installable(late, LIFETIME).size()).as("#1 still within its lifetime").isEqualTo(2);

        // A leader back after the gap schedules the next key one rotation from now, not in the past.
        Instant back = T0.plus(R.multipliedBy(10));
        TicketKeySchedule next = s.advance(back, R, LIFETIME, random);
        assertThat(next.entries().get(next.entries().size() - 1).encryptFrom()).isEqualTo(back.plus(R));
        assertThat(next.encrypting(back).serial()).as("still the last key until then").isEqualTo(2);
    }

    @Test
    void aClockBehindTheFirstKeyUsesTheOldestKey() {
        TicketKeySchedule s = TicketKeySchedule.empty(R).advance(T0, R, LIFETIME, random);
        assertThat(s.encrypting(T0.minusSeconds(2)).serial()).isEqualTo(1);
    }

    @Test
    void sealedRoundTripAndRejections() throws Exception {
        TicketKeySchedule s = TicketKeySchedule.empty(R).advance(T0, R, LIFETIME, random);
        KeyEncryptionKey kek = KeyEncryptionKey.of(bytes(32));
        byte[] sealed = kek.seal(s.encode());
        assertThat(TicketKeySchedule.decode(kek.open(sealed))).isEqualTo(s);
        // No key byte appears in the sealed form.
        byte[] plain = s.encode();
        assertThat(indexOf(sealed, Arrays.copyOfRange(plain, 13 + 16, 13 + 16 + 16))).isNegative();

        assertThatThrownBy(() -> KeyEncryptionKey.of(bytes(32)).open(sealed))
                .isInstanceOfSatisfying(KeyEncryptionKey.OpenException.class,
                        e -> assertThat(e.reason()).isEqualTo("wrong_key"));
        byte[] flipped = sealed.clone();
        flipped[flipped.length - 20] ^= 1;
        assertThatThrownBy(() -> kek.open(flipped)).isInstanceOfSatisfying(KeyEncryptionKey.OpenException.class,
                e -> assertThat(e.reason()).isEqualTo("malformed"));
        assertThatThrownBy(() -> kek.open(new byte[] {1, 2, 3})).isInstanceOf(KeyEncryptionKey.OpenException.class);

        assertThatThrownBy(() -> TicketKeySchedule.decode(Arrays.copyOf(plain, plain.length - 1)))
                .isInstanceOf(IllegalArgumentException.class);
        byte[] tooMany = plain.clone();
        ByteBuffer.wrap(tooMany).putInt(9, TlsSettings.MAX_FLEET_TICKET_KEYS + 1);
        assertThatThrownBy(() -> TicketKeySchedule.decode(tooMany)).hasMessageContaining("keys");
        byte[] outOfOrder = plain.clone();
        ByteBuffer.wrap(outOfOrder).putLong(13 + 64, 1);  // second serial = first
        assertThatThrownBy(() -> TicketKeySchedule.decode(outOfOrder)).hasMessageContaining("order");
        assertThat(s.toString()).doesNotContain(java.util.Base64.getEncoder().encodeToString(plain));
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static List<Long> serials(TicketKeySchedule s) {
        return s.entries().stream().map(TicketKeySchedule.Entry::serial).toList();
    }

    /** The keys of the given serials, in that order, read back from the plaintext form. */
    private static TicketKeys keysOf(TicketKeySchedule s, long... serials) {
        ByteBuffer in = ByteBuffer.wrap(s.encode());
        in.position(13);
        java.util.Map<Long, byte[]> bySerial = new java.util.HashMap<>();
        for (int i = 0; i < s.entries().size(); i++) {
            long serial = in.getLong();
            in.getLong();
            byte[] key = new byte[TicketKeys.KEY_LENGTH];
            in.get(key);
            bySerial.put(serial, key);
        }
        return TicketKeys.of(Arrays.stream(serials).mapToObj(bySerial::get).toList());
    }
}
