package io.presenter.gateway.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.presenter.chat.server.ChatServer;
import io.presenter.chat.server.ChatServerConfig;
import io.presenter.gateway.client.ClientMeters;
import io.presenter.gateway.config.ConfigSource;
import io.presenter.gateway.reload.ConfigReloader;
import io.presenter.gateway.tls.SelfSignedCertificates;
import io.presenter.gateway.tls.SelfSignedCertificates.KeyType;
import io.presenter.gateway.tls.TlsSettings.CertificateFiles;
import io.presenter.protocol.auth.TokenKeys;
import io.presenter.protocol.auth.TokenSigner;
import io.presenter.protocol.auth.TokenVerifier;
import io.presenter.protocol.wire.AuthStatus;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.ring.ZooKeeperConfig;
import io.presenter.testing.Await;
import io.presenter.testing.TestChatClient;
import io.presenter.testing.TestTls;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.curator.test.TestingServer;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Certificates swapped under a running daemon started from a config file, with a real chat server
 * and ZooKeeper and real TLS clients: by the file watch, by a real SIGHUP sent to this JVM with
 * {@code kill -HUP}, and by {@code POST /reload}. New handshakes get the new certificate at once;
 * a couple connected before keeps chatting on the old one; a broken file (garbage, a key of
 * another certificate, an expired certificate, an unknown setting, a restart-only setting changed)
 * is refused whole, counted and answered, and the certificate in use keeps serving.
 *
 * <p>SIGHUP in this JVM is safe because the daemon's handler is installed before the signal is
 * sent, and the JVM's own handler (which would stop the JVM) is put back only after the reload
 * the signal caused has been counted, so no SIGHUP ever reaches the JVM's default handler.
 */
class CertificateReloadTest {

    static final Duration WAIT = Duration.ofSeconds(20);
    static final String ADMIN_TOKEN = "reload-secret-0123456789";

    @TempDir
    Path dir;

