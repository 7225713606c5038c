package io.presenter.protocol.codec;

import io.netty.handler.codec.CorruptedFrameException;

/**
 * A length-prefixed frame (client packet or mux frame) that cannot be accepted. The
 * {@link #reason()} is stable and meant for metric tags; the message says what exactly was wrong.
 */
public final class MalformedFrameException extends CorruptedFrameException {

    private static final long serialVersionUID = 1L;

    /** Why a frame was rejected; names are stable (used as metric tags). */
    public enum Reason {
        /** The 4-byte length is negative, zero or too small for any frame. */
        BAD_LENGTH,
        /** The length exceeds the configured maximum; nothing of it was buffered. */
        TOO_LONG,
        /** A union field (frame or packet type) this version does not know. */
        UNKNOWN_TYPE,
        /** The bytes are not a valid compact-protocol struct (truncated, bad field, extra bytes). */
        INVALID_STRUCT,
        /** The struct is valid but is not the packet expected here (e.g. first packet not auth). */
        UNEXPECTED_TYPE;

        /** Lower-case name for metric tags and logs. */
        public String tag() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final Reason reason;

    public MalformedFrameException(Reason reason, String message) {
        super(reason.tag() + ": " + message);
        this.reason = reason;
    }

    public MalformedFrameException(Reason reason, String message, Throwable cause) {
        super(reason.tag() + ": " + message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
