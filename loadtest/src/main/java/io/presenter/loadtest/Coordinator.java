package io.presenter.loadtest;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code --workers K}: runs a scenario in K worker JVMs (the hidden {@code worker} command of the
 * same jar) and merges their results. Worker k gets its share of connections and rates (split in
 * whole couples), a disjoint couple range, and its own source addresses; it prints one progress
 * line per second on stdout ({@link #PROGRESS_PREFIX} + JSON), which the coordinator sums into its
 * own one-line-per-second progress and timeline. Workers still alive after the scenario's bound
 * (plus slack) are killed and count as failed.
 */
final class Coordinator {

    static final String PROGRESS_PREFIX = "@progress ";

    /** Options the coordinator sets per worker (or keeps for itself). */
    private static final Set<String> OWN = Set.of("--workers", "--worker-jvm-option", "--worker-deadline", "--out", "--html",
            "--source-addresses", "--connections", "--couple-offset", "--warmup-connections", "--quiet");
    /** Rates split in proportion to each worker's share of connections. */
    private static final Set<String> SPLIT_RATES = Set.of("--connect-rate", "--rate", "--churn-rate");
    /** Report parameters the coordinator overrides with its totals. */
    private static final Set<String> TOTAL_PARAMETERS = Set.of("connections", "couples", "connect_rate_per_s",
            "rate_per_s", "churn_rate_per_s", "messages_planned", "warmup_connections");

    private final Scenario scenario;

    Coordinator(Scenario scenario) {
        this.scenario = scenario;
    }

    private static final class Worker {
        final int index;
        final int first;
        final int connections;
        final String sources;
        final Path out;
        final Path log;
        Process process;
        volatile Map<String, Object> progress = Map.of();
        boolean killed;

        Worker(int index, int first, int connections, String sources, Path out, Path log) {
            this.index = index;
            this.first = first;
            this.connections = connections;
            this.sources = sources;
            this.out = out;
            this.log = log;
        }
    }

    int run() throws Exception {
        int k = scenario.options.workers;
        List<InetAddress> sources = Connector.parseSources(scenario.options.sourceAddresses);
        Path dir = Files.createTempDirectory("loadtest-workers");
        List<Worker> workers = new ArrayList<>();
        // Whole couples per worker, so both members of a couple live in one process.
        int couples = scenario.options.connections / 2;
        int odd = scenario.options.connections % 2;
        int first = 0;
        for (int i = 0; i < k; i++) {
            int share = 2 * (couples / k + (i < couples % k ? 1 : 0)) + (i == k - 1 ? odd : 0);
            StringBuilder src = new StringBuilder();
            for (int s = i; s < sources.size(); s += k) {
                src.append(src.length() == 0 ? "" : ",").append(sources.get(s).getHostAddress());
            }
            if (src.length() == 0 && !sources.isEmpty()) {
                src.append(sources.get(i % sources.size()).getHostAddress());
            }
            workers.add(new Worker(i, first, share, src.toString(), dir.resolve("worker-" + i + ".json"),
                    dir.resolve("worker-" + i + ".log")));
            first += share;
        }
        Duration bound = scenario.options.workerDeadline != null ? scenario.options.workerDeadline : scenario.bound().plusSeconds(30);
        long started = System.nanoTime();
        for (Worker w : workers) {
            List<String> cmd = command(w);
            w.process = new ProcessBuilder(cmd).redirectErrorStream(false)
                    .redirectError(w.log.toFile()).start();
            w.process.getOutputStream().close();
            Thread reader = new Thread(() -> readProgress(w), "loadtest-worker-" + w.index);
            reader.setDaemon(true);
            reader.start();
        }
        long[] last = {0, started};
        long deadline = started + bound.toNanos();
        while (true) {
            boolean alive = workers.stream().anyMatch(w -> w.process.isAlive());
            long now = System.nanoTime();
            if (!alive) {
                break;
            }
            if (now - deadline > 0) {
                for (Worker w : workers) {
                    if (w.process.isAlive()) {
                        w.killed = true;
                        w.process.destroy();
                    }
                }
                for (Worker w : workers) {
                    if (!w.process.waitFor(5, TimeUnit.SECONDS)) {
                        w.process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                    }
                }
                break;
            }
            // Wakes when the first worker exits or after a second, whichever comes first.
            workers.stream().filter(w -> w.process.isAlive()).findFirst().get().process.waitFor(
                    Math.max(1, 1000 - (now - last[1]) / 1_000_000), TimeUnit.MILLISECONDS);
            now = System.nanoTime();
            if (now - last[1] >= 1_000_000_000L) {
                tick(workers, started, last, now);
            }
        }
        tick(workers, started, last, System.nanoTime());

        List<Map<String, Object>> results = new ArrayList<>();
        List<Map<String, Object>> perWorker = new ArrayList<>();
        int code = 0;
        for (Worker w : workers) {
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("index", w.index);
            info.put("connections", w.connections);
            info.put("couple_offset", scenario.options.coupleOffset + w.first / 2);
            info.put("source_addresses", w.sources);
            info.put("killed", w.killed);
            int exit = w.process.isAlive() ? -1 : w.process.exitValue();
            info.put("process_exit", exit);
            if (Files.exists(w.out) && !w.killed) {
                Map<String, Object> r = ReportJson.readObject(Files.readString(w.out));
                results.add(r);
                info.put("exit_code", r.get("exit_code"));
                info.put("result", headline(r));
                code = Math.max(code, exit);
            } else {
                code = Math.max(code, Scenario.EXIT_FAILURES);
                info.put("log_tail", tail(w.log));
                scenario.error(w.killed ? "worker_killed" : "worker_failed");
            }
            perWorker.add(info);
        }
        Map<String, Object> merged = results.isEmpty() ? new LinkedHashMap<>() : ResultMerger.merge(results);
        if (merged.get("parameters") instanceof Map<?, ?> p) {
            @SuppressWarnings("unchecked")
            Map<String, Object> params = new LinkedHashMap<>((Map<String, Object>) p);
            for (String key : TOTAL_PARAMETERS) {
                if (params.containsKey(key)) {
                    Object total = null;
                    for (Map<String, Object> r : results) {
                        Object v = ((Map<?, ?>) r.get("parameters")).get(key);
                        total = total == null ? v : ResultMerger.merge(List.of(Map.of("x", total), Map.of("x", v))).get("x");
                    }
                    params.put(key, total);
                }
            }
            params.put("source_addresses", scenario.options.sourceAddresses);
            params.put("workers", k);
            merged.put("parameters", params);
        }
        merged.putIfAbsent("scenario", scenario.name());
        merged.putIfAbsent("target", scenario.options.target);
        Map<String, Long> errors = new java.util.TreeMap<>();
        if (merged.get("errors") instanceof Map<?, ?> e) {
            e.forEach((key, v) -> errors.put(String.valueOf(key), ((Number) v).longValue()));
        }
        scenario.errorsByReason().forEach((key, v) -> errors.merge(key, v, Long::sum));
        merged.put("errors", errors);
        merged.put("workers", perWorker);
        merged.put("timeline", scenario.timeline.toMap());
        merged.put("exit_code", code);
        scenario.report = merged;
        return code;
    }

    /** Sums the workers' latest progress into one terminal line and one timeline point. */
    private void tick(List<Worker> workers, long started, long[] last, long now) {
        long conns = 0;
        long ops = 0;
        long errors = 0;
        int running = 0;
        Set<String> phases = new java.util.TreeSet<>();
        for (Worker w : workers) {
            Map<String, Object> p = w.progress;
            conns += num(p.get("connections"));
            ops += num(p.get("operations"));
            errors += num(p.get("errors"));
            if (w.process.isAlive()) {
                running++;
            }
            if (p.get("phase") != null) {
                phases.add(String.valueOf(p.get("phase")));
            }
        }
        double t = (now - started) / 1e9;
        double rate = (ops - last[0]) / Math.max(1e-3, (now - last[1]) / 1e9);
        last[0] = ops;
        last[1] = now;
        scenario.timeline.add(t, conns, rate, errors);
        if (!scenario.options.quiet) {
            scenario.progressOut.printf("[%5.1fs] workers %d/%d running %s conns=%d rate=%.0f/s errors=%d%n", t,
                    running, workers.size(), phases, conns, rate, errors);
        }
    }

    private static long num(Object o) {
        return o instanceof Number n ? n.longValue() : 0;
    }

    private void readProgress(Worker w) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(w.process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith(PROGRESS_PREFIX)) {
                    try {
                        w.progress = ReportJson.readObject(line.substring(PROGRESS_PREFIX.length()));
                    } catch (JsonProcessingException e) {
                        // a torn line: keep the previous progress
                    }
                }
            }
        } catch (IOException e) {
            // the worker went away; its exit status tells
        }
    }

    /** java [jvm options] -cp <this classpath> LoadTestCommand worker --index k <scenario> <options>. */
    private List<String> command(Worker w) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(scenario.options.workerJvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(LoadTestCommand.class.getName());
        cmd.add("worker");
        cmd.add("--index");
        cmd.add(Integer.toString(w.index));
        cmd.add(scenario.name());
        double share = (double) w.connections / scenario.options.connections;
        for (OptionSpec o : scenario.spec.options()) {
            String name = o.longestName();
            if (o.usageHelp() || o.versionHelp() || OWN.contains(name)) {
                continue;
            }
            Object v = o.getValue();
            if (v == null) {
                continue;
            }
            if (v instanceof Boolean b && o.arity().max() == 0) {
                if (b) {
                    cmd.add(name);
                }
                continue;
            }
            if (SPLIT_RATES.contains(name) && v instanceof Number n) {
                v = n.doubleValue() * share;
            }
            if (v instanceof Collection<?> c) {
                if (c.isEmpty()) {
                    continue;
                }
                v = String.join(",", c.stream().map(String::valueOf).toList());
            }
            cmd.add(name);
            cmd.add(String.valueOf(v));
        }
        cmd.addAll(List.of("--connections", Integer.toString(w.connections),
                "--couple-offset", Long.toString(scenario.options.coupleOffset + w.first / 2),
                "--warmup-connections", Integer.toString((int) Math.round(scenario.options.warmupConnections * share)),
                "--out", w.out.toString()));
        if (!w.sources.isEmpty()) {
            cmd.addAll(List.of("--source-addresses", w.sources));
        }
        return cmd;
    }

    /** A few headline numbers of one worker's result, so the merged report shows each share. */
    private static Map<String, Object> headline(Map<String, Object> r) {
        Map<String, Object> h = new LinkedHashMap<>();
        for (String section : List.of("result", "connect", "storm", "soak", "messages")) {
            if (r.get(section) instanceof Map<?, ?> m) {
                for (String key : List.of("succeeded", "failed", "dropped", "back", "sent", "delivered", "lost",
                        "undelivered")) {
                    if (m.containsKey(key)) {
                        h.put(section + "." + key, m.get(key));
                    }
                }
            }
        }
        return h;
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }
}
