/**
 * The load-test harness: many real TLS clients (BoringSSL, epoll) against any endpoint that speaks
 * the client protocol, in open-loop scenarios, with HdrHistogram latencies and a JSON report.
 *
 * <ul>
 *   <li>{@link io.presenter.loadtest.LoadTestCommand}: the {@code loadtest} command line.
 *   <li>{@link io.presenter.loadtest.Scenario}: what scenarios share (target, TLS, tokens, source
 *       addresses, the connection ramp, scheduler, progress line, server sampling, report).
 *   <li>{@link io.presenter.loadtest.ConnectScenario}: handshake storms, full vs resumed.
 *   <li>{@link io.presenter.loadtest.ChatScenario}: couples chatting at a total rate, checked for
 *       exactly-once in-order delivery.
 *   <li>{@link io.presenter.loadtest.ClientConnection}: one client; failures land in one reason.
 *   <li>{@link io.presenter.loadtest.Couples}: client index to user and couple ids.
 *   <li>{@link io.presenter.loadtest.LatencyRecorder}, {@link io.presenter.loadtest.ProcessSampler},
 *       {@link io.presenter.loadtest.Json}: latencies, the target's CPU/RSS from /proc, the report.
 * </ul>
 *
 * <p>Several worker processes (not built yet). One process on one core-starved box saturates
 * before a presenter does; the way out is N workers, on one or several hosts, coordinated like this:
 * <ul>
 *   <li>Each worker gets a disjoint {@code --couple-offset} range (both members of a couple in the
 *       same worker, so the exactly-once/in-order check stays local) and, on one host, disjoint
 *       {@code --source-addresses} (each source address has its own ephemeral port range).
 *   <li>Each worker gets rate/N and connections/N, and a common start instant (a coordinator would
 *       pass an absolute start time so all ramps begin together; clocks via NTP are good enough at
 *       the millisecond scale of a ramp; latencies never cross processes, so skew does not enter them).
 *   <li>Results merge exactly: counters add, and every latency summary carries its whole histogram
 *       ({@code hdr}, HdrHistogram's compressed encoding) so percentiles are computed over the
 *       merged histogram, never averaged. Server cost is sampled once, by one worker or the
 *       coordinator, around the common phases.
 *   <li>A coordinator is then small: start workers (ssh or a job runner) with their slices, wait for
 *       their JSON files, merge. The pieces above are what makes that possible.
 * </ul>
 */
package io.presenter.loadtest;
