package io.presenter.gateway.scale;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.Future;
import io.presenter.gateway.backend.BackendPool;
import io.presenter.gateway.backend.BackendTls;
import io.presenter.gateway.backend.ConnectBackoff;
import io.presenter.protocol.mux.MuxConnection;
import io.presenter.protocol.mux.MuxSettings;
import io.presenter.protocol.mux.RelayStream;
import io.presenter.protocol.mux.StreamMetadata;
import io.presenter.protocol.transport.Transport;
import io.presenter.ring.RingMember;
import io.presenter.testing.IdleRelayListener;
import io.presenter.testing.TestTls;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16 at full size: 50,000 concurrent streams through one presenter's backend pool to one
 * chat server, with the defaults (10,000 streams per connection, 2 event loops), so the pool must
 * grow past one connection per loop. The streams are opened in-process (no client sockets); the
 * chat server runs in a child JVM so that each side's live heap can be measured on its own (a
 * class histogram forces a full GC and totals the live objects). Prints memory per idle stream on
 * each side; BENCHMARKS.md has the figures. Too heavy for {@code mvn verify}: profile
 * {@code scale} (command in gateway/pom.xml); {@code StreamCeilingTest} is the small version.
 */
@EnabledIfSystemProperty(named = "presenter.scale", matches = "true")
class FiftyThousandStreamsTest {

    private static final int STREAMS = 50_000;
    private static final int LOOPS = 2;
    /** An IP literal: no name lookup. */
    private static final String CLIENT_HOST = "203.0.113.7";
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final Pattern HISTOGRAM_TOTAL = Pattern.compile("(?m)^Total\\s+(\\d+)\\s+(\\d+)\\s*$");

    @TempDir
    Path dir;


    @Test
    void fiftyThousandIdleStreamsThroughOnePresenterToOneChatServer() throws Exception {
        int muxPort = freePort();
        int directPort = freePort();
        Path tokens = dir.resolve("tokens.keys");
        Files.writeString(tokens, "k1 = MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n");
        Process chat = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms1g", "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                "io.presenter.chat.server.ChatServerCommand", "--id", "chat-1",
                "--cert", TestTls.certificatePem().toString(), "--key", TestTls.privateKeyPem().toString(),
                "--token-keys", tokens.toString(), "--direct-port", Integer.toString(directPort),
                "--mux-port", Integer.toString(muxPort), "--event-loops", Integer.toString(LOOPS),
                "--max-sessions", "200000")
                .redirectErrorStream(true).redirectOutput(dir.resolve("chat.log").toFile()).start();
        Transport transport = Transport.best();
        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(LOOPS, transport.ioHandlerFactory());
        BackendPool pool = new BackendPool(transport, MuxSettings.builder().peerId("scale-test").build(), 1,
                BackendPool.DEFAULT_MAX_CONNECTIONS_PER_LOOP, Duration.ofSeconds(5),
                new ConnectBackoff(Duration.ofMillis(100), Duration.ofSeconds(1)), BackendTls.PLAINTEXT,
                new SimpleMeterRegistry());
        try {
            awaitPort(muxPort);
            RingMember member = RingMember.active("chat-1", "127.0.0.1", muxPort, directPort);
            List<EventLoop> eventLoops = new ArrayList<>();
            loops.forEach(e -> eventLoops.add((EventLoop) e));
            // The base connections, and a first round trip, before the baseline.
            closeAll(open(pool, member, eventLoops, 2 * LOOPS, new HashSet<>()));
            Histogram presenterBefore = Histogram.of(ProcessHandle.current().pid());
            Histogram chatBefore = Histogram.of(chat.pid());

            long start = System.nanoTime();
            Set<MuxConnection> connections = new HashSet<>();
            List<RelayStream> streams = open(pool, member, eventLoops, STREAMS, connections);
            long openMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(streams).hasSize(STREAMS).allMatch(RelayStream::isOpen);
            assertThat(connections.stream().mapToInt(MuxConnection::activeStreams).sum()).isEqualTo(STREAMS);
            assertThat(connections).as("25,000 streams per loop at 10,000 per connection").hasSize(3 * LOOPS);
            assertThat(connections).allMatch(c -> c.activeStreams() <= c.maxConcurrentStreams());

            Histogram presenterAfter = Histogram.of(ProcessHandle.current().pid());
            Histogram chatAfter = Histogram.of(chat.pid());
            String report = String.format("%d streams opened in %d ms over %d connections;"
                    + " live heap per idle stream: presenter %.0f B, chat server %.0f B%n", STREAMS, openMillis,
                    connections.size(), (presenterAfter.total() - presenterBefore.total()) / (double) STREAMS,
                    (chatAfter.total() - chatBefore.total()) / (double) STREAMS);
            System.out.print(report);
            Files.writeString(Path.of("target", "fifty-thousand-streams.txt"), report
                    + "\npresenter side, per stream:\n" + presenterAfter.perStreamGrowthSince(presenterBefore, STREAMS)
                    + "\nchat-server side, per stream:\n" + chatAfter.perStreamGrowthSince(chatBefore, STREAMS));
            assertThat(chat.isAlive()).isTrue();
            // Issue 16's targets: at most 1 KiB a stream on the chat server, at most 300 bytes on
            // the presenter (its side of a stream is a RelayStream, not a Channel; BENCHMARKS.md).
            assertThat((chatAfter.total() - chatBefore.total()) / STREAMS).as("chat-server bytes per idle stream")
                    .isLessThanOrEqualTo(1024);
            assertThat((presenterAfter.total() - presenterBefore.total()) / STREAMS)
                    .as("presenter bytes per idle stream").isLessThanOrEqualTo(300);
            closeAll(streams);
        } finally {
            pool.close();
            loops.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
            chat.destroy();
            chat.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /**
     * Opens {@code count} streams spread over the loops, each acquire on its loop like a client's,
     * as the relay does (a {@link RelayStream} with one shared listener standing for the relays);
     * adds the connections they went on to {@code connections}.
     */
    private static List<RelayStream> open(BackendPool pool, RingMember member, List<EventLoop> loops, int count,
            Set<MuxConnection> connections) throws Exception {
        List<Future<RelayStream>> opening = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            EventLoop loop = loops.get(i % loops.size());
            // A client address as the relay sends one: each side holds it per stream (~64 bytes).
            InetSocketAddress client = new InetSocketAddress(CLIENT_HOST, 1024 + i % 60_000);
            StreamMetadata metadata = StreamMetadata.of(1_000_000 + i, 0, client, "scale-test");
            Future<MuxConnection> acquired = loop.submit(() -> pool.acquire(loop, member)).get().await();
            assertThat(acquired.cause()).as("acquire %d", i).isNull();
            connections.add(acquired.getNow());
            opening.add(acquired.getNow().openRelayStream(metadata, IdleRelayListener.INSTANCE));
        }
        List<RelayStream> open = new ArrayList<>(count);
        for (Future<RelayStream> future : opening) {
            assertThat(future.await(WAIT.toMillis())).as("opened within %s", WAIT).isTrue();
            assertThat(future.cause()).isNull();
            open.add(future.getNow());
        }
        return open;
    }

