package io.presenter.loadtest;

import io.presenter.ring.EmbeddedZooKeeper;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code loadtest zookeeper}: hidden; a single real ZooKeeper server on loopback (the project's
 * {@link EmbeddedZooKeeper}) for benchmark scripts on a machine without an ensemble. Runs until killed.
 */
@Command(name = "zookeeper", hidden = true, mixinStandardHelpOptions = true,
        description = "Run a single-node ZooKeeper on 127.0.0.1 until killed (benchmarks without an ensemble).")
final class ZooKeeperCommand implements Callable<Integer> {

    @Option(names = "--port", defaultValue = "2181", description = "Client port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--data-dir", required = true, description = "Data directory.")
    Path dataDir;

    @Override
    public Integer call() throws Exception {
        EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(port, dataDir);
        Runtime.getRuntime().addShutdownHook(new Thread(zk::close));
        System.out.println("zookeeper " + zk.connectString());
        new CountDownLatch(1).await();
        return 0;
    }
}
