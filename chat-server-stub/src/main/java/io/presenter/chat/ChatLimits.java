package io.presenter.chat;

/**
 * The chat server's per-process limits.
 *
 * @param maxSessions live authenticated sessions beyond which new ones get {@code SERVER_BUSY}
 * @param maxMessageBytes largest message body accepted; larger ones are refused with an error
 * @param maxPendingDeliveries packets queued to one session and not yet written to its socket or
 *     stream; a session that falls further behind is closed (it reconnects and resumes) rather than
 *     letting its queue grow without bound
 */
public record ChatLimits(int maxSessions, int maxMessageBytes, int maxPendingDeliveries) {

    public static final ChatLimits DEFAULTS = new ChatLimits(100_000, 16 * 1024, 1024);

    public ChatLimits {
        if (maxSessions < 1 || maxMessageBytes < 1 || maxPendingDeliveries < 1) {
            throw new IllegalArgumentException("limits must be positive: " + this);
        }
    }
}
