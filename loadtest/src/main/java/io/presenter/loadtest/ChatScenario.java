package io.presenter.loadtest;

import io.presenter.protocol.process.DurationConverter;
import io.presenter.protocol.process.ManifestVersion;
import io.presenter.protocol.wire.ClientPacket;
import io.presenter.protocol.wire.Delivery;
import io.presenter.protocol.wire.SendMessage;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code chat}: N clients in couples send messages to their partners at a total rate, open loop.
 *
 * <p>Message m (0, 1, 2, ...) is due at {@code start + m / rate} and goes from client
 * {@code m mod senders}; the scheduler thread wakes at each intended time and sends everything
 * that is due, never waiting for replies. Each message carries the sender's per-client sequence as its client message id and its
 * <em>intended</em> send time; the receiver measures latency from that intended time, so a
 * stalled server or a late scheduler shows up as latency instead of silently lowering the offered
 * load (coordinated omission). The receiver checks every message from its partner arrives exactly
 * once and in order: duplicates, losses and reorders must all be 0.
 */
@Command(name = "chat", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = "Connect N clients in couples, send messages at a total rate (open loop) for a duration; "
                + "verify exactly-once in-order delivery to the partner, report throughput and latency.")
final class ChatScenario extends Scenario {

    @Option(names = "--rate", defaultValue = "1000", description = "Total messages per second over all clients (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--duration", defaultValue = "10s", converter = DurationConverter.class, description = "How long messages are sent (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = "--message-bytes", defaultValue = "64", description = "Body size of each message (default: ${DEFAULT-VALUE}).")
    int messageBytes;

    @Option(names = "--drain-timeout", defaultValue = "10s", converter = DurationConverter.class,
            description = "After the last send, how long to wait for outstanding deliveries (default: ${DEFAULT-VALUE}).")
    Duration drainTimeout;

    @Option(names = "--rebind-after", converter = DurationConverter.class,
            description = "With --transport quic: the clients reach the target through a NAT (a UDP relay in this "
                    + "process) that gives them a new source port this long after sending starts, as a phone's "
                    + "NAT rebinding does (all clients of one UDP socket move together). Reports the sessions kept "
                    + "(still open at the end) and lost (closed after the rebind). Must be less than --duration.")
    Duration rebindAfter;

    /** What one client sent and what it received from its partner. */
    private static final class ClientState {
        final AtomicLong sent = new AtomicLong();
        // Receiver side: touched only on the client's event loop, except the volatile summaries.
        final BitSet seen = new BitSet();
        long maxSeen = -1;
        long lastSequence;
        volatile long distinct;
    }

    private ClientState[] states;
    private Couples couples;
    private final LatencyRecorder latency = new LatencyRecorder();
    private final LatencyRecorder schedulerLag = new LatencyRecorder();
    private final LongAdder sent = new LongAdder();
    private final LongAdder delivered = new LongAdder();
    private final LongAdder duplicates = new LongAdder();
    private final LongAdder reordered = new LongAdder();
    private final LongAdder wrongSender = new LongAdder();
    private final LongAdder sequenceRegressions = new LongAdder();
    private final LongAdder acks = new LongAdder();
    private volatile Ramp ramp;
    /** Set once the NAT rebound: a session closed after it counts as lost to the rebinding. */
    private volatile boolean rebound;
    private final LongAdder lostAfterRebind = new LongAdder();
    
    private long lastProgressNanos = System.nanoTime();
    private long lastProgressDelivered;
    // Epoch micros of a nanoTime origin: all latencies come from one monotonic clock in this process.
    private final long originNanos = System.nanoTime();
    private final long originEpochMicros = Instant.now().toEpochMilli() * 1000;

    @Override
    String name() {
        return "chat";
    }

    private long epochMicros(long nanos) {
        return originEpochMicros + (nanos - originNanos) / 1000;
    }

    @Override
    Duration bound() {
        return options.connectBound().plus(duration.multipliedBy(2))
                .plus(drainTimeout).plusSeconds(10).plus(options.connectTimeout);
    }

    @Override
    String progress() {
        long now = System.nanoTime();
        long d = delivered.sum();
        double perSecond = (d - lastProgressDelivered) / ((now - lastProgressNanos) / 1e9);
        lastProgressNanos = now;
        lastProgressDelivered = d;
        Ramp r = ramp;
        return String.format("%s connected=%d/%d sent=%d delivered=%d (%.0f/s) dup=%d reorder=%d", phase,
                r == null ? 0 : r.succeeded.sum(), options.connections, sent.sum(), d, perSecond, duplicates.sum(),
                reordered.sum());
    }

    private final ClientConnection.Listener listener = new ClientConnection.Listener() {
        @Override
        public void delivered(ClientConnection to, Delivery d) {
            long now = System.nanoTime();
            ClientState s = states[to.index()];
            if (d.getFromUserId() != couples.userId(Couples.partnerIndex(to.index()))) {
                wrongSender.increment();
                return;
            }
            if (d.isSetSentAtMicros()) {
                latency.recordMicros(epochMicros(now) - d.getSentAtMicros());
            }
            delivered.increment();
            operations.increment();
            if (d.getSequence() <= s.lastSequence) {
                sequenceRegressions.increment();
            }
            s.lastSequence = Math.max(s.lastSequence, d.getSequence());
            long id = d.getClientMessageId();
            if (id < 0 || id > Integer.MAX_VALUE || s.seen.get((int) id)) {
                duplicates.increment();
                return;
            }
            s.seen.set((int) id);
            if (id != s.maxSeen + 1) {
                reordered.increment(); // a gap now is a reorder (or, if never filled, a loss counted at the end)
            }
            s.maxSeen = Math.max(s.maxSeen, id);
            s.distinct++;
        }

        @Override
        public void acked(ClientConnection from) {
            acks.increment();
        }

        @Override
        public void closedAfterAuth(ClientConnection c) {
            if (!"closing".equals(phase)) {
                error("closed_during_run");
                if (rebound) {
                    lostAfterRebind.increment();
                }
            }
        }
    };

    @Override
    void validate() {
        super.validate();
        if (options.connections < 2 || options.connections % 2 != 0) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--connections must be even and >= 2: clients chat in couples");
        }
        if (!(rate > 0) || duration.isNegative() || messageBytes < 0 || drainTimeout.isNegative()) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--rate must be > 0; --duration, --message-bytes, --drain-timeout >= 0");
        }
        if (rebindAfter != null && (options.transport != ScenarioOptions.Transport.quic || rebindAfter.isNegative()
                || rebindAfter.compareTo(duration) >= 0)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--rebind-after needs --transport quic and must be >= 0 and less than --duration");
        }
    }

    @Override
    boolean behindNat() {
        return rebindAfter != null;
    }

    @Override
    int run() throws Exception {
        long total = (long) Math.floor(rate * duration.toNanos() / 1e9);
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("connections", options.connections);
        params.put("couples", options.connections / 2);
        params.put("connect_rate_per_s", options.connectRate);
        params.put("rate_per_s", rate);
        params.put("duration_seconds", duration.toMillis() / 1000.0);
        params.put("message_bytes", messageBytes);
        params.put("messages_planned", total);
        params.put("signed_tokens", options.tokenKeys != null);
        params.put("source_addresses", options.sourceAddresses);
        params.put("warmup_connections", options.warmupConnections);
        report.put("parameters", params);

        states = new ClientState[options.connections];
        for (int i = 0; i < options.connections; i++) {
            states[i] = new ClientState();
        }
        couples = new Couples(options.coupleOffset);
        warmUp(couples);
        ProcessSampler.Sample beforeConnect = sample();
        phase = "connecting";
        Ramp r = ramp(options.connections, couples, listener);
        ramp = r;
        r.await();
        report.put("connect", r.toMap());
        // Only couples with both members online can chat: a message to an offline partner is not
        // delivered by design, and would read as a loss.
        List<ClientConnection> senders = new ArrayList<>();
        for (ClientConnection c : r.established()) {
            ClientConnection partner = r.clients.get(Couples.partnerIndex(c.index()));
            if (partner.established().isDone() && !partner.established().isCompletedExceptionally()) {
                senders.add(c);
            }
        }
        ProcessSampler.Sample beforeChat = sample();
        phase = "chatting";
        long sendStart = System.nanoTime();
        CompletableFuture<Map<String, Object>> rebinding = rebindAfter == null ? null
                : after(rebindAfter).thenApplyAsync(x -> rebind(), ForkJoinPool.commonPool());
        long lastSendNanos = sendChat(senders, total, sendStart);
        long sentTotal = sent.sum();
        phase = "draining";
        boolean drained = when(() -> delivered.sum() + wrongSender.sum() >= sentTotal, drainTimeout)
                .get(drainTimeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        long drainedAt = System.nanoTime();
        ProcessSampler.Sample afterChat = sample();
        Map<String, Object> migration = rebinding == null ? null
                : rebinding.get(rebindAfter.toMillis() + options.connectTimeout.toMillis() + 10_000, TimeUnit.MILLISECONDS);
        long keptAfterRebind = openConnections.get();
        phase = "closing";
        closeAll(r.clients);
        if (migration != null) {
            migration.put("kept", keptAfterRebind);
            migration.put("lost", lostAfterRebind.sum());
            report.put("migration", migration);
        }

        long lost = 0;
        for (ClientConnection c : senders) {
            long partnerSent = states[Couples.partnerIndex(c.index())].sent.get();
            lost += Math.max(0, partnerSent - states[c.index()].distinct);
        }
        Map<String, Object> msgs = new LinkedHashMap<>();
        msgs.put("sent", sentTotal);
        msgs.put("delivered", delivered.sum());
        msgs.put("acked", acks.sum());
        msgs.put("duplicates", duplicates.sum());
        msgs.put("lost", lost);
        msgs.put("reordered", reordered.sum());
        msgs.put("wrong_sender", wrongSender.sum());
        msgs.put("sequence_regressions", sequenceRegressions.sum());
        msgs.put("drained_within_timeout", drained);
        report.put("messages", msgs);
        Map<String, Object> tput = new LinkedHashMap<>();
        double sendSeconds = (lastSendNanos - sendStart) / 1e9;
        double runSeconds = (drainedAt - sendStart) / 1e9;
        tput.put("intended_rate_per_s", rate);
        tput.put("achieved_send_rate_per_s", sendSeconds > 0 ? Math.round(sentTotal / sendSeconds * 10) / 10.0 : 0.0);
        tput.put("delivered_per_s", runSeconds > 0 ? Math.round(delivered.sum() / runSeconds * 10) / 10.0 : 0.0);
        tput.put("senders", senders.size());
        report.put("throughput", tput);
        Map<String, Object> lat = new LinkedHashMap<>();
        lat.put("delivery_from_intended_send", latency.summary());
        lat.put("scheduler_lag", schedulerLag.summary());
        report.put("latency_us", lat);
        if (beforeConnect != null && beforeChat != null && afterChat != null) {
            Map<String, Object> server = new LinkedHashMap<>();
            server.put("pid", sampler.pid());
            server.put("connect", ProcessSampler.cost(beforeConnect, beforeChat, r.succeeded.sum(), "connections"));
            server.put("chat", ProcessSampler.cost(beforeChat, afterChat, sentTotal, "messages"));
            report.put("server", server);
        }
        boolean clean = r.failed.sum() == 0 && lost == 0 && duplicates.sum() == 0 && reordered.sum() == 0
                && wrongSender.sum() == 0 && sequenceRegressions.sum() == 0 && delivered.sum() == sentTotal
                && errorCount() == 0;
        return clean ? EXIT_OK : EXIT_FAILURES;
    }

    /** The NAT gives every client a new source port; what the report says about the sessions then. */
    private Map<String, Object> rebind() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rebind_after_seconds", rebindAfter.toMillis() / 1000.0);
        long open = openConnections.get();
        rebound = true;
        m.put("nat_mappings_moved", (long) connector.rebindNat());
        m.put("sessions_at_rebind", open);
        return m;
    }

    /** Fires the open-loop schedule; returns when the last message was handed to its connection. */
    private long sendChat(List<ClientConnection> senders, long total, long start) throws Exception {
        if (senders.isEmpty() || total == 0) {
            return start;
        }
        byte[] body = new byte[messageBytes];
        double nanosPerMessage = 1e9 / rate;
        AtomicLong next = new AtomicLong();
        AtomicLong lastSend = new AtomicLong(start);
        java.util.concurrent.CompletableFuture<Void> finished = new java.util.concurrent.CompletableFuture<>();
        // Each run sends everything due, then schedules itself for the next message's intended time:
        // at low rates every message leaves on time (no tick quantisation in the latency), at high
        // rates runs batch what fell due meanwhile. Nothing here waits for the server.
        Runnable[] tick = new Runnable[1];
        tick[0] = () -> {
          try {
            long now = System.nanoTime();
            long due = Math.min(total, (long) Math.floor((now - start) / nanosPerMessage) + 1);
            for (long m = next.get(); m < due; m++) {
                long intended = start + (long) (m * nanosPerMessage);
                ClientConnection from = senders.get((int) (m % senders.size()));
                ClientState s = states[from.index()];
                long id = s.sent.getAndIncrement();
                from.send(ClientPacket.send(new SendMessage(id, ByteBuffer.wrap(body))
                        .setSentAtMicros(epochMicros(intended))));
                sent.increment();
                schedulerLag.recordNanos(now - intended);
            }
            next.set(due);
            lastSend.set(now);
            if (due == total) {
                finished.complete(null);
            } else if (!finished.isDone()) {
                long nextIntended = start + (long) (due * nanosPerMessage);
                scheduler.schedule(tick[0], Math.max(0, nextIntended - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
          } catch (RuntimeException e) {
            finished.completeExceptionally(e);
          }
        };
        scheduler.execute(tick[0]);
        // Bounded: the schedule ends at `duration`; allow generous slack for a starved scheduler.
        try {
            finished.get(duration.toMillis() * 2 + 10_000, TimeUnit.MILLISECONDS);
        } finally {
            finished.complete(null); // stops the schedule if the bound was hit
        }
        return lastSend.get();
    }

    @Override
    @SuppressWarnings("unchecked")
    String summary() {
        StringBuilder s = new StringBuilder();
        Map<String, Object> conn = (Map<String, Object>) report.get("connect");
        Map<String, Object> msgs = (Map<String, Object>) report.get("messages");
        Map<String, Object> tput = (Map<String, Object>) report.get("throughput");
        Map<String, Object> lat = (Map<String, Object>) report.get("latency_us");
        s.append(String.format("chat %s: %d clients (%d couples), %.0f msg/s for %s, %d-byte bodies%n", options.target,
                options.connections, options.connections / 2, rate, duration, messageBytes));
        if (conn != null) {
            s.append(String.format("  connected %s, failed %s %s%n", conn.get("succeeded"), conn.get("failed"),
                    conn.get("failures")));
        }
        if (msgs != null) {
            s.append(String.format("  messages sent %s delivered %s | lost %s duplicates %s reordered %s wrong-sender %s%n",
                    msgs.get("sent"), msgs.get("delivered"), msgs.get("lost"), msgs.get("duplicates"),
                    msgs.get("reordered"), msgs.get("wrong_sender")));
            s.append(String.format("  throughput: send %s/s (intended %s/s), delivered %s/s%n",
                    tput.get("achieved_send_rate_per_s"), tput.get("intended_rate_per_s"), tput.get("delivered_per_s")));
            s.append("  latency (from intended send) ")
                    .append(fmt((Map<String, Object>) lat.get("delivery_from_intended_send"))).append('\n');
            s.append("  scheduler lag                ")
                    .append(fmt((Map<String, Object>) lat.get("scheduler_lag"))).append('\n');
        }
        Map<String, Object> migration = (Map<String, Object>) report.get("migration");
        if (migration != null) {
            s.append(String.format("  NAT rebinding after %s s (%s mappings moved): sessions %s, kept %s, lost %s%n",
                    migration.get("rebind_after_seconds"), migration.get("nat_mappings_moved"),
                    migration.get("sessions_at_rebind"), migration.get("kept"), migration.get("lost")));
        }
        Map<String, Object> server = (Map<String, Object>) report.get("server");
        if (server != null) {
            Map<String, Object> c = (Map<String, Object>) server.get("chat");
            s.append(String.format("  server pid %s: chat cpu %s µs (%s µs/message)%n", server.get("pid"),
                    c.get("cpu_us"), c.get("cpu_us_per_message")));
        }
        s.append("  exit code ").append(report.get("exit_code")).append('\n');
        return s.toString();
    }
}
