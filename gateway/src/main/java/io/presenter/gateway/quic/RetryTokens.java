package io.presenter.gateway.quic;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.quic.Quic;
import io.netty.handler.codec.quic.QuicTokenHandler;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Address validation (RFC 9000 8.1) with Retry tokens, the defence against a flood of Initials
 * from spoofed addresses: a client asked to retry must echo a token only its real address could
 * have received, so a spoofed Initial costs one small stateless packet and no handshake state.
 * Demanded always, never, or only while more than a threshold of handshakes is in flight.
 *
 * <p>Token: {@code expiry (8 bytes, epoch ms) | HMAC-SHA256(key, client IP | expiry | odcid) truncated
 * to 16 bytes | odcid}. The key is random per process: a token is only ever checked by the process
 * that minted it (the client's next Initial comes right back to the same socket). An invalid or
 * expired token is counted ({@code bad_token}) and its packet dropped by the codec.
 */
final class RetryTokens implements QuicTokenHandler {

    static final Duration LIFETIME = Duration.ofSeconds(10);
    private static final int EXPIRY_BYTES = Long.BYTES;
    private static final int MAC_BYTES = 16;
    private static final int HEADER = EXPIRY_BYTES + MAC_BYTES;

    private final QuicSettings.Retry policy;
    private final int threshold;
    private final IntSupplier handshakesInFlight;
    private final LongSupplier clock;
    private final QuicMeters meters;
    private final byte[] key = new byte[32];
    private final ThreadLocal<Mac> macs;

    RetryTokens(QuicSettings.Retry policy, int threshold, IntSupplier handshakesInFlight, LongSupplier clock,
            QuicMeters meters) {
        this.policy = policy;
        this.threshold = threshold;
        this.handshakesInFlight = handshakesInFlight;
        this.clock = clock;
        this.meters = meters;
        new SecureRandom().nextBytes(key);
        macs = ThreadLocal.withInitial(this::newMac);
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    private boolean retryNow() {
        return switch (policy) {
            case ALWAYS -> true;
            case NEVER -> false;
            case UNDER_LOAD -> handshakesInFlight.getAsInt() > threshold;
        };
    }

    @Override
    public boolean writeToken(ByteBuf out, ByteBuf dcid, InetSocketAddress address) {
        if (!retryNow()) {
            return false;
        }
        long expiry = clock.getAsLong() + LIFETIME.toMillis();
        out.writeLong(expiry);
        out.writeBytes(mac(address, expiry, dcid, dcid.readerIndex(), dcid.readableBytes()), 0, MAC_BYTES);
        out.writeBytes(dcid, dcid.readerIndex(), dcid.readableBytes());
        meters.retrySent();
        return true;
    }

    @Override
    public int validateToken(ByteBuf token, InetSocketAddress address) {
        int odcidLength = token.readableBytes() - HEADER;
        if (odcidLength < 1 || odcidLength > Quic.MAX_CONN_ID_LEN) {
            return rejected();
        }
        int start = token.readerIndex();
        long expiry = token.getLong(start);
        if (expiry < clock.getAsLong()) {
            return rejected();
        }
        byte[] expected = mac(address, expiry, token, start + HEADER, odcidLength);
        byte[] actual = new byte[MAC_BYTES];
        token.getBytes(start + EXPIRY_BYTES, actual);
        if (!MessageDigest.isEqual(actual, java.util.Arrays.copyOf(expected, MAC_BYTES))) {
            return rejected();
        }
        return HEADER;  // the odcid follows, relative to the token's start
    }

    private int rejected() {
        meters.datagramRejected("bad_token");
        return -1;
    }

    private byte[] mac(InetSocketAddress address, long expiry, ByteBuf odcid, int index, int length) {
        Mac mac = macs.get();
        mac.update(address.getAddress().getAddress());
        for (int shift = 56; shift >= 0; shift -= 8) {
            mac.update((byte) (expiry >>> shift));
        }
        byte[] id = new byte[length];
        odcid.getBytes(index, id);
        mac.update(id);
        return mac.doFinal();
    }

    @Override
    public int maxTokenLength() {
        return HEADER + Quic.MAX_CONN_ID_LEN;
    }
}
