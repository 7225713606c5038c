package io.presenter.protocol.mux;

import io.presenter.protocol.wire.ResetCode;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** A thread-safe tally of {@link MuxStats}, shareable by all connections of a process. */
public final class MuxCounters implements MuxStats {

    public final LongAdder streamsOpened = new LongAdder();
    public final LongAdder streamsClosed = new LongAdder();
    public final LongAdder streamsRefused = new LongAdder();
    public final LongAdder framesRead = new LongAdder();
    public final LongAdder framesWritten = new LongAdder();
    public final LongAdder bytesRead = new LongAdder();
    public final LongAdder bytesWritten = new LongAdder();
    public final LongAdder windowStalls = new LongAdder();
    public final LongAdder bytesDroppedAfterReset = new LongAdder();
    private final Map<ResetCode, LongAdder> resetsSent = adders();
    private final Map<ResetCode, LongAdder> resetsReceived = adders();
    private final Map<ResetCode, LongAdder> connectionErrors = adders();

    public long resetsSent(ResetCode code) {
        return resetsSent.get(code).sum();
    }

    public long resetsReceived(ResetCode code) {
        return resetsReceived.get(code).sum();
    }

    public long connectionErrors(ResetCode code) {
        return connectionErrors.get(code).sum();
    }

    @Override
    public void streamOpened() {
        streamsOpened.increment();
    }

    @Override
    public void streamClosed() {
        streamsClosed.increment();
    }

    @Override
    public void streamRefused() {
        streamsRefused.increment();
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
    public void frameRead(int bytes) {
        framesRead.increment();
        bytesRead.add(bytes);
    }

    @Override
    public void frameWritten(int bytes) {
        framesWritten.increment();
        bytesWritten.add(bytes);
    }

    @Override
    public void windowStalled() {
        windowStalls.increment();
    }

    @Override
    public void droppedAfterReset(int bytes) {
        bytesDroppedAfterReset.add(bytes);
    }

    @Override
    public void connectionError(ResetCode code) {
        connectionErrors.get(code).increment();
    }

    private static Map<ResetCode, LongAdder> adders() {
        Map<ResetCode, LongAdder> map = new EnumMap<>(ResetCode.class);
        for (ResetCode code : ResetCode.values()) {
            map.put(code, new LongAdder());
        }
        return map;
    }
}
