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
 */
record HandoverState(long coupleId, long userId, String deviceId, long coupleSequence, long ringVersion,
        String fromServer, String toServer, long sealedAtMillis, List<String> partners) {

    private static final int VERSION = 1;

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
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Decodes authenticated bytes; throws IOException on a version or layout it does not know. */
    static HandoverState decode(byte[] state) throws IOException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(state))) {
            int version = in.readUnsignedByte();
            if (version != VERSION) {
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
            if (in.available() != 0) {
                throw new IOException("trailing bytes");
            }
            return new HandoverState(coupleId, userId, deviceId, sequence, ring, from, to, sealedAt, partners);
        }
    }
}