    private TestingServer zooKeeper;
    private ChatServer chatServer;
    private TokenSigner signer;
    private Path certificate;
    private Path key;
    private final EventLoopGroup clientLoops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() throws Exception {
        zooKeeper = new TestingServer(true);
        Path keyFile = Files.writeString(dir.resolve("token-keys"),
                "k1 = MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\nsigning = k1\n");
        TokenKeys keys = TokenKeys.load(keyFile);
        signer = new TokenSigner(keys, Clock.systemUTC());
        TokenVerifier verifier = new TokenVerifier(keys, Clock.systemUTC(), TokenVerifier.DEFAULT_ALLOWED_SKEW);
        chatServer = ChatServer.start(ChatServerConfig.loopback("chat-1")
                        .withZooKeeper(ZooKeeperConfig.of(zooKeeper.getConnectString())),
                TestTls.server(), auth -> verifier.verify(auth).toAuthStatus(), new SimpleMeterRegistry());
        Files.writeString(dir.resolve("admin-token"), ADMIN_TOKEN + "\n");
        certificate = dir.resolve("live.crt");
        key = dir.resolve("live.key");
        install(generate("one.example"));
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        chatServer.close();
        zooKeeper.close();
        clientLoops.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void aCertificateRenewedOnDiskIsServedToNewHandshakesWhileConnectedClientsKeepChatting() throws Exception {
        Path config = writeConfig("reload.watch-interval: 100ms\n");
        PresenterDaemon daemon = start(config);
        assertThat(servedName(daemon)).isEqualTo("one.example");
        TestChatClient alice = client(daemon, 1, 10);
        TestChatClient bob = client(daemon, 2, 10);

        install(generate("two.example"));  // what certbot's deploy hook or a secrets agent does

        Await.until(WAIT, () -> reloads(daemon, "applied", "file") >= 1,
                () -> "no applied reload from the file watch; rejected " + reloads(daemon, "rejected", "file"));
        assertThat(servedName(daemon)).as("a new handshake").isEqualTo("two.example");
        assertThat(peerName(alice.channel())).as("alice's connection keeps its handshake").isEqualTo("one.example");
        assertChat(alice, bob, 1);
        assertThat(daemon.server().connections().active()).isEqualTo(2);
    }

    @Test
    void sighupAndPostReloadSwapTheCertificateAndEveryBrokenCandidateIsRefusedWhole() throws Exception {
        Path config = writeConfig("reload.watch-interval: 0s\n");
        PresenterDaemon daemon = start(config);
        TestChatClient alice = client(daemon, 1, 10);
        TestChatClient bob = client(daemon, 2, 10);

        // SIGHUP, a real one, to this JVM.
        install(generate("two.example"));
        assertThat(servedName(daemon)).as("nothing reloads by itself without the watch").isEqualTo("one.example");
        SignalHandler jvmDefault = ReloadSignal.install(daemon);
        try {
            long pid = ProcessHandle.current().pid();
            Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(pid)).start();
            assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(kill.exitValue()).isZero();
            Await.until(WAIT, () -> reloads(daemon, "applied", "sighup") == 1, () -> "no reload after SIGHUP");
        } finally {
            if (reloads(daemon, "applied", "sighup") + reloads(daemon, "rejected", "sighup") >= 1) {
                Signal.handle(ReloadSignal.HUP, jvmDefault);
            }
        }
        assertThat(servedName(daemon)).isEqualTo("two.example");
        assertChat(alice, bob, 1);

        // POST /reload needs the drain's credential.
        install(generate("three.example"));
        assertThat(post(daemon, "/reload", null).statusCode()).isEqualTo(401);
        assertThat(post(daemon, "/reload", "Bearer wrong-token-0123456789").statusCode()).isEqualTo(401);
        HttpResponse<String> applied = post(daemon, "/reload", "Bearer " + ADMIN_TOKEN);
        assertThat(applied.statusCode()).isEqualTo(200);
        assertThat(applied.body()).contains("\"result\":\"applied\"", "\"trigger\":\"admin\"", "live.crt", "live.key");
        assertThat(servedName(daemon)).isEqualTo("three.example");
        HttpResponse<String> again = post(daemon, "/reload", "Bearer " + ADMIN_TOKEN);
        assertThat(again.body()).contains("\"result\":\"unchanged\"");

        // Broken candidates: each refused whole, with its reason; three.example keeps serving.
        Files.writeString(certificate, "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
        assertRefused(daemon, "live.crt");
        install(generate("three.example"));  // restore, then the key of another certificate:
        Files.copy(generate("four.example").key(), key, StandardCopyOption.REPLACE_EXISTING);
        assertRefused(daemon, "does not belong");
        install(expired("expired.example"));
        assertRefused(daemon, "expired on");
        install(generate("five.example"));
        writeConfig("reload.watch-interval: 0s\nlimits:\n  max-connectoins: 5\n");  // a typo
        assertRefused(daemon, "limits.max-connectoins: unknown setting");
        writeConfig("reload.watch-interval: 0s\nbackend:\n  connections-per-loop: 2\n");
        assertRefused(daemon, "backend.connections-per-loop cannot change while running");
        assertThat(reloads(daemon, "rejected", "admin")).isEqualTo(5.0);
        assertThat(get(daemon, "/metrics").body())
                .contains("presenter_reloads_total{result=\"rejected\",trigger=\"admin\"} 5.0");

        // A good candidate with a live setting and the new files goes through.
        writeConfig("reload.watch-interval: 0s\nlimits:\n  max-connections: 5000\n");
        HttpResponse<String> live = post(daemon, "/reload", "Bearer " + ADMIN_TOKEN);
        assertThat(live.body()).contains("\"result\":\"applied\"", "limits.max-connections", "live.crt");
        assertThat(servedName(daemon)).isEqualTo("five.example");
        assertThat(get(daemon, "/reload").body()).isEqualTo(live.body());
        assertChat(alice, bob, 2);
        assertThat(peerName(alice.channel())).isEqualTo("one.example");
    }

    /**
     * The accept rates reload live: a reload that sets {@code limits.max-handshake-rate} or
     * {@code limits.max-connection-rate-per-ip} refuses connections above it at once, and one that
     * turns them off admits everyone again; the PROXY protocol is restart-only (the balancer's
     * side changes with it) and a reload that changes it is refused whole.
     */
    @Test
    void theAcceptRatesReloadLiveAndTheProxyProtocolIsRestartOnly() throws Exception {
        writeConfig("reload.watch-interval: 0s\n");
        PresenterDaemon daemon = start(dir.resolve("presenter.yaml"));
        TestChatClient alice = client(daemon, 1, 10);
        TestChatClient bob = client(daemon, 2, 10);

        writeConfig("reload.watch-interval: 0s\nlimits:\n  max-handshake-rate: 1\n");
        assertThat(post(daemon, "/reload", "Bearer " + ADMIN_TOKEN).body())
                .contains("\"result\":\"applied\"", "limits.max-handshake-rate");
        assertRefusedAtAccept(daemon, "over_handshake_rate");

        writeConfig("reload.watch-interval: 0s\nlimits:\n  max-connection-rate-per-ip: 1\n");
        assertThat(post(daemon, "/reload", "Bearer " + ADMIN_TOKEN).body())
                .contains("\"result\":\"applied\"", "limits.max-connection-rate-per-ip");
        assertRefusedAtAccept(daemon, "over_address_rate");

        writeConfig("reload.watch-interval: 0s\nlisten:\n  proxy-protocol: required\n");
        HttpResponse<String> proxy = post(daemon, "/reload", "Bearer " + ADMIN_TOKEN);
        assertThat(proxy.statusCode()).as(proxy.body()).isEqualTo(422);
        assertThat(proxy.body()).contains("listen.proxy-protocol cannot change while running");

        writeConfig("reload.watch-interval: 0s\n");
        assertThat(post(daemon, "/reload", "Bearer " + ADMIN_TOKEN).body()).contains("\"result\":\"applied\"");
        double refused = closed(daemon, "over_handshake_rate") + closed(daemon, "over_address_rate");
        for (int i = 0; i < 20; i++) {
            assertThat(servedName(daemon)).as("handshake %d with the rates off again", i).isEqualTo("one.example");
        }
        assertThat(closed(daemon, "over_handshake_rate") + closed(daemon, "over_address_rate")).isEqualTo(refused);
        assertChat(alice, bob, 1);
    }

    /** 30 connections at once from this address: most are closed at accept, counted under {@code reason}. */
    private void assertRefusedAtAccept(PresenterDaemon daemon, String reason) throws Exception {
        double before = closed(daemon, reason);
        List<java.net.Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < 30; i++) {
                sockets.add(new java.net.Socket("127.0.0.1", daemon.server().address().getPort()));
            }
            Await.until(WAIT, () -> closed(daemon, reason) >= before + 10,
                    () -> reason + " refusals: " + (closed(daemon, reason) - before));
        } finally {
            for (java.net.Socket socket : sockets) {
                socket.close();
            }
        }
    }

    private static double closed(PresenterDaemon daemon, String reason) {
        Counter counter = daemon.registry().find(ClientMeters.CONNECTIONS_CLOSED).tag("reason", reason).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void checkConfigRefusesWhatAReloadWouldRefuse() throws Exception {
        Path config = writeConfig("");
        assertThat(execute("check-config", "-c", config.toString()).code).isZero();

        install(expired("expired.example"));
        Result expired = execute("check-config", "-c", config.toString());
        assertThat(expired.code).isEqualTo(PresenterCommand.CONFIG_ERROR);
        assertThat(expired.err).contains("expired on", "live.crt");

        install(generate("one.example"));
        Files.copy(generate("other.example").key(), key, StandardCopyOption.REPLACE_EXISTING);
        Result mismatched = execute("check-config", "-c", config.toString());
        assertThat(mismatched.code).isEqualTo(PresenterCommand.CONFIG_ERROR);
        assertThat(mismatched.err).contains("does not belong");
    }

    private void assertRefused(PresenterDaemon daemon, String reason) throws Exception {
        HttpResponse<String> refused = post(daemon, "/reload", "Bearer " + ADMIN_TOKEN);
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(422);
        assertThat(refused.body()).contains("\"result\":\"rejected\"", reason);
        assertThat(servedName(daemon)).as("the certificate in use keeps serving").isEqualTo("three.example");
    }

    private PresenterDaemon start(Path config) throws Exception {
        PresenterDaemon daemon = PresenterDaemon.start(new ConfigSource(config, Map.of(), List.of()));
        closeables.add(daemon);
        Await.until(WAIT, () -> get(daemon, "/ready").statusCode() == 200, () -> "never ready");
        return daemon;
    }

    private Path writeConfig(String more) throws Exception {
        Path config = dir.resolve("presenter.yaml");
        Path temporary = dir.resolve("presenter.yaml.new");
        Files.writeString(temporary, "presenter:\n  id: presenter-under-test\n"
                + "listen:\n  address: 127.0.0.1\n  port: 0\n  event-loops: 1\n"
                + "admin:\n  port: 0\n  token-file: " + dir.resolve("admin-token") + "\n"
                + "tls:\n  certificates:\n    - chain: " + certificate + "\n      key: " + key + "\n"
                + "auth:\n  token-key-file: " + dir.resolve("token-keys") + "\n"
                + "zookeeper:\n  connect: " + zooKeeper.getConnectString() + "\n"
                + more);
        Files.move(temporary, config, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return config;
    }

    private CertificateFiles generate(String name) throws Exception {
        Path generated = Files.createTempDirectory(dir, "generated");
        return SelfSignedCertificates.generate(generated, "server", KeyType.ECDSA_P256, List.of(name));
    }

    /** Each file replaced atomically, as an operator (or certbot) should. */
    private void install(CertificateFiles files) throws Exception {
        Files.copy(files.chain(), dir.resolve("live.crt.new"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(files.key(), dir.resolve("live.key.new"), StandardCopyOption.REPLACE_EXISTING);
        Files.move(dir.resolve("live.key.new"), key, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.move(dir.resolve("live.crt.new"), certificate, StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    /** A self-signed certificate whose validity ended yesterday, and its key. */
    private CertificateFiles expired(String name) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair keys = generator.generateKeyPair();
        Instant now = Instant.now();
        X500Name subject = new X500Name("CN=" + name);
        X509Certificate cert = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(
                subject, BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minus(Duration.ofDays(90))),
                Date.from(now.minus(Duration.ofDays(1))), subject, keys.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
        Path generated = Files.createTempDirectory(dir, "expired");
        CertificateFiles files = new CertificateFiles(generated.resolve("server.crt"), generated.resolve("server.key"));
        writePem(files.chain(), cert);
        writePem(files.key(), new JcaPKCS8Generator(keys.getPrivate(), null));
        return files;
    }

    private static void writePem(Path file, Object object) throws Exception {
        try (Writer writer = Files.newBufferedWriter(file); JcaPEMWriter pem = new JcaPEMWriter(writer)) {
            if (object instanceof org.bouncycastle.util.io.pem.PemObjectGenerator generator) {
                pem.writeObject(generator);
            } else {
                pem.writeObject(object);
            }
        }
    }

    private TestChatClient client(PresenterDaemon daemon, long user, long couple) throws Exception {
        TestChatClient client = TestChatClient.connect(clientLoops, daemon.server().address(), TestTls.client());
        closeables.add(client);
        assertThat(client.authenticate(TestChatClient.authPacket(user, couple,
                signer.sign(user, couple, Duration.ofHours(1))))).isEqualTo(AuthStatus.OK);
        return client;
    }

    private static void assertChat(TestChatClient from, TestChatClient to, long messageId) throws Exception {
        from.sendMessage(messageId, "message " + messageId);
        assertThat(to.next(ClientPacket::isSetDelivery).getDelivery().getClientMessageId()).isEqualTo(messageId);
    }

    /** The subject CN of the certificate a new TLS handshake with the daemon gets. */
    private String servedName(PresenterDaemon daemon) throws Exception {
        SslContext tls = SslContextBuilder.forClient().sslProvider(SslProvider.OPENSSL)
                .trustManager(InsecureTrustManagerFactory.INSTANCE).build();
        SslHandler[] ssl = new SslHandler[1];
        Channel channel = new Bootstrap().group(clientLoops).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ssl[0] = tls.newHandler(ch.alloc());
                        ch.pipeline().addLast(ssl[0]);
                    }
                })
                .connect(daemon.server().address()).syncUninterruptibly().channel();
        try {
            assertThat(ssl[0].handshakeFuture().await(WAIT.toMillis())).isTrue();
            assertThat(ssl[0].handshakeFuture().isSuccess()).as("%s", ssl[0].handshakeFuture().cause()).isTrue();
            return peerName(channel);
        } finally {
            channel.close().syncUninterruptibly();
        }
    }

    private static String peerName(Channel channel) throws Exception {
        X509Certificate leaf = (X509Certificate) channel.pipeline().get(SslHandler.class).engine().getSession()
                .getPeerCertificates()[0];
        return new javax.naming.ldap.LdapName(leaf.getSubjectX500Principal().getName()).getRdns().stream()
                .filter(rdn -> rdn.getType().equalsIgnoreCase("CN")).map(rdn -> rdn.getValue().toString())
                .findFirst().orElseThrow();
    }

    private static double reloads(PresenterDaemon daemon, String result, String trigger) {
        Counter counter = daemon.registry().find(ConfigReloader.RELOADS).tag("result", result)
                .tag("trigger", trigger).counter();
        return counter == null ? 0 : counter.count();
    }

    private HttpResponse<String> post(PresenterDaemon daemon, String path, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + daemon.adminAddress().getPort() + path)).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.noBody());
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(PresenterDaemon daemon, String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.adminAddress().getPort() + path))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private record Result(int code, String out, String err) {}

    private static Result execute(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine command = PresenterCommand.commandLine();
        command.setOut(new PrintWriter(out));
        command.setErr(new PrintWriter(err));
        int code = command.execute(args);
        return new Result(code, out.toString(), err.toString());
    }
}
