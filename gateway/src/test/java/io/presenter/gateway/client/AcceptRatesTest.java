package io.presenter.gateway.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The token buckets of the accept rates, on a clock the test moves, and what a refusal does to a channel. */
class AcceptRatesTest {

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ClientMeters meters = new ClientMeters(registry);

    @Test
    void aBucketGivesItsBurstThenItsRate() {
        TokenBucket bucket = new TokenBucket(10, 2, nanos::get);

        assertThat(bucket.tryTake()).isTrue();
        assertThat(bucket.tryTake()).isTrue();
        assertThat(bucket.tryTake()).as("burst spent").isFalse();
        advance(99);
        assertThat(bucket.tryTake()).as("a token takes 100 ms").isFalse();
        advance(1);
        assertThat(bucket.tryTake()).isTrue();
        advance(10_000);
        assertThat(bucket.tryTake()).isTrue();
        assertThat(bucket.tryTake()).isTrue();
        assertThat(bucket.tryTake()).as("never more than the burst saved up").isFalse();
    }

    @Test
    void connectionsAboveTheHandshakeRateAreClosedAtAcceptAndCounted() throws Exception {
        AcceptRates rates = new AcceptRates(50, 0, 16, nanos::get, meters);  // a burst of 5 (a tenth of a second)

        int admitted = 0;
        for (int i = 0; i < 8; i++) {
            EmbeddedChannel channel = new EmbeddedChannel();
            if (rates.admit(channel, address("192.0.2.1"))) {
                admitted++;
                assertThat(channel.isOpen()).isTrue();
            } else {
                assertThat(channel.isOpen()).as("closed at once").isFalse();
            }
            channel.finishAndReleaseAll();
        }
        assertThat(admitted).isEqualTo(5);
        assertThat(closed(AcceptRates.OVER_HANDSHAKE_RATE)).isEqualTo(3);

        advance(20);  // one more token at 50/s
        assertThat(rates.admit(new EmbeddedChannel(), address("192.0.2.1"))).isTrue();
        assertThat(rates.admit(new EmbeddedChannel(), address("192.0.2.1"))).isFalse();
    }

    @Test
    void oneAddressAboveItsRateIsRefusedWithoutSpendingTheOthersShare() throws Exception {
        AcceptRates rates = new AcceptRates(10, 2, 16, nanos::get, meters);  // overall a burst of 1; 2 per address

        assertThat(rates.admit(new EmbeddedChannel(), address("192.0.2.1"))).isTrue();
        advance(100);
        assertThat(rates.admit(new EmbeddedChannel(), address("192.0.2.1"))).isTrue();
        advance(100);  // the overall token is back; the address has 0.4 of one
        assertThat(rates.admit(new EmbeddedChannel(), address("192.0.2.1"))).as("third in 200 ms from one address")
                .isFalse();
        assertThat(closed(AcceptRates.OVER_ADDRESS_RATE)).isEqualTo(1);
        assertThat(rates.admit(new EmbeddedChannel(), address("192.0.2.2"))).as("the overall token was not spent")
                .isTrue();
        assertThat(closed(AcceptRates.OVER_HANDSHAKE_RATE)).isZero();
    }

    @Test
    void perAddressStateIsBoundedAndForgetsTheLeastRecentlySeen() throws Exception {
        AcceptRates rates = new AcceptRates(0, 1, 3, nanos::get, meters);

        for (int i = 1; i <= 10; i++) {
            assertThat(rates.admit(new EmbeddedChannel(), address("192.0.2." + i))).isTrue();
        }
        assertThat(rates.trackedAddresses()).isEqualTo(3);
        assertThat(rates.admit(new EmbeddedChannel(), address("192.0.2.10"))).as("still tracked").isFalse();
        assertThat(rates.admit(new EmbeddedChannel(), address("192.0.2.1")))
                .as("evicted: starts again with a full bucket, erring towards admitting").isTrue();
    }

    @Test
    void noLimitsAdmitEverything() throws Exception {
        AcceptRates rates = new AcceptRates(0, 0, 16, nanos::get, meters);
        for (int i = 0; i < 1_000; i++) {
            assertThat(rates.admit(new EmbeddedChannel(), address("192.0.2.1"))).isTrue();
        }
        assertThat(rates.trackedAddresses()).isZero();
    }

    private void advance(long millis) {
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(millis));
    }

    private double closed(String reason) {
        return registry.counter(ClientMeters.CONNECTIONS_CLOSED, "reason", reason, ClientMeters.TRANSPORT, ClientMeters.TCP).count();
    }

    private static InetAddress address(String ip) throws UnknownHostException {
        return InetAddress.getByName(ip);
    }
}
