package io.presenter.gateway.weight;

import io.netty.util.NetUtil;

/** The DNS record types a presenter can publish its address under. */
public enum RecordType {
    /** IPv4 addresses. */
    A,
    /** IPv6 addresses. */
    AAAA;

    /** Parses a {@code weight.record-types} entry ({@code A} or {@code AAAA}, any case). */
    public static RecordType fromConfig(String value) {
        for (RecordType type : values()) {
            if (type.name().equalsIgnoreCase(value.trim())) {
                return type;
            }
        }
        throw new IllegalArgumentException("weight.record-types accepts A and AAAA, not '" + value + "'");
    }

    /**
     * Whether {@code address} (an IP literal) belongs in a record of this type. Literals only: a
     * host name here would need a DNS lookup, and the value of an A/AAAA record is an address.
     */
    public boolean holds(String address) {
        return this == A ? NetUtil.isValidIpV4Address(address) : NetUtil.isValidIpV6Address(address);
    }

    /** The type whose records hold {@code address}, or fails if it is not an IP literal. */
    public static RecordType of(String address) {
        // Netty also accepts "[2001:db8::1]" and "fe80::1%eth0"; neither is a value Route53 takes.
        if (address.indexOf('[') < 0 && address.indexOf('%') < 0) {
            for (RecordType type : values()) {
                if (type.holds(address)) {
                    return type;
                }
            }
        }
        throw new IllegalArgumentException(
                "weight.addresses must be IPv4 or IPv6 literals, not '" + address + "'");
    }
}
