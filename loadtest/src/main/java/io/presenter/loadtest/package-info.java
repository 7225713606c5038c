/**
 * The load-test harness: many real TLS clients (BoringSSL, epoll) against any endpoint that speaks
 * the client protocol, in open-loop scenarios, with HdrHistogram latencies and a JSON report.
 *
 * <ul>
 *   <li>{@link io.presenter.loadtest.LoadTestCommand}: the {@code loadtest} command line.
 *   <li>{@link io.presenter.loadtest.Scenario}: the orchestration every scenario shares (workers or
 *       this process, scheduler, progress line, server sampling, report), reading
 *       {@link io.presenter.loadtest.ScenarioOptions}, the options they share (a picocli mixin).
 *   <li>{@link io.presenter.loadtest.Connector}: how clients reach the target (event loops, TLS,
 *       tokens, source addresses); {@link io.presenter.loadtest.Ramp}: one open-loop ramp of
 *       connections and its statistics.
 *   <li>{@link io.presenter.loadtest.ConnectScenario}: handshake storms, full vs resumed.
 *   <li>{@link io.presenter.loadtest.ChatScenario}: couples chatting at a total rate, checked for
 *       exactly-once in-order delivery.
 *   <li>{@link io.presenter.loadtest.ClientConnection}: one client; failures land in one reason.
 *   <li>{@link io.presenter.loadtest.Couples}: client index to user and couple ids.
 *   <li>{@link io.presenter.loadtest.LatencyRecorder}, {@link io.presenter.loadtest.ProcessSampler},
 *       {@link io.presenter.loadtest.ReportJson}: latencies, the target's CPU/RSS from /proc, the
 *       report as JSON (Jackson).
 *   <li>{@link io.presenter.loadtest.StormScenario}: drop every client at once (client side or by
 *       the server) and reconnect with jittered exponential backoff, with or without resumption.
 *   <li>{@link io.presenter.loadtest.SoakScenario}: churn + chat for a duration while the target's
 *       RSS, CPU and heap are sampled; slope after warm-up, undelivered messages, stuck gauges. Its
 *       {@link io.presenter.loadtest.PrometheusScrape} reads the target's heap and gauges.
 *   <li>{@link io.presenter.loadtest.Coordinator}, {@link io.presenter.loadtest.WorkerCommand},
 *       {@link io.presenter.loadtest.ResultMerger}: {@code --workers K}.
 *   <li>{@link io.presenter.loadtest.HtmlReport}: {@code --html}, one self-contained page.
 * </ul>
 *
 * <p>Several worker processes ({@code --workers K}, on one host). One process is capped at the
 * open-file limit (20k here) and one core-starved JVM saturates before a presenter does:
 * <ul>
 *   <li>Worker k is this jar's hidden {@code worker} command with the scenario's options, its share
 *       of connections (whole couples, so the exactly-once/in-order check stays local), rates in
 *       proportion, a disjoint {@code --couple-offset} range, and its own {@code --source-addresses}
 *       entries (each source address has its own ephemeral port range).
 *   <li>Workers print one {@code @progress {json}} line per second on stdout; the coordinator sums
 *       them into its progress line and timeline. A worker alive past the scenario's bound + 30 s is
 *       killed (SIGTERM, then SIGKILL) and counted as {@code worker_killed}.
 *   <li>Results merge exactly: counters add, every latency summary carries its whole histogram
 *       ({@code hdr}, HdrHistogram's compressed encoding) and is recomputed from the sum, durations
 *       take the longest. Server cost sections are sampled by every worker over nearly the same
 *       window: the widest is kept and per-unit figures are recomputed over the summed units.
 *   <li>Workers start within a few hundred ms of each other (JVM start), not at one instant; each
 *       storm worker measures from its own first drop.
 * </ul>
 */
package io.presenter.loadtest;
