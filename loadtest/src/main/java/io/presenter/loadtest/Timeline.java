package io.presenter.loadtest;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The per-second series behind the progress line and the HTML report's time plots. */
final class Timeline {
    private final List<Double> seconds = new ArrayList<>();
    private final List<Long> connections = new ArrayList<>();
    private final List<Double> rate = new ArrayList<>();
    private final List<Long> errors = new ArrayList<>();

    synchronized void add(double t, long conns, double perSecond, long errs) {
        seconds.add(Math.round(t * 10) / 10.0);
        connections.add(conns);
        rate.add(Math.round(perSecond * 10) / 10.0);
        errors.add(errs);
    }

    synchronized Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("t_s", new ArrayList<>(seconds));
        m.put("connections", new ArrayList<>(connections));
        m.put("rate_per_s", new ArrayList<>(rate));
        m.put("errors", new ArrayList<>(errors));
        return m;
    }
}
