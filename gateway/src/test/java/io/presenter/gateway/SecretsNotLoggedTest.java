package io.presenter.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import io.presenter.gateway.client.ClientMeters;
import io.presenter.protocol.auth.TokenKeys;
import io.presenter.protocol.auth.TokenSigner;
import io.presenter.protocol.wire.AuthPacket;
import io.presenter.protocol.wire.AuthToken;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.testing.TestChatClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Tokens and keys never reach the log, at any level: every log event of a presenter, its chat
 * servers and the ring, at DEBUG, is captured while good, forged and expired tokens go through.
 */
class SecretsNotLoggedTest {

    private final ListAppender<ILoggingEvent> captured = new ListAppender<>();
    private final Logger presenterLogs = (Logger) LoggerFactory.getLogger("io.presenter");
    private Level previousLevel;
    private PresenterCluster cluster;

    @BeforeEach
    void start() throws Exception {
        previousLevel = presenterLogs.getLevel();
        presenterLogs.setLevel(Level.DEBUG);
        captured.start();
        presenterLogs.addAppender(captured);
        cluster = PresenterCluster.withOneChatServer();
    }

    @AfterEach
    void stop() throws Exception {
        cluster.close();
        presenterLogs.detachAppender(captured);
        presenterLogs.setLevel(previousLevel);
    }

    @Test
    void noTokenSignatureOrKeyAppearsInAnyLogLine() throws Exception {
        PresenterServer presenter = cluster.startPresenter(PresenterCluster.settings(), cluster.directory);
        AuthPacket good = cluster.auth(1, 10);
        TestChatClient client = cluster.authenticated(presenter, 1, 10);
        client.close();
        byte[] forgerSecret = "a forger's secret that must not be logged".getBytes(StandardCharsets.US_ASCII);
        AuthToken forged = new TokenSigner(TokenKeys.of("k1", Map.of("k1", forgerSecret)), Clock.systemUTC())
                .sign(2, 11, Duration.ofHours(1));
        AuthToken expired = new TokenSigner(PresenterCluster.TOKEN_KEYS, Clock.offset(Clock.systemUTC(), Duration.ofHours(-3)))
                .sign(2, 11, Duration.ofHours(1));
        for (AuthToken token : List.of(forged, expired)) {
            TestChatClient rejected = cluster.connect(presenter);
            rejected.send(ClientPacket.auth(TestChatClient.authPacket(2, 11, token)));
            rejected.awaitClosed();
        }
        cluster.awaitCounter(1, ClientMeters.AUTH_REJECTED, "reason", "bad_token");
        cluster.awaitCounter(1, ClientMeters.AUTH_REJECTED, "reason", "expired_token");

        List<String> lines = captured.list.stream().map(event -> event.getFormattedMessage()
                + (event.getThrowableProxy() == null ? "" : ThrowableProxyUtil.asString(event.getThrowableProxy())))
                .toList();
        assertThat(lines).as("something was logged at all").isNotEmpty();
        for (AuthToken token : List.of(good.getToken(), forged, expired)) {
            byte[] signature = token.getSignature();
            assertThat(lines).noneMatch(line -> line.contains(Base64.getEncoder().encodeToString(signature))
                    || line.contains(HexFormat.of().formatHex(signature))
                    || line.contains(java.util.Arrays.toString(signature)));
        }
        assertThat(lines).noneMatch(line -> line.contains(new String(forgerSecret, StandardCharsets.US_ASCII))
                || line.contains(PresenterCluster.TOKEN_SECRET));
    }
}
