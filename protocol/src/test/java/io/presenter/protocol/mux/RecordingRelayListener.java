package io.presenter.protocol.mux;

import io.netty.buffer.ByteBuf;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A relay stream's listener that records what the stream tells, in order: "read:text",
 * "read-complete", "writable:true|false", "input-ended", "closed", and the handover, reset and
 * goaway events themselves. Bytes read are released. Tests extend it to act on an event as well.
 */
class RecordingRelayListener implements RelayStreamListener {

    final List<Object> events;

    RecordingRelayListener() {
        this(new CopyOnWriteArrayList<>());
    }

    /** @param events where to record (a test's own list) */
    RecordingRelayListener(List<Object> events) {
        this.events = events;
    }

    @Override
    public void streamRead(RelayStream from, ByteBuf data) {
        events.add("read:" + MuxOpenedStreamChannelTest.text(data));
        data.release();
    }

    @Override
    public void streamReadComplete(RelayStream from) {
        events.add("read-complete");
    }

    @Override
    public void streamWritabilityChanged(RelayStream from) {
        events.add("writable:" + from.isWritable());
    }

    @Override
    public void streamHandedOver(RelayStream from, MuxHandoverEvent handover) {
        events.add(handover);
    }

    @Override
    public void streamReset(RelayStream from, MuxStreamResetEvent reset) {
        events.add(reset);
    }

    @Override
    public void streamInputEnded(RelayStream from) {
        events.add("input-ended");
    }

    @Override
    public void streamClosed(RelayStream from) {
        events.add("closed");
    }

    @Override
    public void streamGoAway(RelayStream from, MuxGoAwayEvent goAway) {
        events.add(goAway);
    }
}
