package io.presenter.demo;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.presenter.chat.server.ChatServer;
import io.presenter.chat.server.ChatServerConfig;
import io.presenter.gateway.config.PresenterConfig;
import io.presenter.gateway.daemon.PresenterDaemon;
import io.presenter.gateway.tls.SelfSignedCertificates;
import io.presenter.gateway.tls.TicketKeys;
import io.presenter.gateway.tls.TlsSettings.CertificateFiles;
import io.presenter.protocol.auth.TokenKeys;
import io.presenter.protocol.auth.TokenVerifier;
import io.presenter.protocol.process.Directories;
import io.presenter.ring.EmbeddedZooKeeper;
import io.presenter.ring.ZooKeeperConfig;
import java.io.IOException;
import java.io.Writer;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole demo system in this JVM, on loopback: an embedded ZooKeeper, chat-server stubs
 * registered in it, and a presenter built by {@link PresenterDaemon} exactly as
 * {@code presenter run} builds it, with a fresh self-signed ECDSA certificate, ticket key file
 * and token key file in a temporary directory. {@link #close()} stops everything, presenter first,
 * and removes the directory.
 */
final class Demo implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Demo.class);

    /** The key id tokens are signed with (the harness signs, presenter and chat servers verify). */
    static final String TOKEN_KEY_ID = "demo";
    /** Bound on waiting for the ring and the presenter's backend connections to form. */
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

    /**
     * How to run it.
     *
     * @param port the presenter's client TLS port: 0 picks a free one; a busy one falls back to a free one
     * @param adminPort the admin HTTP port, with the same rules
     * @param chatServers how many chat-server stubs
     * @param overrides further presenter settings, {@code key=value}, applied last
     */
    record Settings(int port, int adminPort, int chatServers, List<String> overrides) {
        Settings {
            if (chatServers < 1) {
                throw new IllegalArgumentException("at least one chat server");
            }
            overrides = List.copyOf(overrides);
        }
    }

    /** One chat-server stub and the meters it keeps. */
    record Chat(ChatServer server, MeterRegistry registry) {
        String id() {
            return server.id();
        }

        long streamsOpened() {
            Counter c = registry.find("mux.streams.opened").counter();
            return c == null ? 0 : (long) c.count();
        }

        long messagesReceived() {
            Counter c = registry.find("chat.messages.received").counter();
            return c == null ? 0 : (long) c.count();
        }
    }

    private final Settings settings;
    private final Path dir;
    private final List<String> notes = new ArrayList<>();
    private final List<Chat> chats = new ArrayList<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private EmbeddedZooKeeper zooKeeper;
    private CertificateFiles certificate;
    private Path tokenKeyFile;
    private Path ticketKeyFile;
    private PresenterDaemon presenter;

    private Demo(Settings settings, Path dir) {
        this.settings = settings;
        this.dir = dir;
    }

    /** Starts every part and waits until the presenter is connected to every chat server. */
    static Demo start(Settings settings) throws Exception {
        Demo demo = new Demo(settings, Files.createTempDirectory("presenter-demo-"));
        try {
            demo.startParts();
            return demo;
        } catch (Exception | Error e) {
            demo.close();
            throw e;
        }
    }

    private void startParts() throws Exception {
        certificate = SelfSignedCertificates.generate(dir, "presenter", SelfSignedCertificates.KeyType.ECDSA_P256,
                List.of("localhost", "127.0.0.1"));
        ticketKeyFile = dir.resolve("ticket.keys");
        TicketKeys.generate(ticketKeyFile, 1);
        tokenKeyFile = writeTokenKeys(dir.resolve("tokens.keys"));

        zooKeeper = EmbeddedZooKeeper.start(0, dir.resolve("zookeeper"));

        TokenKeys keys = TokenKeys.load(tokenKeyFile);
        TokenVerifier verifier = new TokenVerifier(keys, Clock.systemUTC(), TokenVerifier.DEFAULT_ALLOWED_SKEW);
        SslContext chatTls = SslContextBuilder.forServer(certificate.chain().toFile(), certificate.key().toFile())
                .sslProvider(SslProvider.OPENSSL).build();
        for (int i = 1; i <= settings.chatServers(); i++) {
            MeterRegistry registry = new SimpleMeterRegistry();
            ChatServer server = ChatServer.start(ChatServerConfig.loopback("chat-" + i)
                            .withZooKeeper(ZooKeeperConfig.of(zooKeeper.connectString())),
                    chatTls, auth -> verifier.verify(auth).toAuthStatus(), registry);
            chats.add(new Chat(server, registry));
        }

        int port = portOrFree(settings.port(), "presenter port");
        int adminPort = portOrFree(settings.adminPort(), "admin port");
        try {
            presenter = PresenterDaemon.start(presenterConfig(port, adminPort));
        } catch (Exception e) {
            if (!causedBy(e, BindException.class) || (port == 0 && adminPort == 0)) {
                throw e;
            }
            // Taken between the probe and the bind: free ports it is.
            notes.add("port " + port + " or " + adminPort + " was taken while starting: using free ports");
            presenter = PresenterDaemon.start(presenterConfig(0, 0));
        }
        awaitReady();
    }

    private PresenterConfig presenterConfig(int port, int adminPort) throws Exception {
        List<String> set = new ArrayList<>(List.of(
                "presenter.id=demo-presenter",
                "listen.address=127.0.0.1",
                "listen.port=" + port,
                "tls.certificates=" + certificate.chain() + ":" + certificate.key(),
                "tls.ticket-key-file=" + ticketKeyFile,
                "auth.token-key-file=" + tokenKeyFile,
                "zookeeper.connect=" + zooKeeper.connectString(),
                "admin.enabled=true",
                "admin.address=127.0.0.1",
                "admin.port=" + adminPort,
                "weight.enabled=false",
                // QUIC beside TLS, on a free UDP port (the TCP port's number may be taken on UDP).
                "quic.enabled=true",
                "quic.port=0"));
        set.addAll(settings.overrides());
        // No config file and no PRESENTER_* environment: the demo is the same on every machine.
        return PresenterConfig.load(null, Map.of(), set);
    }

    /** The ring holds every chat server, on the presenter and on each chat server, and the presenter is connected to each. */
    private void awaitReady() throws InterruptedException {
        int n = chats.size();
        waitFor("the ring to hold " + n + " chat servers and the presenter to connect to each", () -> {
            if (presenter.server().directory().ring().members().size() != n) {
                return false;
            }
            for (Chat chat : chats) {
                if (chat.server().ring().members().size() != n
                        || presenter.server().backends().openConnections(chat.id()) == 0) {
                    return false;
                }
            }
            return true;
        });
    }

    private static void waitFor(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("gave up after " + READY_TIMEOUT.toSeconds() + " s waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    /**
     * Waits (bounded) until the presenter has closed every client connection and counted why: the
     * harness returns once its own sockets are closed, the presenter notices a moment later.
     */
    boolean awaitNoClients(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (presenter.server().connections().active() > 0) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    /** {@code preferred} if it can be bound on loopback now, else 0 (a free port), with a note. */
    private int portOrFree(int preferred, String what) {
        if (preferred == 0) {
            return 0;
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), preferred));
            return preferred;
        } catch (IOException e) {
            notes.add(what + " " + preferred + " is busy: using a free port instead");
            return 0;
        }
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    /** A token key file with one fresh 32-byte key, readable only by its owner. */
    private static Path writeTokenKeys(Path file) throws IOException {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING)) {
            w.write("# Generated by the Presenter demo; removed when it stops.\n");
            w.write(TOKEN_KEY_ID + " = " + Base64.getEncoder().encodeToString(secret) + "\n");
            w.write("signing = " + TOKEN_KEY_ID + "\n");
        }
        return file;
    }

    PresenterDaemon presenter() {
        return presenter;
    }

    InetSocketAddress presenterAddress() {
        return presenter.server().address();
    }

    /** The presenter's QUIC listener (UDP). */
    InetSocketAddress quicAddress() {
        return presenter.server().quicAddress().orElseThrow(() -> new IllegalStateException("QUIC is not enabled"));
    }

    InetSocketAddress adminAddress() {
        return presenter.adminAddress();
    }

    String metricsUrl() {
        return "http://127.0.0.1:" + adminAddress().getPort() + "/metrics";
    }

    List<Chat> chats() {
        return chats;
    }

    EmbeddedZooKeeper zooKeeper() {
        return zooKeeper;
    }

    Path dir() {
        return dir;
    }

    CertificateFiles certificate() {
        return certificate;
    }

    Path tokenKeyFile() {
        return tokenKeyFile;
    }

    Path ticketKeyFile() {
        return ticketKeyFile;
    }

    /** Things worth telling the user about how it started (ports that were busy). */
    List<String> notes() {
        return notes;
    }

    /** A presenter counter's value summed over the tags not given, e.g. both transports (0 when none exists yet). */
    long presenterCount(String name, String... tags) {
        double sum = 0;
        for (Counter c : presenter.registry().find(name).tags(tags).counters()) {
            sum += c.count();
        }
        return (long) sum;
    }

    /** Stops the presenter, the chat servers, ZooKeeper, then removes the temporary directory. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (presenter != null) {
            presenter.close();
        }
        for (int i = chats.size() - 1; i >= 0; i--) {
            try {
                chats.get(i).server().close();
            } catch (RuntimeException e) {
                log.warn("while stopping {}: {}", chats.get(i).id(), e.toString());
            }
        }
        if (zooKeeper != null) {
            zooKeeper.close();
        }
        try {
            Directories.deleteRecursively(dir);
        } catch (IOException e) {
            log.warn("cannot remove {}: {}", dir, e.toString());
        }
    }
}
