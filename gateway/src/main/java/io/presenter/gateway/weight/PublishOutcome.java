package io.presenter.gateway.weight;

import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;

/**
 * What one {@code ChangeResourceRecordSets} call came to: the {@code result} tag of
 * {@code presenter.weight.publishes}, a closed set so the metric stays small.
 */
enum PublishOutcome {
    OK("ok", false),
    /** Route53's API rate limit (5 requests per second per account, shared by the fleet). */
    THROTTLED("throttled", true),
    /** An earlier change to the same record is still being applied. */
    PRIOR_REQUEST_NOT_COMPLETE("prior_request_not_complete", true),
    /** A server error or an I/O failure: worth another try. */
    RETRYABLE_ERROR("error", true),
    /** Anything else (bad zone id, access denied, invalid batch): another try would fail the same way. */
    ERROR("error", false);

    private final String tag;
    private final boolean retryable;

    PublishOutcome(String tag, boolean retryable) {
        this.tag = tag;
        this.retryable = retryable;
    }

    String tag() {
        return tag;
    }

    boolean retryable() {
        return retryable;
    }

    /** Classifies a failed call by Route53's error code, not its exception class or message. */
    static PublishOutcome of(Throwable failure) {
        if (failure instanceof AwsServiceException e) {
            String code = e.awsErrorDetails() != null ? e.awsErrorDetails().errorCode() : null;
            if ("Throttling".equals(code) || "ThrottlingException".equals(code) || e.statusCode() == 429) {
                return THROTTLED;
            }
            if ("PriorRequestNotComplete".equals(code)) {
                return PRIOR_REQUEST_NOT_COMPLETE;
            }
            return e.statusCode() >= 500 ? RETRYABLE_ERROR : ERROR;
        }
        // I/O errors and timeouts; a missing credential also lands here, which a few bounded retries
        // do not make worse.
        return failure instanceof SdkClientException ? RETRYABLE_ERROR : ERROR;
    }
}
