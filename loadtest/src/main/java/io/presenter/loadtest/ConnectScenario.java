package io.presenter.loadtest;

import io.presenter.protocol.process.DurationConverter;
import io.presenter.protocol.process.ManifestVersion;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code connect}: the handshake-storm scenario. Ramps to N authenticated TLS connections at a
 * given rate, holds them, closes them; with {@code --waves} > 1 it does it again, so later waves
 * show what TLS session resumption buys when the same clients come back (what happens when a chat
 * server or presenter dies and its clients reconnect).
 */
@Command(name = "connect", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = "Ramp to N TLS connections at a rate, authenticate each, hold, close; report full vs "
                + "resumed handshakes, handshake/auth latency percentiles, failures by reason.")
final class ConnectScenario extends Scenario {

    @Option(names = "--hold", defaultValue = "5s", converter = DurationConverter.class,
            description = "How long all connections stay open (default: ${DEFAULT-VALUE}).")
    Duration hold;

    @Option(names = "--waves", defaultValue = "1",
            description = "Ramp/hold/close this many times; waves after the first can resume TLS sessions "
                    + "from the client's session cache (default: ${DEFAULT-VALUE}).")
    int waves;

    private volatile Ramp current;
    private volatile int wave;

    @Override
    String name() {
        return "connect";
    }

    @Override
    Duration bound() {
        return options.rampBound(options.warmupConnections)
                .plus(options.rampBound(options.connections).plus(hold).plus(options.connectTimeout).multipliedBy(waves));
    }

    @Override
    String progress() {
        Ramp r = current;
        if (r == null) {
            return "starting";
        }
        return String.format("wave %d/%d connected=%d/%d failed=%d", wave, waves,
                r.succeeded.sum(), options.connections, r.failed.sum());
    }

    @Override
    void validate() {
        super.validate();
        if (waves < 1 || hold.isNegative()) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--waves must be >= 1, --hold >= 0");
        }
    }

    @Override
    int run() throws Exception {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("connections", options.connections);
        params.put("connect_rate_per_s", options.connectRate);
        params.put("hold_seconds", hold.toMillis() / 1000.0);
        params.put("waves", waves);
        params.put("tls_protocols", options.tlsProtocols);
        params.put("resumption", options.resumption);
        params.put("nagle", options.nagle);
        params.put("warmup_connections", options.warmupConnections);
        params.put("source_addresses", options.sourceAddresses);
        params.put("signed_tokens", options.tokenKeys != null);
        report.put("parameters", params);
        Couples couples = new Couples(options.coupleOffset);
        warmUp(couples);
        List<Map<String, Object>> waveReports = new ArrayList<>();
        long failed = 0;
        for (int w = 0; w < waves; w++) {
            wave = w + 1;
            phase = "wave " + wave;
            ProcessSampler.Sample before = sample();
            Ramp ramp = ramp(options.connections, couples, ClientConnection.NO_LISTENER);
            current = ramp;
            ramp.await();
            ProcessSampler.Sample afterRamp = sample();
            after(hold).join();
            ProcessSampler.Sample afterHold = sample();
            closeAll(ramp.clients);
            ProcessSampler.Sample afterClose = sample();
            failed += ramp.failed.sum();
            Map<String, Object> m = ramp.toMap();
            m.put("wave", w + 1);
            if (before != null && afterRamp != null && afterHold != null && afterClose != null) {
                Map<String, Object> server = new LinkedHashMap<>();
                server.put("pid", sampler.pid());
                // CPU over the ramp covers the handshakes and auth; RSS over the ramp is what the
                // server holds per open, authenticated connection.
                server.put("ramp", ProcessSampler.cost(before, afterRamp, ramp.succeeded.sum(), "handshakes"));
                server.put("hold", ProcessSampler.cost(afterRamp, afterHold, ramp.succeeded.sum(), "connections"));
                server.put("close", ProcessSampler.cost(afterHold, afterClose, ramp.succeeded.sum(), "connections"));
                m.put("server", server);
            }
            waveReports.add(m);
        }
        report.put("waves", waveReports);
        // The first wave's numbers at top level too: the common single-wave case reads flat.
        report.put("result", waveReports.get(0));
        return failed == 0 ? EXIT_OK : EXIT_FAILURES;
    }

    @Override
    @SuppressWarnings("unchecked")
    String summary() {
        StringBuilder s = new StringBuilder();
        s.append(String.format("connect %s: %d connections at %.0f/s, hold %s, %d wave(s)%n", options.target,
                options.connections, options.connectRate, hold, waves));
        for (Map<String, Object> w : (List<Map<String, Object>>) report.get("waves")) {
            Map<String, Object> hs = (Map<String, Object>) w.get("handshakes");
            Map<String, Object> lat = (Map<String, Object>) w.get("latency_us");
            s.append(String.format("  wave %s: %s ok, %s failed %s; launched %s/s, completed %s/s; handshakes full %s resumed %s unknown %s %s%n",
                    w.get("wave"), w.get("succeeded"), w.get("failed"), w.get("failures"), w.get("launch_rate_per_s"), w.get("completion_rate_per_s"),
                    hs.get("full"), hs.get("resumed"), hs.get("unknown"), hs.get("protocols")));
            s.append("    tcp connect   ").append(fmt((Map<String, Object>) lat.get("tcp_connect"))).append('\n');
            s.append("    tls handshake ").append(fmt((Map<String, Object>) lat.get("tls_handshake"))).append('\n');
            s.append("    auth          ").append(fmt((Map<String, Object>) lat.get("auth"))).append('\n');
            s.append("    connect->answer ").append(fmt((Map<String, Object>) lat.get("connect_to_answer"))).append('\n');
            Map<String, Object> server = (Map<String, Object>) w.get("server");
            if (server != null) {
                Map<String, Object> r = (Map<String, Object>) server.get("ramp");
                s.append(String.format("    server pid %s: ramp cpu %s µs (%s µs/handshake), rss %s -> %s KiB (%s B/connection)%n",
                        server.get("pid"), r.get("cpu_us"), r.get("cpu_us_per_handshake"), r.get("rss_kib_before"),
                        r.get("rss_kib_after"), r.get("rss_delta_bytes_per_handshake")));
            }
        }
        s.append("  exit code ").append(report.get("exit_code")).append('\n');
        return s.toString();
    }
}
