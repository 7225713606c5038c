package io.presenter.gateway.client;

import io.netty.channel.Channel;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Overload protection at accept (HAProxy's {@code maxsslrate} and {@code rate-limit sessions} per
 * source): new connections above a rate are closed before any TLS work, so that the CPU goes to the
 * handshakes already started and they finish, instead of every handshake of a storm slowing down
 * together until all of them time out.
 *
 * <ul>
 *   <li>{@value #OVER_HANDSHAKE_RATE}: more than {@code maxHandshakeRate} new connections a second
 *       in total (every admitted connection costs a TLS handshake, full or resumed; which one is
 *       only known from its ClientHello, so both count). The bucket holds a tenth of a second's
 *       worth, so a storm is admitted at a steady pace rather than in one-second lumps.</li>
 *   <li>{@value #OVER_ADDRESS_RATE}: more than {@code maxRatePerAddress} a second from one source
 *       address, with a burst of one second's worth. Per-address buckets live in a map bounded to
 *       {@value #MAX_TRACKED_ADDRESSES} addresses, least recently seen evicted first: an evicted
 *       address starts again with a full bucket, which only ever errs towards admitting.</li>
 * </ul>
 *
 * Each refusal is counted in {@code presenter.connections.closed{reason}}; a warning is logged
 * when refusals start, at most once per {@link #WARN_INTERVAL_NANOS}, not once per connection (a
 * log line per refused connection would add to the overload it reports).
 */
final class AcceptRates {

    /** Close reason of a connection refused because the presenter's handshake rate is reached. */
    static final String OVER_HANDSHAKE_RATE = "over_handshake_rate";
    /** Close reason of a connection refused because its source address connects too often. */
    static final String OVER_ADDRESS_RATE = "over_address_rate";
    /** Source addresses whose rate is tracked at once. */
    static final int MAX_TRACKED_ADDRESSES = 65_536;
    private static final long WARN_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private static final Logger log = LoggerFactory.getLogger(AcceptRates.class);

    private final int maxHandshakeRate;
    private final int maxRatePerAddress;
    private final TokenBucket handshakes;
    private final Map<InetAddress, TokenBucket> perAddress;
    private final LongSupplier nanoTime;
    private final ClientMeters meters;
    private final AtomicLong lastWarnNanos;

    /**
     * @param maxHandshakeRate new connections a second in total; 0 for no limit
     * @param maxRatePerAddress new connections a second from one address; 0 for no limit
     * @param maxTrackedAddresses bound of the per-address map ({@value #MAX_TRACKED_ADDRESSES} outside tests)
     */
    AcceptRates(int maxHandshakeRate, int maxRatePerAddress, int maxTrackedAddresses, LongSupplier nanoTime,
            ClientMeters meters) {
        this.maxHandshakeRate = maxHandshakeRate;
        this.maxRatePerAddress = maxRatePerAddress;
        this.nanoTime = nanoTime;
        this.meters = meters;
        this.handshakes = maxHandshakeRate > 0
                ? new TokenBucket(maxHandshakeRate, Math.max(1, maxHandshakeRate / 10.0), nanoTime) : null;
        this.perAddress = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<InetAddress, TokenBucket> eldest) {
                return size() > maxTrackedAddresses;
            }
        };
        this.lastWarnNanos = new AtomicLong(nanoTime.getAsLong() - WARN_INTERVAL_NANOS);
    }

    AcceptRates(int maxHandshakeRate, int maxRatePerAddress, ClientMeters meters) {
        this(maxHandshakeRate, maxRatePerAddress, MAX_TRACKED_ADDRESSES, System::nanoTime, meters);
    }

    /**
     * Lets {@code client} from {@code source} through, or closes it at once and counts why. The
     * address is checked first, so that one address's flood does not spend the shared budget.
     *
     * @param source the end client's address, or null when it is not known yet (then only the
     *     total counts; {@link #admitAddress} checks the address once it is known)
     */
    boolean admit(Channel client, InetAddress source) {
        if (!admitAddress(client, source)) {
            return false;
        }
        if (handshakes != null && !handshakes.tryTake()) {
            refuse(client, OVER_HANDSHAKE_RATE);
            return false;
        }
        return true;
    }

    /** The per-address rate alone, for a client whose address a PROXY header named after accept. */
    boolean admitAddress(Channel client, InetAddress source) {
        if (maxRatePerAddress > 0 && source != null && !bucketOf(source).tryTake()) {
            refuse(client, OVER_ADDRESS_RATE);
            return false;
        }
        return true;
    }

    int maxHandshakeRate() {
        return maxHandshakeRate;
    }

    int maxRatePerAddress() {
        return maxRatePerAddress;
    }

    /** Whether the per-address rate is limited at all. */
    boolean limitsAddresses() {
        return maxRatePerAddress > 0;
    }

    private void refuse(Channel client, String reason) {
        meters.connectionClosed(reason);
        warnNowAndThen(reason);
        if (client.isRegistered()) {
            client.close();
        } else {
            client.unsafe().closeForcibly();  // still on the acceptor: no event loop has seen it
        }
    }

    private TokenBucket bucketOf(InetAddress source) {
        synchronized (perAddress) {
            return perAddress.computeIfAbsent(source,
                    a -> new TokenBucket(maxRatePerAddress, maxRatePerAddress, nanoTime));
        }
    }

    /** Addresses tracked now (at most the bound given at construction). */
    int trackedAddresses() {
        synchronized (perAddress) {
            return perAddress.size();
        }
    }

    private void warnNowAndThen(String refusal) {
        long now = nanoTime.getAsLong();
        long last = lastWarnNanos.get();
        if (now - last >= WARN_INTERVAL_NANOS && lastWarnNanos.compareAndSet(last, now)) {
            log.warn("refusing new connections at accept ({}): limits.max-handshake-rate {}/s, "
                    + "limits.max-connection-rate-per-ip {}/s; every refusal is counted in "
                    + "presenter_connections_closed_total under that reason", refusal, maxHandshakeRate, maxRatePerAddress);
        }
    }
}
