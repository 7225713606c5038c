package io.presenter.gateway.fleet;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.presenter.gateway.weight.RecordType;
import io.presenter.gateway.weight.Route53WeightPublisher;
import io.presenter.gateway.weight.WeightPolicy;
import io.presenter.gateway.weight.WeightSettings;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.route53.Route53Client;
import software.amazon.awssdk.services.route53.model.Change;
import software.amazon.awssdk.services.route53.model.ChangeAction;
import software.amazon.awssdk.services.route53.model.RRType;
import software.amazon.awssdk.services.route53.model.ResourceRecord;
import software.amazon.awssdk.services.route53.model.ResourceRecordSet;

/**
 * The leader's half of the fleet loop: turns every presenter node into the weight of its records
 * and writes what differs from Route53 as ONE {@code ChangeResourceRecordSets} batch per step.
 *
 * <ul>
 *   <li>READY presenters: the {@link WeightPolicy} (one per presenter: smoothing and hysteresis
 *       against the weight Route53 holds). Not READY or DRAINING: 0.</li>
 *   <li>A record with no node behind it (crashed, partitioned past its session, or stopped):
 *       zeroed at once, deleted {@code fleet.record-grace} after its zero was applied (or after this
 *       leader first saw it at zero).</li>
 *   <li>Only differences are written, so a step that changes nothing calls nothing, a second
 *       leader writing the same view writes nothing, and every UPSERT is idempotent.</li>
 *   <li>What Route53 holds is read ({@code ListResourceRecordSets}) when this presenter becomes
 *       leader, every {@code weight.refresh-interval} (which repairs records edited by hand), and
 *       after any failed batch (which may or may not have been applied).</li>
 *   <li>The leader owns every weighted A/AAAA record of {@code weight.record-name}: a weighted
 *       record there that no presenter node claims is zeroed and later deleted.</li>
 * </ul>
 *
 * <p>Calls do not depend on the fleet's size: at most one batch per {@code weight.interval × (1 -
 * weight.jitter)} (extra steps, when leadership changes or a presenter drains, wait for that too),
 * capped at Route53's
 * 1,000 record elements, an UPSERT counting twice; the rest waits one step, zeros first), plus the
 * occasional read. One batch is in flight at a time. Route53 errors are logged and counted by the
 * publisher, and the next step starts over from a fresh read: they never stop the loop.
 *
 * <p>Steps run on the fleet thread, batch completions on the publisher's: state is guarded by
 * {@code this}.
 */
final class FleetWeightWriter {

    /** Route53's limit on ResourceRecord elements per request; an UPSERT's count twice. */
    static final int MAX_RECORD_ELEMENTS = 1000;
    static final String CHANGES = "presenter.fleet.route53.changes";
    static final String READS = "presenter.fleet.route53.reads";

    private static final Logger log = LoggerFactory.getLogger(FleetWeightWriter.class);

    record RecordKey(String setIdentifier, RecordType type) {
    }

    private final WeightSettings settings;
    private final FleetSettings fleet;
    private final Route53Client client;
    private final Route53WeightPublisher publisher;
    private final BooleanSupplier confirmLeadership;
    private final BooleanSupplier stillLeader;
    private final Consumer<AppliedWeights> appliedSink;
    private final String leaderId;
    private final MeterRegistry registry;

    /** What Route53 holds, as last read or written; null when unknown (read before the next write). */
    private Map<RecordKey, ResourceRecordSet> held;
    private long heldReadNanos;
    private final Map<String, WeightPolicy> policies = new HashMap<>();
    /** Records with no node behind them, since when they are at 0. */
    private final Map<RecordKey, Long> zeroedSince = new HashMap<>();
    /** The state each set identifier's weight was last computed from. */
    private final Map<String, String> states = new HashMap<>();
    private CompletableFuture<Void> inFlight = CompletableFuture.completedFuture(null);
    /** When the last batch was sent; a batch waits until {@link #minSpacingNanos} after it. */
    private long lastBatchNanos;
    private boolean sentAny;
    private final long minSpacingNanos;
    /** What this leader last wrote to {@code fleet/weights}; null before its first write. */
    private AppliedWeights lastApplied;