    private static void closeAll(List<RelayStream> streams) {
        streams.forEach(s -> s.eventLoop().submit(s::close).syncUninterruptibly());
    }

    /**
     * A process's live heap by class: {@code jcmd PID GC.class_histogram} runs a full GC and
     * totals what is left. The growth by class is where the bytes per stream go.
     */
    private record Histogram(long total, Map<String, long[]> byClass) {

        private static final Pattern ROW = Pattern.compile("(?m)^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+)");

        static Histogram of(long pid) throws IOException, InterruptedException {
            Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    Long.toString(pid), "GC.class_histogram").redirectErrorStream(true).start();
            String out = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(jcmd.waitFor(120, TimeUnit.SECONDS)).isTrue();
            Matcher total = HISTOGRAM_TOTAL.matcher(out);
            assertThat(total.find()).as("histogram of %d: %s", pid, out.lines().limit(5).toList()).isTrue();
            Map<String, long[]> byClass = new HashMap<>();
            for (Matcher row = ROW.matcher(out); row.find(); ) {
                byClass.merge(row.group(3), new long[] {Long.parseLong(row.group(1)), Long.parseLong(row.group(2))},
                        (a, b) -> new long[] {a[0] + b[0], a[1] + b[1]});
            }
            return new Histogram(Long.parseLong(total.group(2)), byClass);
        }

        /** Classes whose live bytes grew by at least 4 bytes per stream, largest first. */
        String perStreamGrowthSince(Histogram before, int streams) {
            StringBuilder table = new StringBuilder();
            byClass.entrySet().stream()
                    .map(e -> {
                        long[] was = before.byClass.getOrDefault(e.getKey(), new long[2]);
                        return Map.entry(e.getKey(), new long[] {e.getValue()[0] - was[0], e.getValue()[1] - was[1]});
                    })
                    .filter(e -> e.getValue()[1] >= 4L * streams)
                    .sorted(Comparator.comparingLong((Map.Entry<String, long[]> e) -> -e.getValue()[1]))
                    .forEach(e -> table.append(String.format("%8.2f objects %7.1f B  %s%n",
                            e.getValue()[0] / (double) streams, e.getValue()[1] / (double) streams, e.getKey())));
            return table.toString();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void awaitPort(int port) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            try (Socket ignored = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(100);  // polling a child process's port: no event to wait on
            }
        }
        throw new AssertionError("chat server not listening on " + port + " within " + WAIT);
    }
}
