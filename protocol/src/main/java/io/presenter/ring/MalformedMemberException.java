package io.presenter.ring;

/** A member node whose data {@link MemberData} cannot read; the observer skips and counts it. */
final class MalformedMemberException extends Exception {

    private final String reason;

    /**
     * @param reason short, fixed tag for the {@code reason} tag of the rejection counter
     * @param message what exactly is wrong, for the log
     */
    MalformedMemberException(String reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    String reason() {
        return reason;
    }
}
