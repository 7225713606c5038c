package io.presenter.protocol.mux;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOutboundBuffer;
import io.presenter.protocol.codec.DataFrame;

/**
 * The send half of a stream: turns the flushed messages of the stream channel's outbound buffer
 * into data frames within the peer's credit, and completes each message only when the connection
 * has written its last byte (linkerd#730). Until then a message stays in the buffer, counting
 * against the stream's water marks, while the messages behind it may already be sent.
 */
final class StreamSender extends SendCredit {

    /** The session and the stream id are the stream's: not copied here, 8 bytes a stream. */
    private final MuxStream stream;
    /** Inside {@code forEachFlushedMessage}: the outbound buffer must not change. */
    private boolean sending;
    private boolean wrote;
    /** Flushed messages, at the head of the buffer, whose last byte the parent is writing. */
    private int messagesInFlight;
    private int messagesToSkip;
    /** Empty messages passed since the last message sent; they complete along with it. */
    private int emptyMessages;
    /** The parent write carrying the last byte of the newest message in flight. */
    private ChannelFuture lastWrite;

    StreamSender(MuxStream stream, int initialWindow) {
        super(initialWindow);
        this.stream = stream;
    }

    /** Sends what credit and the parent's writability allow of the flushed messages. */
    void send(ChannelOutboundBuffer in) throws Exception {
        do {
            sending = true;
            wrote = false;
            messagesToSkip = messagesInFlight;
            try {
                in.forEachFlushedMessage(this::send);
            } finally {
                sending = false;
            }
            completeEmptyMessages(in);
            if (wrote) {
                // May complete writes at once, and the pipeline may then flush more; the
                // channel's flush is busy (it called us), so this loop picks those messages up.
                stream.session().flushData();
            }
        } while (wrote && in.size() > messagesInFlight);
    }

    /** Sends what credit allows of one flushed message; false stops at one not fully sent. */
    private boolean send(Object msg) {
        if (messagesToSkip > 0) {
            messagesToSkip--; // its last byte is already with the parent
            return true;
        }
        ByteBuf buf = (ByteBuf) msg;
        MuxSession session = stream.session();
        if (!buf.isReadable()) {
            emptyMessages++;
            return true;
        }
        while (buf.isReadable()) {
            int chunk = takeChunk(session, buf.readableBytes());
            if (chunk == 0) {
                return false;
            }
            ChannelFuture written = session.writeData(new DataFrame(stream.streamId(), buf.readRetainedSlice(chunk)));
            wrote = true;
            if (buf.isReadable()) {
                written.addListener(new Written(0));
            } else {
                inFlight(written, emptyMessages + 1);
                emptyMessages = 0;
            }
        }
        return true;
    }

    /** Empty messages met last: done now if nothing is ahead of them, else with the write ahead. */
    private void completeEmptyMessages(ChannelOutboundBuffer in) {
        if (emptyMessages > 0 && messagesInFlight == 0) {
            for (; emptyMessages > 0; emptyMessages--) {
                in.remove();
            }
        } else if (emptyMessages > 0) {
            inFlight(lastWrite, emptyMessages);
            emptyMessages = 0;
        }
    }

    private void inFlight(ChannelFuture write, int messages) {
        messagesInFlight += messages;
        lastWrite = write;
        write.addListener(new Written(messages));
    }

    /** Completes the messages whose last byte a parent write carried (none for a middle chunk). */
    private final class Written implements ChannelFutureListener {
        private final int messages;

        Written(int messages) {
            this.messages = messages;
        }

        @Override
        public void operationComplete(ChannelFuture future) {
            if (sending) {
                // Failed inside forEachFlushedMessage: do not touch the buffer while it iterates.
                stream.eventLoop().execute(() -> operationComplete(future));
                return;
            }
            messagesInFlight -= messages;
            stream.messagesWritten(messages, future);
        }
    }
}
