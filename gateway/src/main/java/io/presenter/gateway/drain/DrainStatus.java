package io.presenter.gateway.drain;

import java.util.Locale;

/**
 * A drain's progress, as the admin endpoint shows it.
 *
 * @param phase where the drain is
 * @param connections client connections open now
 * @param secondsInPhase time since the phase began
 */
public record DrainStatus(DrainPhase phase, int connections, double secondsInPhase) {

    /** {@code {"phase":"DRAINING","connections":12,"secondsInPhase":4.2,"draining":true}} */
    public String toJson() {
        return String.format(Locale.ROOT, "{\"phase\":\"%s\",\"connections\":%d,\"secondsInPhase\":%.1f,\"draining\":%b}",
                phase, connections, secondsInPhase, phase != DrainPhase.SERVING);
    }
}
