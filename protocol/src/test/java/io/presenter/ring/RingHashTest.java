package io.presenter.ring;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Pins the ring's hash functions. If one of these fails, presenters and chat servers of
 * different versions would disagree about owners: change the functions only with a new ring
 * format, never in place.
 */
class RingHashTest {

    @Test
    void pointIsFirstEightBytesOfSha256OfIdHashIndex() {
        // Independently: printf 'chat-1#0' | sha256sum  ->  ec613a1e291b2ee9...
        long[] chat1 = RingHash.pointPositions("chat-1", 160);
        assertThat(chat1[0]).isEqualTo(0xec613a1e291b2ee9L);
        assertThat(chat1[159]).isEqualTo(0x3d79a573febfbb9bL);
        assertThat(RingHash.pointPositions("chat-2", 1)).containsExactly(0x0e5d4ef0d4b3f9f0L);
    }

    @Test
    void coupleIsSplitMix64OutputFunction() {
        // splitmix64.c seeded with 0 outputs mix(0x9e3779b97f4a7c15) = 0xe220a8397b1dcdaf first.
        assertThat(RingHash.couplePosition(0x9e3779b97f4a7c15L)).isEqualTo(0xe220a8397b1dcdafL);
        assertThat(RingHash.couplePosition(0)).isZero();
        assertThat(RingHash.couplePosition(1)).isEqualTo(0x5692161d100b05e5L);
        assertThat(RingHash.couplePosition(42)).isEqualTo(0xa759ea27d4727622L);
        assertThat(RingHash.couplePosition(-1)).isEqualTo(0xb4d055fcf2cbbd7bL);
        assertThat(RingHash.couplePosition(Long.MAX_VALUE)).isEqualTo(0x5a682afe7965debdL);
    }
}
