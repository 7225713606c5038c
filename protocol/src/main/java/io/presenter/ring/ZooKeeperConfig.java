package io.presenter.ring;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import org.apache.zookeeper.common.PathUtils;

/**
 * How to reach ZooKeeper and where the ring lives in it.
 *
 * @param connectString {@code host:port[,host:port...][/chroot]}; a chroot suffix is applied as
 *        Curator's namespace, which Curator creates on first use (a plain ZooKeeper chroot must
 *        exist beforehand)
 * @param basePath root of the presenter's nodes, under the chroot; members live in
 *        {@code <basePath>/members}
 * @param sessionTimeout how long ZooKeeper keeps this client's session, and so a chat server's
 *        member node, after it stops hearing from it
 * @param connectionTimeout how long one connection attempt may take
 * @param retryBaseSleep first wait of the exponential back-off between retries of an operation
 * @param retryMaxSleep longest wait between two retries
 * @param retryMaxAttempts retries of one operation before it fails (Curator caps this at 29)
 * @param auth this process's ZooKeeper credentials and the fleet's ACLs, {@link ZooKeeperAuth#NONE} by default
 */
public record ZooKeeperConfig(String connectString, String basePath, Duration sessionTimeout,
                              Duration connectionTimeout, Duration retryBaseSleep,
                              Duration retryMaxSleep, int retryMaxAttempts, ZooKeeperAuth auth) {

    public static final String DEFAULT_BASE_PATH = "/presenter";
    /** Long enough to ride out a GC pause or a ZooKeeper leader election without dropping members. */
    public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(15);
    public static final Duration DEFAULT_CONNECTION_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_RETRY_BASE_SLEEP = Duration.ofMillis(100);
    public static final Duration DEFAULT_RETRY_MAX_SLEEP = Duration.ofSeconds(5);
    public static final int DEFAULT_RETRY_MAX_ATTEMPTS = 10;

    public ZooKeeperConfig {
        requireNonNull(connectString, "connectString");
        requireNonNull(basePath, "basePath");
        requireNonNull(sessionTimeout, "sessionTimeout");
        requireNonNull(connectionTimeout, "connectionTimeout");
        requireNonNull(retryBaseSleep, "retryBaseSleep");
        requireNonNull(retryMaxSleep, "retryMaxSleep");
        requireNonNull(auth, "auth");
        if (connectString.isBlank()) {
            throw new IllegalArgumentException("connectString is empty");
        }
        int chroot = connectString.indexOf('/');
        if (chroot >= 0) {
            PathUtils.validatePath(connectString.substring(chroot));
        }
        PathUtils.validatePath(basePath);
        checkPositive("sessionTimeout", sessionTimeout);
        checkPositive("connectionTimeout", connectionTimeout);
        checkPositive("retryBaseSleep", retryBaseSleep);
        if (retryMaxSleep.compareTo(retryBaseSleep) < 0) {
            throw new IllegalArgumentException("retryMaxSleep " + retryMaxSleep
                    + " is shorter than retryBaseSleep " + retryBaseSleep);
        }
        if (retryMaxAttempts < 0 || retryMaxAttempts > 29) {
            throw new IllegalArgumentException("retryMaxAttempts must be 0-29: " + retryMaxAttempts);
        }
    }

    /** The defaults above, for the ensemble at {@code connectString}. */
    public static ZooKeeperConfig of(String connectString) {
        return new ZooKeeperConfig(connectString, DEFAULT_BASE_PATH, DEFAULT_SESSION_TIMEOUT,
                DEFAULT_CONNECTION_TIMEOUT, DEFAULT_RETRY_BASE_SLEEP, DEFAULT_RETRY_MAX_SLEEP,
                DEFAULT_RETRY_MAX_ATTEMPTS, ZooKeeperAuth.NONE);
    }

    public ZooKeeperConfig withBasePath(String newBasePath) {
        return new ZooKeeperConfig(connectString, newBasePath, sessionTimeout, connectionTimeout,
                retryBaseSleep, retryMaxSleep, retryMaxAttempts, auth);
    }

    public ZooKeeperConfig withSessionTimeout(Duration newSessionTimeout) {
        return new ZooKeeperConfig(connectString, basePath, newSessionTimeout, connectionTimeout,
                retryBaseSleep, retryMaxSleep, retryMaxAttempts, auth);
    }

    public ZooKeeperConfig withConnectionTimeout(Duration newConnectionTimeout) {
        return new ZooKeeperConfig(connectString, basePath, sessionTimeout, newConnectionTimeout,
                retryBaseSleep, retryMaxSleep, retryMaxAttempts, auth);
    }

    /** The same ensemble with credentials and fleet ACLs (see {@link ZooKeeperAuth}). */
    public ZooKeeperConfig withAuth(ZooKeeperAuth newAuth) {
        return new ZooKeeperConfig(connectString, basePath, sessionTimeout, connectionTimeout,
                retryBaseSleep, retryMaxSleep, retryMaxAttempts, newAuth);
    }

    /** The servers, without the chroot. */
    String servers() {
        int chroot = connectString.indexOf('/');
        return chroot < 0 ? connectString : connectString.substring(0, chroot);
    }

    /** The chroot without its leading '/', as Curator wants a namespace, or null if none. */
    String namespace() {
        int chroot = connectString.indexOf('/');
        return chroot < 0 || chroot == connectString.length() - 1
                ? null : connectString.substring(chroot + 1);
    }

    private static void checkPositive(String name, Duration value) {
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive: " + value);
        }
    }
}
