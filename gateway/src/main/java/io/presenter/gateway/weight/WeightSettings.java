package io.presenter.gateway.weight;

import java.net.URI;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * How this presenter publishes its load as the weight of its Route53 weighted record(s), validated
 * on construction. One component per config key, in the order of the config file; see
 * {@code deploy/route53.md} for what each knob does to the fleet.
 *
 * @param enabled {@code weight.enabled}, default {@code false}: nothing is published (and the
 *     daemon says so at startup) unless this is {@code true}
 * @param hostedZoneId {@code weight.hosted-zone-id}, no default; required when enabled. A
 *     {@code /hostedzone/} prefix, as the API returns ids, is dropped
 * @param recordName {@code weight.record-name}, e.g. {@code chat.example.com.}; required when
 *     enabled. Stored with its trailing dot, the form Route53 answers with
 * @param recordTypes {@code weight.record-types}, default {@code [A]}: {@code A} and/or
 *     {@code AAAA}; one weighted record set per type, all with the same weight
 * @param addresses {@code weight.addresses}, no default: this presenter's public IPv4/IPv6
 *     addresses, the value of the record(s); each configured type needs at least one. Or
 *     {@code [instance-metadata]} ({@link #FROM_INSTANCE_METADATA}): the daemon reads them from EC2
 *     instance metadata at start ({@link #withAddresses}); nothing is published before
 * @param setIdentifier {@code weight.set-identifier}, default the presenter id ({@code null} here
 *     means "use the presenter id"); tells this presenter's record apart from the others of the name
 * @param ttl {@code weight.ttl}, default {@code 60s}: the record TTL, whole seconds. Also how long
 *     resolvers may keep sending clients after a drain published weight 0
 * @param interval {@code weight.interval}, default {@code 10s}: how often load is sampled (and at
 *     most how often a changed weight is published)
 * @param refreshInterval {@code weight.refresh-interval}, default {@code 5m}: the weight is
 *     republished this often even if unchanged, which repairs a record edited by hand or lost
 * @param jitter {@code weight.jitter}, default {@code 0.2}: each sampling delay is
 *     {@code interval * (1 ± jitter)}, uniformly, so a fleet started together does not call Route53
 *     in lockstep; 0 to 1
 * @param threshold {@code weight.threshold}, default {@code 8}: the smallest weight change worth a
 *     publish (hysteresis); 1 to {@code max}
 * @param max {@code weight.max}, default {@code 200}: the weight at zero load; at most 255
 *     (Route53's limit). Below 255 leaves room to favour a presenter by hand
 * @param capacity {@code weight.capacity}, default {@code 0}: the connection count at which the
 *     connection term reaches full load; 0 means {@code limits.max-connections} (see
 *     {@link #capacityOr(int)})
 * @param cpuTarget {@code weight.cpu-target}, default {@code 0.8}: the process CPU share of the
 *     machine (0..1] that counts as full load
 * @param smoothing {@code weight.smoothing}, default {@code 0.3}: the EWMA alpha (0..1], the weight
 *     of the newest sample; 1 means no smoothing
 * @param endpoint {@code weight.endpoint}, default none ({@code null}): overrides the Route53
 *     endpoint URL, for tests against moto or a proxy
 * @param region {@code weight.region}, default {@code aws-global}: the SDK region; Route53 is a
 *     global service signed in us-east-1, which {@code aws-global} selects
 */
public record WeightSettings(
        boolean enabled,
        String hostedZoneId,
        String recordName,
        List<RecordType> recordTypes,
        List<String> addresses,
        String setIdentifier,
        Duration ttl,
        Duration interval,
        Duration refreshInterval,
        double jitter,
        int threshold,
        int max,
        int capacity,
        double cpuTarget,
        double smoothing,
        URI endpoint,
        String region) {

    /** Route53's largest weight. */
    public static final int ROUTE53_MAX_WEIGHT = 255;
    /** Route53's longest set identifier. */
    public static final int ROUTE53_MAX_SET_IDENTIFIER = 128;

    /** The prefix of the ids the Route53 API returns; stripped, so either form may be configured. */
    private static final String HOSTED_ZONE_PREFIX = "/hostedzone/";

    /** The {@code weight.addresses} entry that asks for this instance's addresses from EC2 instance metadata. */
    public static final String FROM_INSTANCE_METADATA = "instance-metadata";

    public static final List<RecordType> DEFAULT_RECORD_TYPES = List.of(RecordType.A);
    /** Short, so clients stop arriving soon after a weight change or a drain. */
    public static final Duration DEFAULT_TTL = Duration.ofSeconds(60);
    /** Fast enough to follow a reconnect storm, slow enough for a large fleet (deploy/route53.md). */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);
    public static final Duration DEFAULT_REFRESH_INTERVAL = Duration.ofMinutes(5);
    public static final double DEFAULT_JITTER = 0.2;
    /** About 4% of the default max: small load wobbles do not become Route53 changes. */
    public static final int DEFAULT_THRESHOLD = 8;
    public static final int DEFAULT_MAX = 200;
    /** 0: take {@code limits.max-connections}. */
    public static final int DEFAULT_CAPACITY = 0;
    /** Headroom for TLS handshake bursts: at 80% CPU a presenter already counts as full. */
    public static final double DEFAULT_CPU_TARGET = 0.8;
    /** With a 10s interval, a step in load shows 66% in the weight after 30s and 97% after 100s. */
    public static final double DEFAULT_SMOOTHING = 0.3;
    public static final String DEFAULT_REGION = "aws-global";

    public WeightSettings {
        recordTypes = List.copyOf(Objects.requireNonNull(recordTypes, "weight.record-types"));
        if (recordTypes.isEmpty()) {
            throw new IllegalArgumentException("weight.record-types must name A and/or AAAA");
        }
        if (EnumSet.copyOf(recordTypes).size() != recordTypes.size()) {
            throw new IllegalArgumentException("weight.record-types names a type twice: " + recordTypes);
        }
        addresses = List.copyOf(Objects.requireNonNull(addresses, "weight.addresses"));
        boolean fromInstanceMetadata = addresses.equals(List.of(FROM_INSTANCE_METADATA));
        Set<RecordType> families = EnumSet.noneOf(RecordType.class);
        if (!fromInstanceMetadata) {
            for (String address : addresses) {
                families.add(RecordType.of(address));
            }
        }
        if (setIdentifier != null
                && (setIdentifier.isBlank() || setIdentifier.length() > ROUTE53_MAX_SET_IDENTIFIER)) {
            throw new IllegalArgumentException("weight.set-identifier must be 1 to "
                    + ROUTE53_MAX_SET_IDENTIFIER + " characters, got '" + setIdentifier + "'");
        }
        requirePositive(ttl, "weight.ttl");
        if (ttl.toSeconds() < 1 || ttl.toSeconds() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("weight.ttl must be 1s to " + Integer.MAX_VALUE + "s, got " + ttl);
        }
        requirePositive(interval, "weight.interval");
        requirePositive(refreshInterval, "weight.refresh-interval");
        if (refreshInterval.compareTo(interval) < 0) {
            throw new IllegalArgumentException("weight.refresh-interval (" + refreshInterval
                    + ") must not be shorter than weight.interval (" + interval + ")");
        }
        requireFraction(jitter, "weight.jitter", true);
        if (max < 1 || max > ROUTE53_MAX_WEIGHT) {
            throw new IllegalArgumentException("weight.max must be 1 to " + ROUTE53_MAX_WEIGHT + ", got " + max);
        }
        if (threshold < 1 || threshold > max) {
            throw new IllegalArgumentException("weight.threshold must be 1 to weight.max (" + max + "), got "
                    + threshold);
        }
        if (capacity < 0) {
            throw new IllegalArgumentException("weight.capacity must be >= 0 (0: limits.max-connections), got "
                    + capacity);
        }
        requireFraction(cpuTarget, "weight.cpu-target", false);
        requireFraction(smoothing, "weight.smoothing", false);
        if (endpoint != null && (!endpoint.isAbsolute() || endpoint.getHost() == null
                || !("http".equals(endpoint.getScheme()) || "https".equals(endpoint.getScheme())))) {
            throw new IllegalArgumentException("weight.endpoint must be an http(s) URL, got " + endpoint);
        }
        Objects.requireNonNull(region, "weight.region");
        if (region.isBlank()) {
            throw new IllegalArgumentException("weight.region must not be blank");
        }
        if (hostedZoneId != null && hostedZoneId.startsWith(HOSTED_ZONE_PREFIX)) {
            hostedZoneId = hostedZoneId.substring(HOSTED_ZONE_PREFIX.length());
        }
        if (recordName != null && !recordName.isBlank() && !recordName.endsWith(".")) {
            recordName = recordName + ".";
        }
        if (enabled) {
            requireText(hostedZoneId, "weight.hosted-zone-id");
            requireText(recordName, "weight.record-name");
            if (addresses.isEmpty()) {
                throw new IllegalArgumentException("weight.addresses is required when weight.enabled is true");
            }
            for (RecordType type : fromInstanceMetadata ? List.<RecordType>of() : recordTypes) {
                if (!families.contains(type)) {
                    throw new IllegalArgumentException("weight.record-types has " + type
                            + " but weight.addresses has no address for it: " + addresses);
                }
            }
            for (RecordType family : families) {
                if (!recordTypes.contains(family)) {
                    throw new IllegalArgumentException("weight.addresses has " + family
                            + " addresses but weight.record-types is " + recordTypes + ": " + addresses);
                }
            }
        }
    }

    /** Publishing off; every other knob at its default. */
    public static WeightSettings defaults() {
        return new WeightSettings(false, null, null, DEFAULT_RECORD_TYPES, List.of(), null, DEFAULT_TTL,
                DEFAULT_INTERVAL, DEFAULT_REFRESH_INTERVAL, DEFAULT_JITTER, DEFAULT_THRESHOLD, DEFAULT_MAX,
                DEFAULT_CAPACITY, DEFAULT_CPU_TARGET, DEFAULT_SMOOTHING, null, DEFAULT_REGION);
    }

    /**
     * Publishing on for {@code recordName} in {@code hostedZoneId} with the given addresses; the
     * record types follow from the addresses' families.
     */
    public WeightSettings enabledFor(String hostedZoneId, String recordName, List<String> addresses) {
        List<RecordType> types = addresses.stream().map(RecordType::of).distinct().sorted().toList();
        return new WeightSettings(true, hostedZoneId, recordName, types.isEmpty() ? recordTypes : types,
                addresses, setIdentifier, ttl, interval, refreshInterval, jitter, threshold, max, capacity,
                cpuTarget, smoothing, endpoint, region);
    }

    /** {@code weight.addresses} as read from instance metadata, in place of {@code [instance-metadata]}. */
    public WeightSettings withAddresses(List<String> value) {
        return new WeightSettings(enabled, hostedZoneId, recordName, recordTypes, value, setIdentifier, ttl,
                interval, refreshInterval, jitter, threshold, max, capacity, cpuTarget, smoothing, endpoint, region);
    }

    /** Whether the addresses are still to be read from instance metadata ({@code weight.addresses: [instance-metadata]}). */
    public boolean addressesFromInstanceMetadata() {
        return addresses.equals(List.of(FROM_INSTANCE_METADATA));
    }

    public WeightSettings withSetIdentifier(String value) {
        return new WeightSettings(enabled, hostedZoneId, recordName, recordTypes, addresses, value, ttl,
                interval, refreshInterval, jitter, threshold, max, capacity, cpuTarget, smoothing, endpoint, region);
    }

    public WeightSettings withTtl(Duration value) {
        return new WeightSettings(enabled, hostedZoneId, recordName, recordTypes, addresses, setIdentifier, value,
                interval, refreshInterval, jitter, threshold, max, capacity, cpuTarget, smoothing, endpoint, region);
    }

    /** Sampling every {@code interval ± jitter}, republishing every {@code refresh}. */
    public WeightSettings withSchedule(Duration interval, Duration refresh, double jitter) {
        return new WeightSettings(enabled, hostedZoneId, recordName, recordTypes, addresses, setIdentifier, ttl,
                interval, refresh, jitter, threshold, max, capacity, cpuTarget, smoothing, endpoint, region);
    }

    /** The policy knobs: see {@link WeightPolicy}. */
    public WeightSettings withPolicy(int threshold, int max, double cpuTarget, double smoothing) {
        return new WeightSettings(enabled, hostedZoneId, recordName, recordTypes, addresses, setIdentifier, ttl,
                interval, refreshInterval, jitter, threshold, max, capacity, cpuTarget, smoothing, endpoint, region);
    }

    public WeightSettings withCapacity(int value) {
        return new WeightSettings(enabled, hostedZoneId, recordName, recordTypes, addresses, setIdentifier, ttl,
                interval, refreshInterval, jitter, threshold, max, value, cpuTarget, smoothing, endpoint, region);
    }

    public WeightSettings withEndpoint(URI value) {
        return new WeightSettings(enabled, hostedZoneId, recordName, recordTypes, addresses, setIdentifier, ttl,
                interval, refreshInterval, jitter, threshold, max, capacity, cpuTarget, smoothing, value, region);
    }

    /** The set identifier to publish under: {@code weight.set-identifier}, else the presenter id. */
    public String setIdentifierOr(String presenterId) {
        return setIdentifier != null ? setIdentifier : Objects.requireNonNull(presenterId, "presenterId");
    }

    /** The connection capacity: {@code weight.capacity}, else {@code maxConnections}. */
    public int capacityOr(int maxConnections) {
        return capacity > 0 ? capacity : maxConnections;
    }

    /** The addresses that go into the record of {@code type}. */
    public List<String> addresses(RecordType type) {
        if (addressesFromInstanceMetadata()) {
            throw new IllegalStateException("weight.addresses [" + FROM_INSTANCE_METADATA
                    + "] was not resolved: the daemon reads them at start");
        }
        return addresses.stream().filter(type::holds).toList();
    }

    private static void requirePositive(Duration d, String key) {
        Objects.requireNonNull(d, key);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(key + " must be positive, got " + d);
        }
    }

    private static void requireFraction(double value, String key, boolean zeroAllowed) {
        if (!(value >= 0 && value <= 1) || (!zeroAllowed && value == 0)) {
            throw new IllegalArgumentException(key + " must be " + (zeroAllowed ? "0" : "above 0") + " to 1, got "
                    + value);
        }
    }

    private static void requireText(String value, String key) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(key + " is required when weight.enabled is true");
        }
    }
}
