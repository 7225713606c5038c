package io.presenter.gateway.client;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.OpenSslContextOption;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.presenter.protocol.transport.Transport;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The client side of the handshake-storm benchmark ({@code loadtest/bench/storm-goodput.sh}), in a
 * process of its own (the script pins it to a core the server does not use). Clients stop at the
 * TLS handshake: X25519 key share, no resumption, so what the server pays per client (its
 * certificate signature) is the cost that matters and one client core can offer several times what
 * one server core can sign.
 *
 * <p>Each client behaves like an app: one deadline for connect and handshake together
 * ({@code TIMEOUT_MS}; OkHttp's {@code connectTimeout}, 10 s by default, covers both the same way),
 * then, refused or timed out, it tries again after exponential backoff with full jitter (100 ms
 * doubling to 5 s, the {@code loadtest storm} defaults) until it has a session or the storm ends.
 * A session counts when its handshake completes at the client within its deadline.
 *
 * <pre>
 * StormClients PORT capacity SECONDS CONCURRENCY          # closed loop: prints handshakes_per_s
 * StormClients PORT storm RATE SECONDS TIMEOUT_MS         # new clients a second, plus their retries
 * </pre>
 * Both start with a 5 s closed-loop warm-up (JIT on both sides) that is not counted.
 */
public final class StormClients {

    private static final Duration BACKOFF_MIN = Duration.ofMillis(100);
    private static final Duration BACKOFF_MAX = Duration.ofSeconds(5);
    private static final int WARM_UP_SECONDS = 5;
    private static final int WARM_UP_CONCURRENCY = 16;
    /** Loopback source addresses the clients spread over, so ephemeral ports in TIME_WAIT do not run out. */
    private static final int SOURCE_ADDRESSES = 32;
    /** Clients connecting or handshaking at once, at most (the process's 20,000 files): beyond it an arrival is counted as not sent. */
    private static final int MAX_IN_FLIGHT = 16_000;
    private static final int MAX_SECONDS = 600;

    /** Sessions completed in this process, warm-up included: the server's signatures minus these were wasted. */
    private static final AtomicLong ALL_SESSIONS = new AtomicLong();

    private final InetSocketAddress server;
    private final SslContext tls;
    private final EventLoopGroup group;
    private final Transport transport = Transport.best();

    private StormClients(int port) throws Exception {
        server = new InetSocketAddress("127.0.0.1", port);
        tls = SslContextBuilder.forClient().sslProvider(SslProvider.OPENSSL)
                .option(OpenSslContextOption.GROUPS, new String[] {"X25519"})
                .trustManager(InsecureTrustManagerFactory.INSTANCE).build();
        group = transport.newGroup(Runtime.getRuntime().availableProcessors());
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 4 || !(args[1].equals("capacity") || args[1].equals("storm") && args.length == 5)) {
            System.err.println("usage: StormClients PORT capacity SECONDS CONCURRENCY | PORT storm RATE SECONDS TIMEOUT_MS");
            System.exit(2);
        }
        StormClients clients = new StormClients(Integer.parseInt(args[0]));
        try {
            clients.closedLoop(WARM_UP_SECONDS, WARM_UP_CONCURRENCY);
            if (args[1].equals("capacity")) {
                int seconds = Integer.parseInt(args[2]);
                long cpu = processCpuNanos();
                double rate = clients.closedLoop(seconds, Integer.parseInt(args[3]));
                System.out.printf("capacity handshakes_per_s=%.0f seconds=%d concurrency=%s client_cpu=%.0f%% all_sessions=%d%n",
                        rate, seconds, args[3], 100.0 * (processCpuNanos() - cpu) / 1e9 / seconds, ALL_SESSIONS.get());
            } else {
                clients.storm(Integer.parseInt(args[2]), Integer.parseInt(args[3]),
                        Duration.ofMillis(Long.parseLong(args[4])));
            }
        } finally {
            clients.group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** Completed handshakes a second with {@code concurrency} clients back to back. */
    private double closedLoop(int seconds, int concurrency) throws InterruptedException {
        Counts counts = new Counts(seconds);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        for (int i = 0; i < concurrency; i++) {
            new Client(group.next(), counts, end, Duration.ofSeconds(30), true).start();
        }
        Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
        double rate = counts.completed.get() / (double) seconds;
        awaitQuiet(counts, Duration.ofSeconds(30));
        return rate;
    }

    private void storm(int perSecond, int seconds, Duration timeout) throws InterruptedException {
        Counts counts = new Counts(seconds);
        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        EventLoop arrivalsLoop = group.next();
        AtomicLong due = new AtomicLong();
        long cpu = processCpuNanos();
        ScheduledFuture<?> arrivals = arrivalsLoop.scheduleAtFixedRate(() -> {
            long target = (System.nanoTime() - start) * perSecond / TimeUnit.SECONDS.toNanos(1);
            while (due.get() < target && System.nanoTime() < end) {
                due.incrementAndGet();
                counts.arrivals.incrementAndGet();
                if (counts.inFlight.get() >= MAX_IN_FLIGHT) {
                    counts.notSent.incrementAndGet();
                } else {
                    new Client(group.next(), counts, end, timeout, false).start();
                }
            }
        }, 0, 10, TimeUnit.MILLISECONDS);
        Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
        arrivals.cancel(false);
        double cpuShare = (processCpuNanos() - cpu) / 1e9 / seconds;
        long completed = counts.completed.get();
        awaitQuiet(counts, timeout.plusSeconds(2));
        long[] latencies = counts.latencies();
        long[] perSecondCompleted = new long[seconds];
        for (int i = 0; i < seconds; i++) {
            perSecondCompleted[i] = counts.completedAt.get(i);
        }
        System.out.printf("storm offered_per_s=%d seconds=%d timeout_ms=%d arrivals=%d attempts=%d completed=%d "
                        + "completed_per_s=%.0f refused=%d timeouts=%d other_failures=%d not_sent=%d "
                        + "clients_without_session=%d handshake_p50_ms=%d handshake_p99_ms=%d client_cpu=%.0f%% "
                        + "all_sessions=%d per_second=%s%n",
                perSecond, seconds, timeout.toMillis(), counts.arrivals.get(), counts.attempts.get(), completed,
                completed / (double) seconds, counts.refused.get(), counts.timeouts.get(), counts.failed.get(),
                counts.notSent.get(), counts.arrivals.get() - counts.notSent.get() - counts.sessions.get(),
                percentile(latencies, 0.50), percentile(latencies, 0.99), 100 * cpuShare, ALL_SESSIONS.get(),
                Arrays.toString(perSecondCompleted).replace(" ", ""));
    }

    /** Waits, bounded, until no attempt is in flight, so the next leg starts from a quiet server. */
    private static void awaitQuiet(Counts counts, Duration bound) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (counts.inFlight.get() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
    }

    private static long percentile(long[] sortedMillis, double q) {
        return sortedMillis.length == 0 ? -1 : sortedMillis[(int) Math.min(sortedMillis.length - 1,
                Math.floor(q * sortedMillis.length))];
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** What happened during one closed loop or storm; outcomes after its end are not counted. */
    private static final class Counts {
        private static final int MAX_LATENCIES = 1 << 20;
        final long startNanos = System.nanoTime();
        final long endNanos;
        final AtomicLong arrivals = new AtomicLong();
        final AtomicLong attempts = new AtomicLong();
        final AtomicLong completed = new AtomicLong();
        final AtomicLong sessions = new AtomicLong();
        final AtomicLong refused = new AtomicLong();
        final AtomicLong timeouts = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final AtomicLong notSent = new AtomicLong();
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicLongArray completedAt;
        private final long[] latencyMillis = new long[MAX_LATENCIES];
        private final AtomicInteger latencyCount = new AtomicInteger();

        Counts(int seconds) {
            endNanos = startNanos + TimeUnit.SECONDS.toNanos(seconds);
            completedAt = new AtomicLongArray(Math.min(seconds, MAX_SECONDS));
        }

        boolean during(long nanos) {
            return nanos < endNanos;
        }

        void completed(long now, long tookNanos) {
            completed.incrementAndGet();
            int second = (int) ((now - startNanos) / TimeUnit.SECONDS.toNanos(1));
            if (second < completedAt.length()) {
                completedAt.incrementAndGet(second);
            }
            int i = latencyCount.getAndIncrement();
            if (i < MAX_LATENCIES) {
                latencyMillis[i] = TimeUnit.NANOSECONDS.toMillis(tookNanos);
            }
        }

        long[] latencies() {
            long[] copy = Arrays.copyOf(latencyMillis, Math.min(latencyCount.get(), MAX_LATENCIES));
            Arrays.sort(copy);
            return copy;
        }
    }

    /** One app: connects and handshakes within its deadline; on failure tries again after a pause, until the end. */
    private final class Client {
        private final EventLoop loop;
        private final Counts counts;
        private final long endNanos;
        private final Duration timeout;
        private final boolean closedLoop;
        private int failures;

        Client(EventLoop loop, Counts counts, long endNanos, Duration timeout, boolean closedLoop) {
            this.loop = loop;
            this.counts = counts;
            this.endNanos = endNanos;
            this.timeout = timeout;
            this.closedLoop = closedLoop;
        }

        void start() {
            if (!loop.inEventLoop()) {
                loop.execute(this::start);  // an attempt lives on its loop: no races on its state
                return;
            }
            if (System.nanoTime() >= endNanos) {
                return;
            }
            counts.attempts.incrementAndGet();
            counts.inFlight.incrementAndGet();
            Attempt attempt = new Attempt(System.nanoTime());
            InetSocketAddress source = new InetSocketAddress("127.0.0."
                    + (2 + ThreadLocalRandom.current().nextInt(SOURCE_ADDRESSES)), 0);
            ChannelFuture connect = new Bootstrap().group(loop).channel(transport.channelClass())
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeout.toMillis())
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            SslHandler ssl = tls.newHandler(ch.alloc());
                            ssl.setHandshakeTimeoutMillis(0);  // the attempt's own deadline covers connect and handshake
                            ch.pipeline().addLast(ssl, attempt);
                        }
                    })
                    .connect(server, source);
            attempt.deadline = loop.schedule(() -> {
                if (attempt.end(Outcome.TIMEOUT)) {
                    connect.channel().close();
                }
            }, timeout.toNanos(), TimeUnit.NANOSECONDS);
            connect.addListener(done -> {
                if (!done.isSuccess()) {
                    attempt.end(Outcome.FAILED);
                }
            });
        }

        private enum Outcome { COMPLETED, REFUSED, TIMEOUT, FAILED }

        /** One connection: ends once, with the first outcome. */
        private final class Attempt extends ChannelInboundHandlerAdapter {
            private final long startNanos;
            private boolean ended;
            ScheduledFuture<?> deadline;

            Attempt(long startNanos) {
                this.startNanos = startNanos;
            }

            /** Records the outcome unless one was already; true if this call ended the attempt. */
            boolean end(Outcome outcome) {
                if (ended) {
                    return false;
                }
                ended = true;
                if (deadline != null) {
                    deadline.cancel(false);
                }
                counts.inFlight.decrementAndGet();
                long now = System.nanoTime();
                if (counts.during(now)) {
                    switch (outcome) {
                        case COMPLETED -> counts.completed(now, now - startNanos);
                        case REFUSED -> counts.refused.incrementAndGet();
                        case TIMEOUT -> counts.timeouts.incrementAndGet();
                        case FAILED -> counts.failed.incrementAndGet();
                    }
                }
                if (outcome == Outcome.COMPLETED) {
                    counts.sessions.incrementAndGet();
                    ALL_SESSIONS.incrementAndGet();
                    if (closedLoop) {
                        start();
                    }
                } else {
                    failures++;
                    long ceiling = Math.min(BACKOFF_MAX.toMillis(), BACKOFF_MIN.toMillis() << Math.min(failures, 20));
                    long pause = BACKOFF_MIN.toMillis() + ThreadLocalRandom.current().nextLong(ceiling - BACKOFF_MIN.toMillis() + 1);
                    loop.schedule(Client.this::start, closedLoop ? 0 : pause, TimeUnit.MILLISECONDS);
                }
                return true;
            }

            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
                if (event instanceof SslHandshakeCompletionEvent handshake) {
                    end(handshake.isSuccess() ? Outcome.COMPLETED : Outcome.REFUSED);
                    ctx.close();
                }
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ReferenceCountUtil.release(msg);
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                end(Outcome.REFUSED);  // closed by the server before the handshake finished
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close();
            }
        }
    }
}
