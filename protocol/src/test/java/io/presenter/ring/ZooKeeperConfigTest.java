package io.presenter.ring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ZooKeeperConfigTest {

    @Test
    void defaultsAreSafe() {
        ZooKeeperConfig config = ZooKeeperConfig.of("zk1:2181,zk2:2181");
        assertThat(config.basePath()).isEqualTo("/presenter");
        assertThat(config.sessionTimeout()).isEqualTo(Duration.ofSeconds(15));
        assertThat(config.servers()).isEqualTo("zk1:2181,zk2:2181");
        assertThat(config.namespace()).isNull();
        assertThat(MemberPaths.member(config.basePath(), "chat-1")).isEqualTo("/presenter/members/chat-1");
    }

    @Test
    void aChrootBecomesTheNamespace() {
        ZooKeeperConfig config = ZooKeeperConfig.of("zk1:2181,[::1]:2181/tenants/a");
        assertThat(config.servers()).isEqualTo("zk1:2181,[::1]:2181");
        assertThat(config.namespace()).isEqualTo("tenants/a");
    }

    @Test
    void rejectsWhatZooKeeperOrCuratorWouldRejectLater() {
        assertThatThrownBy(() -> ZooKeeperConfig.of(" ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ZooKeeperConfig.of("zk:2181/bad/")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ZooKeeperConfig.of("zk:2181").withBasePath("presenter"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ZooKeeperConfig.of("zk:2181").withSessionTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
