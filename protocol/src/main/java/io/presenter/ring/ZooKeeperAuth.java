package io.presenter.ring;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;

/**
 * Who a process is to ZooKeeper and which ACLs it gives the nodes it creates.
 *
 * <p>Digest authentication ({@code user:password}, checked by ZooKeeper's built-in digest
 * provider, no server setup needed) was chosen over SASL DIGEST-MD5, which needs a JAAS file on
 * every client and server and takes its login from JVM-wide system properties (one identity per
 * JVM, so no embedded demo or test running a presenter and chat servers side by side), and over
 * ZooKeeper's x509 authentication, which needs the secure client port and keystores on every
 * process. Digest passwords travel in the clear unless the client port is TLS: deploy/zookeeper
 * shows the ensemble's TLS port, which these clients use through ZooKeeper's own system
 * properties without code here.
 *
 * @param digestUser the user of the digest credentials, empty for none
 * @param digestPassword their password, empty for none; never printed
 * @param acl the fleet's ACL, {@link FleetAcl#OPEN} for none
 */
public record ZooKeeperAuth(String digestUser, String digestPassword, FleetAcl acl) {

    /** No credentials, no ACLs: ZooKeeper as it was, and the embedded demo's default. */
    public static final ZooKeeperAuth NONE = new ZooKeeperAuth("", "", FleetAcl.OPEN);

    public ZooKeeperAuth {
        requireNonNull(digestUser, "digestUser");
        requireNonNull(digestPassword, "digestPassword");
        requireNonNull(acl, "acl");
        if (digestUser.contains(":")) {
            throw new IllegalArgumentException("a ZooKeeper digest user must not contain ':'");
        }
        if (digestUser.isEmpty() != digestPassword.isEmpty()) {
            throw new IllegalArgumentException("ZooKeeper digest credentials need both a user and a password");
        }
    }

    /**
     * Credentials read from {@code credentialsFile}: one line {@code user:password} (blank lines
     * and {@code #} comments ignored). Keep it readable by the process's user only.
     *
     * @throws IllegalArgumentException if the file does not hold exactly one such line; the
     *     message never quotes it
     */
    public static ZooKeeperAuth fromFile(Path credentialsFile, FleetAcl acl) throws IOException {
        List<String> lines = Files.readAllLines(credentialsFile, StandardCharsets.UTF_8).stream()
                .map(String::strip).filter(line -> !line.isEmpty() && !line.startsWith("#")).toList();
        int colon = lines.size() == 1 ? lines.get(0).indexOf(':') : -1;
        if (colon <= 0 || colon == lines.get(0).length() - 1) {
            throw new IllegalArgumentException("ZooKeeper credentials file " + credentialsFile
                    + " must hold one line 'user:password'");
        }
        return new ZooKeeperAuth(lines.get(0).substring(0, colon), lines.get(0).substring(colon + 1), acl);
    }

    public boolean hasCredentials() {
        return !digestUser.isEmpty();
    }

    /** What Curator's {@code authorization("digest", ...)} takes. */
    byte[] credentials() {
        return (digestUser + ':' + digestPassword).getBytes(StandardCharsets.UTF_8);
    }

    /** The digest id these credentials authenticate as ({@code user:base64(sha1(user:password))}), or "" without any. */
    public String digestId() {
        if (!hasCredentials()) {
            return "";
        }
        try {
            return DigestAuthenticationProvider.generateDigest(digestUser + ':' + digestPassword);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-1", e);
        }
    }

    /** The password never reaches a log. */
    @Override
    public String toString() {
        return "ZooKeeperAuth[" + (hasCredentials() ? "digest user " + digestUser : "no credentials")
                + ", " + (acl.enabled() ? "fleet ACLs" : "no ACLs") + "]";
    }
}