    /**
     * @param confirmLeadership asked (a ZooKeeper round trip) right before a batch is sent
     * @param stillLeader asked (locally) before each try of a batch
     * @param appliedSink writes {@code fleet/weights}, after each accepted batch
     */
    FleetWeightWriter(WeightSettings settings, FleetSettings fleet, Route53Client client,
            Route53WeightPublisher publisher, String leaderId, BooleanSupplier confirmLeadership,
            BooleanSupplier stillLeader, Consumer<AppliedWeights> appliedSink, MeterRegistry registry) {
        this.settings = settings;
        this.fleet = fleet;
        this.client = client;
        this.publisher = publisher;
        this.leaderId = leaderId;
        this.confirmLeadership = confirmLeadership;
        this.stillLeader = stillLeader;
        this.appliedSink = appliedSink;
        this.registry = registry;
        // The shortest regular tick: extra ticks (a new leader, a drain) never add a call per interval.
        this.minSpacingNanos = Math.round(settings.interval().toNanos() * (1 - settings.jitter()));
    }

    /** Lost the lead: forget everything, a later leadership starts from a fresh read. */
    synchronized void relinquish() {
        held = null;
        policies.clear();
        zeroedSince.clear();
        states.clear();
        lastApplied = null;
    }

    /**
     * What {@code fleet/weights} holds now. Written by another leader (one that was paused, or
     * that raced this one's election) it means Route53 may hold that leader's weights rather than
     * what this one believes: read Route53 again before the next batch, so this leader's view wins
     * at its next step instead of at the next refresh.
     */
    synchronized void noticeApplied(AppliedWeights applied) {
        if (applied != null && !leaderId.equals(applied.leader()) && held != null) {
            log.warn("fleet weights were last written by {}, not by this leader ({}): reading Route53 again",
                    applied.leader(), leaderId);
            held = null;
            lastApplied = null;  // and write fleet/weights again, even if this leader's view is unchanged
        }
    }

    /**
     * One leader step over the valid presenter nodes (by presenter id). Returns the batch sent,
     * the one still in flight, or a completed future when there was nothing to write.
     */
    synchronized CompletableFuture<Void> step(Map<String, PresenterNode> nodes, long nowNanos) {
        if (!inFlight.isDone()) {
            return inFlight;
        }
        if (sentAny && nowNanos - lastBatchNanos < minSpacingNanos) {
            return CompletableFuture.completedFuture(null);  // the next regular tick writes
        }
        if (held == null || nowNanos - heldReadNanos >= settings.refreshInterval().toNanos()) {
            if (!readHeld(nowNanos)) {
                return CompletableFuture.completedFuture(null);
            }
        }
        Map<RecordKey, ResourceRecordSet> desired = desired(nodes);
        List<Change> zeros = new ArrayList<>();
        List<Change> upserts = new ArrayList<>();
        List<Change> deletes = new ArrayList<>();
        boolean drainZero = false;
        for (Map.Entry<RecordKey, ResourceRecordSet> entry : desired.entrySet()) {
            ResourceRecordSet want = entry.getValue();
            ResourceRecordSet have = held.get(entry.getKey());
            zeroedSince.remove(entry.getKey());
            if (have == null || !same(have, want)) {
                Change change = change(ChangeAction.UPSERT, want);
                if (want.weight() == 0 && (have == null || have.weight() != 0)) {
                    zeros.add(change);
                    drainZero |= PresenterState.DRAINING.name().equals(states.get(entry.getKey().setIdentifier()));
                } else {
                    upserts.add(change);
                }
            }
        }
        for (Map.Entry<RecordKey, ResourceRecordSet> entry : held.entrySet()) {
            if (desired.containsKey(entry.getKey())) {
                continue;
            }
            ResourceRecordSet have = entry.getValue();
            states.put(entry.getKey().setIdentifier(), AppliedWeights.GONE);
            if (have.weight() != 0) {
                zeros.add(change(ChangeAction.UPSERT, have.toBuilder().weight(0L).build()));
            } else {
                long since = zeroedSince.computeIfAbsent(entry.getKey(), k -> nowNanos);
                if (nowNanos - since >= fleet.recordGrace().toNanos()) {
                    deletes.add(change(ChangeAction.DELETE, have));
                }
            }
        }
        List<Change> batch = capped(zeros, upserts, deletes);
        if (batch.isEmpty()) {
            writeApplied();  // states may have changed under unchanged weights (a DRAINING presenter already at 0)
            return CompletableFuture.completedFuture(null);
        }
        if (!confirmLeadership.getAsBoolean()) {
            log.info("not sending {} Route53 change(s): no longer the fleet leader", batch.size());
            return CompletableFuture.completedFuture(null);
        }
        String description = "fleet weights by " + leaderId + ": " + zeros.size() + " zero, " + upserts.size()
                + " upsert, " + deletes.size() + " delete" + (batch.size() < zeros.size() + upserts.size()
                        + deletes.size() ? " (capped at " + batch.size() + ")" : "");
        sentAny = true;
        lastBatchNanos = nowNanos;
        CompletableFuture<Void> sent = publisher.publishChanges(batch, description, drainZero, stillLeader);
        inFlight = sent.whenComplete((v, failure) -> applied(batch, failure, description));
        return inFlight;
    }

