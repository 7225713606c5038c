package io.presenter.protocol.mux;

import io.presenter.protocol.wire.GoAway;
import io.presenter.protocol.wire.GoAwayAck;
import io.presenter.protocol.wire.Handover;
import io.presenter.protocol.wire.HandoverTicket;
import io.presenter.protocol.wire.HalfClose;
import io.presenter.protocol.wire.MuxFrame;
import io.presenter.protocol.wire.OpenStream;
import io.presenter.protocol.wire.Ping;
import io.presenter.protocol.wire.Reset;
import io.presenter.protocol.wire.ResetCode;
import io.presenter.protocol.wire.Settings;
import io.presenter.protocol.wire.WindowUpdate;
import io.presenter.protocol.wire.muxConstants;

/** Builds the control frames of the mux wire from the session's terms, and reads open-stream back. */
final class Frames {

    /**
     * Longest free text (reason, owner hint, ids) put in a frame, in chars: with at most 3 UTF-8
     * bytes each, a reset's two texts stay within the smallest allowed frame length.
     */
    static final int MAX_TEXT_CHARS = 128;

    private Frames() {}

    static String text(String text) {
        return text == null || text.length() <= MAX_TEXT_CHARS ? text : text.substring(0, MAX_TEXT_CHARS);
    }

    static MuxFrame settings(MuxSettings settings) {
        return MuxFrame.settings(new Settings(muxConstants.PROTOCOL_VERSION, settings.initialStreamWindow(),
                settings.maxFramePayload(), settings.maxConcurrentStreams(),
                (int) settings.keepaliveInterval().toMillis())
                .setPeerId(text(settings.peerId()))
                .setInitialConnectionWindow(settings.initialConnectionWindow())
                .setFeatures(settings.handover() ? muxConstants.FEATURE_HANDOVER : 0));
    }

    /** Whether {@code settings} (a peer's preface) announce every bit of {@code feature}. */
    static boolean hasFeature(Settings settings, int feature) {
        return settings != null && settings.isSetFeatures() && (settings.getFeatures() & feature) == feature;
    }

    static MuxFrame open(int streamId, StreamMetadata metadata) {
        OpenStream open = new OpenStream(streamId, metadata.shardKey(), metadata.ringVersion())
                .setClientAddress(metadata.clientAddress()).setPresenterId(text(metadata.presenterId()))
                .setAttempt(metadata.attempt());
        if (metadata.handover().isPresent()) {
            open.setHandover(ticket(metadata.handover()));
        }
        return MuxFrame.open(open);
    }

    static StreamMetadata metadata(OpenStream open) {
        return new StreamMetadata(open.getShardKey(), open.getRingVersion(),
                open.isSetClientAddress() && !open.getClientAddress().isEmpty() ? open.getClientAddress() : "",
                open.isSetPresenterId() ? open.getPresenterId() : "",
                open.isSetAttempt() ? open.getAttempt() : 0,
                open.isSetHandover() ? ticket(open.getHandover()) : SessionHandover.NONE);
    }

    static HandoverTicket ticket(SessionHandover handover) {
        return new HandoverTicket(java.nio.ByteBuffer.wrap(handover.state()), java.nio.ByteBuffer.wrap(handover.mac()));
    }

    static SessionHandover ticket(HandoverTicket ticket) {
        return new SessionHandover(ticket.getState(), ticket.getMac());
    }

    static MuxFrame handover(int streamId, String newOwner, long ringVersion, long consumedBytes,
            SessionHandover ticket) {
        return MuxFrame.handover(new Handover(streamId, text(newOwner), ringVersion, consumedBytes, ticket(ticket)));
    }

    static MuxHandoverEvent event(Handover handover) {
        return new MuxHandoverEvent(handover.getNewOwner(), handover.getRingVersion(), handover.getConsumedBytes(),
                ticket(handover.getTicket()));
    }

    /** A reset; {@code ownerHint} null unless WRONG_SHARD / SHARD_MOVED names an owner. */
    static Reset reset(int streamId, ResetCode code, String reason, String ownerHint, long ringVersion) {
        Reset reset = new Reset(streamId).setCode(code).setReason(text(reason));
        if (ownerHint != null) {
            reset.setOwnerHint(text(ownerHint)).setRingVersion(ringVersion);
        }
        return reset;
    }

    /** A reset's code; one this version does not know (decoded as unset) reads as INTERNAL. */
    static ResetCode code(Reset reset) {
        return reset.isSetCode() ? reset.getCode() : ResetCode.INTERNAL;
    }

    /** A goaway's code, read as {@link #code(Reset)} is. */
    static ResetCode code(GoAway goAway) {
        return goAway.isSetCode() ? goAway.getCode() : ResetCode.INTERNAL;
    }

    static MuxFrame goAway(int lastStreamId, boolean drain, ResetCode code, String reason) {
        return MuxFrame.goAway(new GoAway(lastStreamId, drain).setCode(code).setReason(text(reason)));
    }

    static MuxFrame goAwayAck(int lastStreamId) {
        return MuxFrame.goAwayAck(new GoAwayAck(lastStreamId));
    }

    static MuxFrame windowUpdate(int streamId, int increment) {
        return MuxFrame.windowUpdate(new WindowUpdate(streamId, increment));
    }

    static MuxFrame halfClose(int streamId) {
        return MuxFrame.halfClose(new HalfClose(streamId));
    }

    static MuxFrame ping(long opaque, boolean ack) {
        return MuxFrame.ping(new Ping(opaque, ack));
    }
}
