package io.presenter.gateway.lifecycle;

/** The two Auto Scaling calls the handler makes for its instance's pending lifecycle action. */
interface LifecycleActions {

    /** {@code RecordLifecycleActionHeartbeat}: restarts the hook's heartbeat timeout. */
    void recordHeartbeat() throws LifecycleActionException;

    /** {@code CompleteLifecycleAction} with {@code result} (CONTINUE or ABANDON). */
    void complete(String result) throws LifecycleActionException;

    /** A failed call, and what it means for trying again. */
    final class LifecycleActionException extends Exception {
        private static final long serialVersionUID = 1L;

        private final boolean retryable;
        private final boolean actionGone;

        LifecycleActionException(String message, boolean retryable, boolean actionGone, Throwable cause) {
            super(message, cause);
            this.retryable = retryable;
            this.actionGone = actionGone;
        }

        /** Throttling, a 5xx or a network failure: the same call may succeed later. */
        boolean retryable() {
            return retryable;
        }

        /**
         * Auto Scaling has no pending action for this instance any more (it was completed, or the
         * hook timed out): nothing is left to heartbeat or complete.
         */
        boolean actionGone() {
            return actionGone;
        }
    }
}
