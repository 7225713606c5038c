package io.presenter.gateway.lifecycle;

import java.util.Locale;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;

/** {@link LifecycleActions} through the AWS SDK's Auto Scaling client, by instance id. */
final class AutoScalingLifecycleActions implements LifecycleActions {

    private final AutoScalingClient client;
    private final String asgName;
    private final String hookName;
    private final String instanceId;

    AutoScalingLifecycleActions(AutoScalingClient client, String asgName, String hookName, String instanceId) {
        this.client = client;
        this.asgName = asgName;
        this.hookName = hookName;
        this.instanceId = instanceId;
    }

    @Override
    public void recordHeartbeat() throws LifecycleActionException {
        try {
            client.recordLifecycleActionHeartbeat(r -> r
                    .autoScalingGroupName(asgName)
                    .lifecycleHookName(hookName)
                    .instanceId(instanceId));
        } catch (SdkException e) {
            throw translate("RecordLifecycleActionHeartbeat", e);
        }
    }

    @Override
    public void complete(String result) throws LifecycleActionException {
        try {
            client.completeLifecycleAction(r -> r
                    .autoScalingGroupName(asgName)
                    .lifecycleHookName(hookName)
                    .instanceId(instanceId)
                    .lifecycleActionResult(result));
        } catch (SdkException e) {
            throw translate("CompleteLifecycleAction", e);
        }
    }

    private static LifecycleActionException translate(String action, SdkException e) {
        if (e instanceof AwsServiceException) {
            AwsServiceException s = (AwsServiceException) e;
            String code = s.awsErrorDetails() == null ? null : s.awsErrorDetails().errorCode();
            String message = s.awsErrorDetails() == null ? s.getMessage() : s.awsErrorDetails().errorMessage();
            boolean retryable = s.isThrottlingException() || s.statusCode() >= 500;
            // Auto Scaling says "No active Lifecycle Action found with instance ID ..." as a
            // ValidationError once the action was completed or timed out.
            boolean gone = "ValidationError".equals(code) && message != null
                    && message.toLowerCase(Locale.ROOT).contains("no active lifecycle action");
            return new LifecycleActionException(action + " failed: " + code + " (HTTP " + s.statusCode() + "): "
                    + message, retryable, gone, e);
        }
        // A client-side failure: connection refused or reset, timeout, credentials not ready yet.
        return new LifecycleActionException(action + " failed: " + e.getMessage(), true, false, e);
    }
}