    /** Zeros first (they protect clients from dead or leaving presenters), then weights, then deletes. */
    private static List<Change> capped(List<Change> zeros, List<Change> upserts, List<Change> deletes) {
        List<Change> batch = new ArrayList<>();
        int elements = 0;
        for (List<Change> group : List.of(zeros, upserts, deletes)) {
            for (Change change : group) {
                int cost = change.resourceRecordSet().resourceRecords().size()
                        * (change.action() == ChangeAction.UPSERT ? 2 : 1);
                if (elements + cost > MAX_RECORD_ELEMENTS) {
                    return batch;
                }
                elements += cost;
                batch.add(change);
            }
        }
        return batch;
    }

    private Map<RecordKey, ResourceRecordSet> desired(Map<String, PresenterNode> nodes) {
        Map<RecordKey, ResourceRecordSet> desired = new LinkedHashMap<>();
        Set<String> present = new HashSet<>();
        for (PresenterNode node : nodes.values()) {
            String setIdentifier = node.setIdentifier();
            present.add(setIdentifier);
            List<RecordType> types = settings.recordTypes().stream()
                    .filter(type -> !node.addresses(type).isEmpty()).toList();
            long published = types.stream()
                    .map(type -> held.get(new RecordKey(setIdentifier, type)))
                    .filter(Objects::nonNull)
                    .mapToLong(ResourceRecordSet::weight).min().orElse(WeightPolicy.UNPUBLISHED);
            WeightPolicy policy = policies.computeIfAbsent(setIdentifier, id -> WeightPolicy.of(settings));
            // Every presenter's load is fed to its policy, ready or not, so its smoothing is warm
            // when it becomes READY; only READY ones get the result.
            int weight = policy.next(node.load(), (int) published);
            if (node.state() != PresenterState.READY) {
                weight = 0;
            }
            states.put(setIdentifier, node.state().name());
            for (RecordType type : types) {
                desired.put(new RecordKey(setIdentifier, type), ResourceRecordSet.builder()
                        .name(settings.recordName())
                        .type(RRType.fromValue(type.name()))
                        .setIdentifier(setIdentifier)
                        .weight((long) weight)
                        .ttl(settings.ttl().toSeconds())
                        .resourceRecords(node.addresses(type).stream()
                                .map(a -> ResourceRecord.builder().value(a).build()).toList())
                        .build());
            }
        }
        // Policies of presenters that are gone and whose records are gone too are not kept.
        policies.keySet().removeIf(id -> !present.contains(id)
                && held.keySet().stream().noneMatch(k -> k.setIdentifier().equals(id)));
        return desired;
    }

    private static boolean same(ResourceRecordSet a, ResourceRecordSet b) {
        return Objects.equals(a.weight(), b.weight()) && Objects.equals(a.ttl(), b.ttl())
                && values(a).equals(values(b));
    }

    private static Set<String> values(ResourceRecordSet r) {
        Set<String> values = new HashSet<>();
        r.resourceRecords().forEach(v -> values.add(v.value()));
        return values;
    }

    private static Change change(ChangeAction action, ResourceRecordSet record) {
        return Change.builder().action(action).resourceRecordSet(record).build();
    }

