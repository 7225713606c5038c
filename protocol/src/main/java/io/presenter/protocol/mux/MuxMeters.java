package io.presenter.protocol.mux;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.presenter.protocol.wire.ResetCode;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link MuxStats} as Micrometer meters, shared by every connection built with the same settings.
 * Names are stable (dashboards depend on them); every meter is registered up front so counters
 * read 0 rather than being absent, and tags stay bounded (direction, reset code).
 */
public final class MuxMeters implements MuxStats {

    private final AtomicLong activeStreams = new AtomicLong();
    private final Counter opened;
    private final Counter refused;
    private final Counter framesRead;
    private final Counter framesWritten;
    private final Counter bytesRead;
    private final Counter bytesWritten;
    private final Counter windowStalls;
    private final Counter droppedAfterReset;
    private final Counter handoversSent;
    private final Counter handoversReceived;
    private final Counter handoversUnknownStream;
    private final Map<ResetCode, Counter> resetsSent = new EnumMap<>(ResetCode.class);
    private final Map<ResetCode, Counter> resetsReceived = new EnumMap<>(ResetCode.class);
    private final Map<ResetCode, Counter> connectionErrors = new EnumMap<>(ResetCode.class);

    public MuxMeters(MeterRegistry registry) {
        Gauge.builder("mux.streams.active", activeStreams, AtomicLong::get)
                .description("Streams open now, over all mux connections").register(registry);
        opened = Counter.builder("mux.streams.opened").register(registry);
        refused = Counter.builder("mux.streams.refused")
                .description("Opens refused: limits, drain, exhausted stream ids").register(registry);
        framesRead = frames(registry, "read");
        framesWritten = frames(registry, "written");
        bytesRead = bytes(registry, "read");
        bytesWritten = bytes(registry, "written");
        windowStalls = Counter.builder("mux.window.stalls")
                .description("Times a stream had data to send but no send window").register(registry);
        droppedAfterReset = Counter.builder("mux.dropped.after.reset").baseUnit("bytes")
                .description("Payload that arrived for an already reset stream").register(registry);
        handoversSent = handovers(registry, "sent");
        handoversReceived = handovers(registry, "received");
        handoversUnknownStream = handovers(registry, "unknown_stream");
        for (ResetCode code : ResetCode.values()) {
            resetsSent.put(code, resets(registry, "sent", code));
            resetsReceived.put(code, resets(registry, "received", code));
            connectionErrors.put(code, Counter.builder("mux.connection.errors").tag("code", tag(code))
                    .description("Connections this side ended with a goaway for an error").register(registry));
        }
    }

    private static Counter frames(MeterRegistry registry, String direction) {
        return Counter.builder("mux.frames").tag("direction", direction).register(registry);
    }

    private static Counter handovers(MeterRegistry registry, String direction) {
        return Counter.builder("mux.handovers").tag("direction", direction)
                .description("Streams ended with a session handover; unknown_stream: dropped, naming no stream")
                .register(registry);
    }

    private static Counter bytes(MeterRegistry registry, String direction) {
        return Counter.builder("mux.payload").tag("direction", direction).baseUnit("bytes")
                .description("Data-frame payload bytes").register(registry);
    }

    private static Counter resets(MeterRegistry registry, String direction, ResetCode code) {
        return Counter.builder("mux.resets").tag("direction", direction).tag("code", tag(code))
                .description("Stream resets by reason").register(registry);
    }

    private static String tag(ResetCode code) {
        return code.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public void streamOpened() {
        opened.increment();
        activeStreams.incrementAndGet();
    }

    @Override
    public void streamClosed() {
        activeStreams.decrementAndGet();
    }

    @Override
    public void streamRefused() {
        refused.increment();
    }

    @Override
    public void resetSent(ResetCode code) {
        resetsSent.get(code).increment();
    }

    @Override
    public void resetReceived(ResetCode code) {
        resetsReceived.get(code).increment();
    }

    @Override
    public void frameRead(int payloadBytes) {
        framesRead.increment();
        bytesRead.increment(payloadBytes);
    }

    @Override
    public void frameWritten(int payloadBytes) {
        framesWritten.increment();
        bytesWritten.increment(payloadBytes);
    }

    @Override
    public void windowStalled() {
        windowStalls.increment();
    }

    @Override
    public void droppedAfterReset(int bytes) {
        droppedAfterReset.increment(bytes);
    }

    @Override
    public void connectionError(ResetCode code) {
        connectionErrors.get(code).increment();
    }

    @Override
    public void handoverSent() {
        handoversSent.increment();
    }

    @Override
    public void handoverReceived() {
        handoversReceived.increment();
    }

    @Override
    public void handoverForUnknownStream() {
        handoversUnknownStream.increment();
    }
}
