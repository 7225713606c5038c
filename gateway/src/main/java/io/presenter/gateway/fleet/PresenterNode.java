package io.presenter.gateway.fleet;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.presenter.gateway.weight.LoadSample;
import io.presenter.gateway.weight.RecordType;
import io.presenter.gateway.weight.WeightSettings;
import java.io.IOException;
import java.util.List;
import java.util.Objects;

/**
 * What a presenter says about itself in its ephemeral node {@code <base-path>/presenters/<id>}:
 * the JSON below, a few hundred bytes.
 *
 * <pre>
 * {"format":1,"setIdentifier":"p-1","addresses":["192.0.2.10"],"state":"READY",
 *  "connections":1200,"capacity":50000,"cpu":0.12}
 * </pre>
 *
 * @param format {@value #FORMAT}; a reader skips (and counts) a node of another format rather than
 *     guess what its fields mean. Unknown fields are ignored, so a field can be added without one.
 * @param setIdentifier the Route53 set identifier of its records
 * @param addresses its public IPv4/IPv6 literals: the values of its A/AAAA records (none when it
 *     publishes no weight: it is a member, but has no record)
 * @param connections open client connections
 * @param capacity connections counted as full load (at least 1)
 * @param cpu the process's share of the machine's CPU, 0 to 1
 */
public record PresenterNode(
        @JsonProperty("format") int format,
        @JsonProperty("setIdentifier") String setIdentifier,
        @JsonProperty("addresses") List<String> addresses,
        @JsonProperty("state") PresenterState state,
        @JsonProperty("connections") int connections,
        @JsonProperty("capacity") int capacity,
        @JsonProperty("cpu") double cpu) {

    public static final int FORMAT = 1;
    /** Far above any real node: a bigger one is someone else's data, not parsed at all. */
    static final int MAX_BYTES = 16 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, true)
            .configure(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES, true);

    public PresenterNode {
        addresses = List.copyOf(Objects.requireNonNull(addresses, "addresses"));
    }

    static PresenterNode of(String setIdentifier, List<String> addresses, PresenterState state, LoadSample load) {
        return new PresenterNode(FORMAT, setIdentifier, addresses, state, load.activeConnections(), load.capacity(),
                load.processCpu());
    }

    /** The load the leader weighs (system CPU is not part of the weight, so it is not published). */
    LoadSample load() {
        return new LoadSample(connections, capacity, cpu, 0);
    }

    /** The addresses that go into the record of {@code type}. */
    List<String> addresses(RecordType type) {
        return addresses.stream().filter(type::holds).toList();
    }

    byte[] encode() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Parses and checks a node's data; anything off is a {@link MalformedPresenterNodeException}. */
    static PresenterNode decode(byte[] data) throws MalformedPresenterNodeException {
        if (data == null || data.length == 0) {
            throw new MalformedPresenterNodeException("empty", "no data");
        }
        if (data.length > MAX_BYTES) {
            throw new MalformedPresenterNodeException("too_large", data.length + " bytes");
        }
        PresenterNode node;
        try {
            node = JSON.readValue(data, PresenterNode.class);
        } catch (IOException | RuntimeException e) {
            throw new MalformedPresenterNodeException("unparseable", e.getMessage().lines().findFirst().orElse(""));
        }
        if (node.format != FORMAT) {
            throw new MalformedPresenterNodeException("unsupported_format", "format " + node.format);
        }
        if (node.setIdentifier == null || node.setIdentifier.isBlank()
                || node.setIdentifier.length() > WeightSettings.ROUTE53_MAX_SET_IDENTIFIER) {
            throw new MalformedPresenterNodeException("invalid_field", "setIdentifier '" + node.setIdentifier + "'");
        }
        if (node.state == null) {
            throw new MalformedPresenterNodeException("invalid_field", "no state");
        }
        for (String address : node.addresses) {
            try {
                RecordType.of(address);
            } catch (IllegalArgumentException e) {
                throw new MalformedPresenterNodeException("invalid_field", "address '" + address + "'");
            }
        }
        if (node.connections < 0 || node.capacity < 1 || !(node.cpu >= 0 && node.cpu <= 1)) {
            throw new MalformedPresenterNodeException("invalid_field", "load " + node.connections + "/"
                    + node.capacity + ", cpu " + node.cpu);
        }
        return node;
    }
}
