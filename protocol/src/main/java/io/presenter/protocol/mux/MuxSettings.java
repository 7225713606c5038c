package io.presenter.protocol.mux;

import io.netty.channel.WriteBufferWaterMark;
import java.time.Duration;
import java.util.Objects;

/**
 * The limits one side of a mux connection holds its peer to, and its own local limits. The first
 * five travel in the {@code Settings} preface; the peer's values then bound what this side sends.
 *
 * @param initialStreamWindow bytes the peer may send on one stream before this side grants credit
 * @param initialConnectionWindow bytes the peer may send on the connection not yet attributed to a
 *     stream: credit returns as soon as bytes reach a stream's queue, which the stream window bounds
 * @param maxFramePayload largest data payload this side accepts in one frame
 * @param maxConcurrentStreams streams this side keeps open at once; more are refused
 * @param keepaliveInterval inbound silence after which this side pings; the same again without
 *     any inbound frame closes the connection
 * @param maxStreamId highest stream id this side opens before it rotates the connection
 * @param maxPendingOpens opens waiting for the preface or for a free stream slot; more are refused
 * @param streamWriteBufferWaterMark pending outbound bytes per stream that flip its writability
 * @param peerId this presenter's or chat server's id, sent to the peer for logs and metrics
 * @param stats receives the counters of every connection built with these settings
 * @param handover whether this side announces {@code FEATURE_HANDOVER}: a presenter that can
 *     carry a session to a couple's new owner, a chat server that can hand one over and take one
 *     in; used on a connection only when both sides announce it
 */
public record MuxSettings(
        int initialStreamWindow,
        int initialConnectionWindow,
        int maxFramePayload,
        int maxConcurrentStreams,
        Duration keepaliveInterval,
        int maxStreamId,
        int maxPendingOpens,
        WriteBufferWaterMark streamWriteBufferWaterMark,
        String peerId,
        MuxStats stats,
        boolean handover) {

    public static final int DEFAULT_STREAM_WINDOW = 64 * 1024;
    public static final int DEFAULT_CONNECTION_WINDOW = 1024 * 1024;
    public static final int DEFAULT_MAX_FRAME_PAYLOAD = 16 * 1024;
    /** Small enough for tests, large enough for any control frame (their texts are capped). */
    public static final int MIN_MAX_FRAME_PAYLOAD = 1024;
    public static final int DEFAULT_MAX_CONCURRENT_STREAMS = 10_000;
    public static final Duration DEFAULT_KEEPALIVE_INTERVAL = Duration.ofSeconds(30);
    public static final int DEFAULT_MAX_PENDING_OPENS = 1_000;
    /** Frame overhead beyond the data payload: length prefix, headers and trailer, rounded up. */
    public static final int FRAME_OVERHEAD = 64;

    public MuxSettings {
        requireAtLeast("initialStreamWindow", initialStreamWindow, 1024);
        requireAtLeast("maxFramePayload", maxFramePayload, MIN_MAX_FRAME_PAYLOAD);
        requireAtLeast("initialConnectionWindow", initialConnectionWindow, maxFramePayload);
        requireAtLeast("maxConcurrentStreams", maxConcurrentStreams, 1);
        requireAtLeast("maxStreamId", maxStreamId, 1);
        requireAtLeast("maxPendingOpens", maxPendingOpens, 0);
        Objects.requireNonNull(keepaliveInterval, "keepaliveInterval");
        if (keepaliveInterval.isNegative() || keepaliveInterval.isZero()
                || keepaliveInterval.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("keepaliveInterval " + keepaliveInterval);
        }
        Objects.requireNonNull(streamWriteBufferWaterMark, "streamWriteBufferWaterMark");
        Objects.requireNonNull(peerId, "peerId");
        Objects.requireNonNull(stats, "stats");
    }

    public static MuxSettings defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder seeded with these settings. */
    public Builder toBuilder() {
        return new Builder().initialStreamWindow(initialStreamWindow)
                .initialConnectionWindow(initialConnectionWindow).maxFramePayload(maxFramePayload)
                .maxConcurrentStreams(maxConcurrentStreams).keepaliveInterval(keepaliveInterval)
                .maxStreamId(maxStreamId).maxPendingOpens(maxPendingOpens)
                .streamWriteBufferWaterMark(streamWriteBufferWaterMark).peerId(peerId).stats(stats)
                .handover(handover);
    }

    /** Longest frame this side accepts on the wire: a full data frame plus its framing. */
    public int maxFrameLength() {
        return maxFramePayload + FRAME_OVERHEAD;
    }

    private static void requireAtLeast(String name, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(name + " " + value + " < " + min);
        }
    }

    /** Builder with safe defaults for every setting. */
    public static final class Builder {
        private int initialStreamWindow = DEFAULT_STREAM_WINDOW;
        private int initialConnectionWindow = DEFAULT_CONNECTION_WINDOW;
        private int maxFramePayload = DEFAULT_MAX_FRAME_PAYLOAD;
        private int maxConcurrentStreams = DEFAULT_MAX_CONCURRENT_STREAMS;
        private Duration keepaliveInterval = DEFAULT_KEEPALIVE_INTERVAL;
        private int maxStreamId = Integer.MAX_VALUE;
        private int maxPendingOpens = DEFAULT_MAX_PENDING_OPENS;
        private WriteBufferWaterMark streamWriteBufferWaterMark = new WriteBufferWaterMark(
                DEFAULT_STREAM_WINDOW / 2, DEFAULT_STREAM_WINDOW);
        private String peerId = "";
        private MuxStats stats = MuxStats.NOOP;
        private boolean handover;

        private Builder() {}

        public Builder initialStreamWindow(int bytes) {
            this.initialStreamWindow = bytes;
            return this;
        }

        public Builder initialConnectionWindow(int bytes) {
            this.initialConnectionWindow = bytes;
            return this;
        }

        public Builder maxFramePayload(int bytes) {
            this.maxFramePayload = bytes;
            return this;
        }

        public Builder maxConcurrentStreams(int streams) {
            this.maxConcurrentStreams = streams;
            return this;
        }

        public Builder keepaliveInterval(Duration interval) {
            this.keepaliveInterval = interval;
            return this;
        }

        public Builder maxStreamId(int id) {
            this.maxStreamId = id;
            return this;
        }

        public Builder maxPendingOpens(int opens) {
            this.maxPendingOpens = opens;
            return this;
        }

        public Builder streamWriteBufferWaterMark(WriteBufferWaterMark waterMark) {
            this.streamWriteBufferWaterMark = waterMark;
            return this;
        }

        public Builder peerId(String id) {
            this.peerId = id;
            return this;
        }

        public Builder stats(MuxStats stats) {
            this.stats = stats;
            return this;
        }

        public Builder handover(boolean enabled) {
            this.handover = enabled;
            return this;
        }

        public MuxSettings build() {
            return new MuxSettings(initialStreamWindow, initialConnectionWindow, maxFramePayload,
                    maxConcurrentStreams, keepaliveInterval, maxStreamId, maxPendingOpens,
                    streamWriteBufferWaterMark, peerId, stats, handover);
        }
    }
}
