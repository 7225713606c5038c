package io.presenter.chat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * What the stub hands over with one session: whose it is, where the couple's sequence stood when
 * the old owner froze the couple, and which other sessions of the couple were live then (the new
 * owner keeps their deliveries until they arrive). Sealed by {@link HandoverSeal}.
 *
 * @param partners the couple's other live sessions at the freeze, as {@code userId/deviceId} keys
 * @param recentIds the user's last {@code clientMessageId}s with the sequence each got, oldest first
 *     (at most {@link #MAX_RECENT_IDS}): a resend right after the move is acked again, not sent twice
 */
record HandoverState(long coupleId, long userId, String deviceId, long coupleSequence, long ringVersion,
        String fromServer, String toServer, long sealedAtMillis, List<String> partners,
        java.util.LinkedHashMap<Long, Long> recentIds) {

    /** Version 2 adds {@link #recentIds}; version 1 states (an older stub's) are still read, without them. */
    private static final int VERSION = 2;
    /**
     * Message ids carried per session: 16 bytes each, so the default 4 KiB state holds them with room
     * to spare. A client resends what it has not seen acked, at most a window of messages, far fewer.
     */
    static final int MAX_RECENT_IDS = 128;

    HandoverState(long coupleId, long userId, String deviceId, long coupleSequence, long ringVersion,
            String fromServer, String toServer, long sealedAtMillis, List<String> partners) {
        this(coupleId, userId, deviceId, coupleSequence, ringVersion, fromServer, toServer, sealedAtMillis, partners,
                new java.util.LinkedHashMap<>());
    }

    static String sessionKey(long userId, String deviceId) {
        return userId + "/" + deviceId;
    }

    byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            out.writeLong(coupleId);
            out.writeLong(userId);
            out.writeUTF(deviceId);
            out.writeLong(coupleSequence);
            out.writeLong(ringVersion);
            out.writeUTF(fromServer);
            out.writeUTF(toServer);
            out.writeLong(sealedAtMillis);
            out.writeShort(partners.size());
            for (String partner : partners) {
                out.writeUTF(partner);
            }
            out.writeShort(recentIds.size());
            for (java.util.Map.Entry<Long, Long> sent : recentIds.entrySet()) {
                out.writeLong(sent.getKey());
                out.writeLong(sent.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Decodes authenticated bytes; throws IOException on a version or layout it does not know. */
    static HandoverState decode(byte[] state) throws IOException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(state))) {
            int version = in.readUnsignedByte();
            if (version != 1 && version != VERSION) {
                throw new IOException("state version " + version);
            }
            long coupleId = in.readLong();
            long userId = in.readLong();
            String deviceId = in.readUTF();
            long sequence = in.readLong();
            long ring = in.readLong();
            String from = in.readUTF();
            String to = in.readUTF();
            long sealedAt = in.readLong();
            int count = in.readUnsignedShort();
            if (count > 16) {
                throw new IOException(count + " partners");
            }
            List<String> partners = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                partners.add(in.readUTF());
            }
            java.util.LinkedHashMap<Long, Long> recent = new java.util.LinkedHashMap<>();
            if (version >= 2) {
                int ids = in.readUnsignedShort();
                if (ids > MAX_RECENT_IDS) {
                    throw new IOException(ids + " recent message ids");
                }
                for (int i = 0; i < ids; i++) {
                    recent.put(in.readLong(), in.readLong());
                }
            }
            if (in.available() != 0) {
                throw new IOException("trailing bytes");
            }
            return new HandoverState(coupleId, userId, deviceId, sequence, ring, from, to, sealedAt, partners, recent);
        }
    }
}
