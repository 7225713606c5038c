package io.presenter.ring;

import io.presenter.protocol.process.Directories;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single ZooKeeper server running inside this JVM, on loopback, for demos and local runs; a
 * real deployment uses an external ensemble.
 *
 * <p>It is ZooKeeper's own server ({@link ZooKeeperServer} behind a {@link ServerCnxnFactory}),
 * not a test double. Unlike {@code ZooKeeperServerMain} it starts no admin server, so it opens
 * no Jetty port: only the client port.
 */
public final class EmbeddedZooKeeper implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(EmbeddedZooKeeper.class);

    /** ZooKeeper's default tick: sessions may last 2 to 20 ticks. */
    private static final int TICK_MILLIS = 2000;
    /**
     * Every client comes from loopback, and ZooKeeper limits connections per client address: this
     * leaves room for a demo's presenters and chat servers.
     */
    private static final int MAX_CONNECTIONS_PER_ADDRESS = 256;

    private final ZooKeeperServer server;
    private final ServerCnxnFactory connections;
    private final Path dataDir;
    private final boolean deleteDataDir;

    private EmbeddedZooKeeper(ZooKeeperServer server, ServerCnxnFactory connections, Path dataDir,
                              boolean deleteDataDir) {
        this.server = server;
        this.connections = connections;
        this.dataDir = dataDir;
        this.deleteDataDir = deleteDataDir;
    }

    /**
     * Starts a server on {@code port} of 127.0.0.1 (0 picks a free one) with its data in a new
     * temporary directory, deleted on {@link #close()}.
     */
    public static EmbeddedZooKeeper start(int port) throws IOException, InterruptedException {
        return start(port, Files.createTempDirectory("presenter-zookeeper-"), true);
    }

    /** Starts a server on {@code port} of 127.0.0.1 (0 picks a free one) keeping its data in {@code dataDir}. */
    public static EmbeddedZooKeeper start(int port, Path dataDir) throws IOException, InterruptedException {
        return start(port, dataDir, false);
    }

    private static EmbeddedZooKeeper start(int port, Path dataDir, boolean deleteDataDir)
            throws IOException, InterruptedException {
        Files.createDirectories(dataDir);
        // Binds the port first: if it is taken, nothing else has been opened yet.
        ServerCnxnFactory connections = ServerCnxnFactory.createFactory(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), port), MAX_CONNECTIONS_PER_ADDRESS);
        ZooKeeperServer server = null;
        try {
            server = new ZooKeeperServer(dataDir.toFile(), dataDir.toFile(), TICK_MILLIS);
            connections.startup(server);
        } catch (IOException | InterruptedException | RuntimeException e) {
            connections.shutdown();
            if (server != null) {
                server.shutdown();
            }
            throw e;
        }
        EmbeddedZooKeeper zooKeeper = new EmbeddedZooKeeper(server, connections, dataDir, deleteDataDir);
        logger.info("Embedded ZooKeeper listening on {} (data in {})", zooKeeper.connectString(), dataDir);
        return zooKeeper;
    }

    /**
     * Runs a standalone embedded ZooKeeper until killed, for local runs and benchmark scripts:
     * {@code java -cp gateway/target/presenter.jar io.presenter.ring.EmbeddedZooKeeper [port] [dataDir]}
     * (default port 2181, data in a temporary directory deleted on exit).
     */
    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 2181;
        EmbeddedZooKeeper zooKeeper = args.length > 1 ? start(port, Path.of(args[1])) : start(port);
        Runtime.getRuntime().addShutdownHook(new Thread(zooKeeper::close, "zookeeper-stop"));
        Thread.currentThread().join();
    }

    /** The port clients connect to. */
    public int port() {
        return connections.getLocalPort();
    }

    /** {@code 127.0.0.1:<port>}, for {@link ZooKeeperConfig#of(String)}. */
    public String connectString() {
        return connections.getLocalAddress().getAddress().getHostAddress() + ':' + port();
    }

    /** Where the server keeps its snapshots and transaction log. */
    public Path dataDir() {
        return dataDir;
    }

    /** Stops the server, closing its port, and deletes its data directory if it made it. */
    @Override
    public void close() {
        connections.shutdown();
        server.shutdown();
        if (deleteDataDir) {
            try {
                Directories.deleteRecursively(dataDir);
            } catch (IOException e) {
                logger.warn("Cannot delete embedded ZooKeeper data in {}", dataDir, e);
            }
        }
        logger.info("Embedded ZooKeeper stopped");
    }
}
