package io.presenter.gateway.lifecycle;

import io.presenter.gateway.weight.RecordType;
import io.presenter.gateway.weight.WeightSettings;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * This instance's public addresses from EC2 instance metadata (IMDSv2), for
 * {@code weight.addresses: [instance-metadata]}: the value of the presenter's Route53 record
 * without writing the address into each instance's config. The daemon looks them up when it
 * starts; reading the config (and {@code presenter check-config}) never calls out.
 */
public final class PublicAddresses {

    static final String PUBLIC_IPV4 = "latest/meta-data/public-ipv4";
    static final String IPV6 = "latest/meta-data/ipv6";
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private PublicAddresses() {}

    /**
     * {@code weight} with its addresses read from instance metadata at {@code imds} when it asks
     * for that and publishing is on; else {@code weight} itself.
     */
    public static WeightSettings resolve(WeightSettings weight, URI imds) throws IOException {
        if (!weight.enabled() || !weight.addressesFromInstanceMetadata()) {
            return weight;
        }
        return weight.withAddresses(fromInstanceMetadata(imds, weight.recordTypes()));
    }

    /** One address per record type: the public IPv4 for A, the IPv6 for AAAA. */
    public static List<String> fromInstanceMetadata(URI imds, List<RecordType> types) throws IOException {
        InstanceMetadata metadata = new InstanceMetadata(imds, TIMEOUT);
        List<String> addresses = new ArrayList<>();
        try {
            for (RecordType type : types) {
                addresses.add(metadata.require(type == RecordType.A ? PUBLIC_IPV4 : IPV6));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted reading instance metadata", e);
        } catch (IOException e) {
            throw new IOException("weight.addresses: cannot read this instance's public address from instance metadata at " + imds
                    + " (not on EC2, or no public address?): " + e.getMessage(), e);
        }
        return addresses;
    }
}