    private synchronized void applied(List<Change> batch, Throwable failure, String description) {
        if (failure != null) {
            // Maybe applied, maybe not (a timeout), maybe superseded: read Route53 again first.
            held = null;
            return;
        }
        if (held == null) {
            return;
        }
        long now = System.nanoTime();
        for (Change change : batch) {
            ResourceRecordSet r = change.resourceRecordSet();
            RecordKey key = new RecordKey(r.setIdentifier(), RecordType.valueOf(r.typeAsString()));
            count(change.action());
            if (change.action() == ChangeAction.DELETE) {
                held.remove(key);
                zeroedSince.remove(key);
                states.remove(key.setIdentifier());
                log.info("Route53: deleted the record of {} ({}), gone for {}", key.setIdentifier(), key.type(),
                        fleet.recordGrace());
            } else {
                ResourceRecordSet before = held.put(key, r);
                if (r.weight() == 0 && AppliedWeights.GONE.equals(states.get(key.setIdentifier()))) {
                    zeroedSince.put(key, now);
                }
                if (before == null || !Objects.equals(before.weight(), r.weight())) {
                    log.info("Route53 weight {} -> {} for {} ({}, {})", before == null ? "none" : before.weight(),
                            r.weight(), key.setIdentifier(), key.type(), states.get(key.setIdentifier()));
                }
            }
        }
        log.debug("Route53 batch applied: {}", description);
        writeApplied();
    }

    /**
     * Publishes the applied weights in ZooKeeper when they differ from what this leader last wrote;
     * a failure only delays drain confirmations (the next step tries again).
     */
    private void writeApplied() {
        if (held == null) {
            return;
        }
        Map<String, AppliedWeights.Applied> presenters = new TreeMap<>();
        for (Map.Entry<RecordKey, ResourceRecordSet> entry : held.entrySet()) {
            String id = entry.getKey().setIdentifier();
            long weight = entry.getValue().weight();
            AppliedWeights.Applied previous = presenters.get(id);
            if (previous == null || weight < previous.weight()) {
                presenters.put(id, new AppliedWeights.Applied(weight, states.getOrDefault(id, AppliedWeights.GONE)));
            }
        }
        AppliedWeights applied = new AppliedWeights(AppliedWeights.FORMAT, leaderId, presenters);
        if (applied.equals(lastApplied) || !stillLeader.getAsBoolean()) {
            return;
        }
        try {
            appliedSink.accept(applied);
            lastApplied = applied;
        } catch (RuntimeException e) {
            log.warn("fleet weights not written to ZooKeeper: {}", e.toString());
        }
    }

    /** Reads this name's weighted A/AAAA records from Route53 (paginated); false if it failed. */
    private boolean readHeld(long nowNanos) {
        Map<RecordKey, ResourceRecordSet> read = new HashMap<>();
        try {
            for (ResourceRecordSet r : client.listResourceRecordSetsPaginator(b -> b
                            .hostedZoneId(settings.hostedZoneId()).startRecordName(settings.recordName()))
                    .resourceRecordSets()) {
                if (!r.name().equals(settings.recordName())) {
                    break;  // sorted by name: past ours
                }
                if (r.setIdentifier() == null || r.weight() == null
                        || !(r.type() == RRType.A || r.type() == RRType.AAAA)) {
                    continue;
                }
                read.put(new RecordKey(r.setIdentifier(), RecordType.valueOf(r.typeAsString())), r);
            }
        } catch (SdkException e) {
            readCounter("error").increment();
            log.warn("Route53 records of {} not read ({}); the next step tries again", settings.recordName(),
                    e.toString());
            return false;
        }
        readCounter("ok").increment();
        if (held == null) {
            log.info("fleet leader {} read {} weighted record(s) of {} from Route53", leaderId, read.size(),
                    settings.recordName());
        }
        held = read;
        heldReadNanos = nowNanos;
        return true;
    }

    private Counter readCounter(String result) {
        return Counter.builder(READS).description("ListResourceRecordSets reads of the fleet's records by the leader")
                .tag("result", result).register(registry);
    }

    private void count(ChangeAction action) {
        Counter.builder(CHANGES).description("Record changes the fleet leader had applied in Route53")
                .tag("action", action.toString().toLowerCase(java.util.Locale.ROOT)).register(registry).increment();
    }

    /** The weights Route53 holds as this leader knows them, by set identifier (the lowest of its types). */
    synchronized Map<String, Long> heldWeights() {
        Map<String, Long> weights = new TreeMap<>();
        if (held != null) {
            held.forEach((key, r) -> weights.merge(key.setIdentifier(), r.weight(), Math::min));
        }
        return weights;
    }
}
