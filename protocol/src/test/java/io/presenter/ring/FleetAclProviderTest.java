package io.presenter.ring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.zookeeper.ZooDefs.Perms;
import org.apache.zookeeper.data.ACL;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which ACL each fleet node gets, with and without a chroot; and what a credentials file may hold. */
class FleetAclProviderTest {

    private static final FleetAcl ACL = new FleetAcl("presenter:P", "chat:C");

    @Test
    void eachNodeGetsItsOwnersAcl() {
        for (String root : List.of("", "/tenant-a")) {
            ACLProvider provider = ACL.aclProvider(root.isEmpty() ? null : root.substring(1), "/presenter");
            String base = root + "/presenter";
            assertThat(render(provider.getAclForPath(base))).containsExactly("world:anyone=r", "digest:presenter:P=rc",
                    "digest:chat:C=rc");
            assertThat(render(provider.getAclForPath(base + "/members"))).containsExactly("world:anyone=r", "digest:chat:C=rwcd");
            assertThat(render(provider.getAclForPath(base + "/members/chat-1"))).containsExactly("world:anyone=r",
                    "digest:chat:C=rwcd");
            assertThat(render(provider.getAclForPath(base + "/presenters/p-1"))).containsExactly("world:anyone=r",
                    "digest:presenter:P=rwcd");
            assertThat(render(provider.getAclForPath(base + "/fleet/leader/_c_1-latch-0001"))).containsExactly(
                    "world:anyone=r", "digest:presenter:P=rwcd");
            assertThat(render(provider.getAclForPath(base + "/fleet/ticket-keys"))).containsExactly("digest:presenter:P=rwcd");
            assertThat(render(provider.getAclForPath(base + "/fleet/ticket-keys/current")))
                    .containsExactly("digest:presenter:P=rwcd");
            assertThat(render(provider.getAclForPath(base + "/something-new"))).containsExactly("world:anyone=r",
                    "digest:presenter:P=rwcd", "digest:chat:C=rwcd");
        }
        assertThat(render(ACL.aclProvider("tenant-a", "/presenter").getAclForPath("/tenant-a")))
                .as("the chroot node").contains("world:anyone=r", "digest:chat:C=rc");
    }

    @Test
    void openAclAndBadIdsAreToldApart() {
        assertThat(FleetAcl.OPEN.enabled()).isFalse();
        assertThatThrownBy(() -> new FleetAcl("presenter:P", "")).hasMessageContaining("both");
        assertThatThrownBy(() -> new FleetAcl("presenter-password", "chat:C")).hasMessageContaining("not a password");
        assertThatThrownBy(() -> new FleetAcl("same:X", "same:X")).hasMessageContaining("different");
    }

    @Test
    void credentialsFileHoldsOneUserAndPasswordNeverPrinted(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("zk.digest"), "# chat servers\nchat:s3cret:with-colon\n");
        ZooKeeperAuth auth = ZooKeeperAuth.fromFile(file, ACL);
        assertThat(auth.digestUser()).isEqualTo("chat");
        assertThat(auth.digestPassword()).isEqualTo("s3cret:with-colon");
        assertThat(auth.toString()).doesNotContain("s3cret");
        Path bad = Files.writeString(dir.resolve("bad.digest"), "just-a-password-s3cret\n");
        assertThatThrownBy(() -> ZooKeeperAuth.fromFile(bad, ACL)).hasMessageContaining("user:password")
                .hasMessageNotContaining("s3cret");
    }

    private static List<String> render(List<ACL> acl) {
        return acl.stream().map(entry -> entry.getId().getScheme() + ":" + entry.getId().getId() + "=" + perms(entry.getPerms()))
                .toList();
    }

    private static String perms(int perms) {
        return ((perms & Perms.READ) != 0 ? "r" : "") + ((perms & Perms.WRITE) != 0 ? "w" : "")
                + ((perms & Perms.CREATE) != 0 ? "c" : "") + ((perms & Perms.DELETE) != 0 ? "d" : "")
                + ((perms & Perms.ADMIN) != 0 ? "a" : "");
    }
}
