package io.presenter.gateway.fleet;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What the leader last applied to Route53, in {@code <base-path>/fleet/weights}: per set
 * identifier, the weight Route53 accepted and the presenter state it was computed from. Written
 * after every accepted batch (after INSYNC when it zeroed a draining presenter), so a draining
 * presenter reads here that its zero is in DNS; also an operator's view of the fleet
 * ({@code zkCli get}). About 50 bytes per presenter: 25 KB for 500.
 *
 * @param leader the presenter id of the leader that wrote it
 * @param presenters set identifier to its applied weight and state ({@code GONE} when its node was)
 */
record AppliedWeights(@JsonProperty("format") int format, @JsonProperty("leader") String leader,
        @JsonProperty("presenters") Map<String, Applied> presenters) {

    static final int FORMAT = 1;
    static final String GONE = "GONE";

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    record Applied(@JsonProperty("weight") long weight, @JsonProperty("state") String state) {
    }

    AppliedWeights {
        presenters = new TreeMap<>(presenters == null ? Map.of() : presenters);
    }

    /** Whether the leader has applied weight 0 for {@code setIdentifier} because it is draining. */
    boolean confirmsDrain(String setIdentifier) {
        Applied applied = presenters.get(setIdentifier);
        return applied != null && applied.weight() == 0 && PresenterState.DRAINING.name().equals(applied.state());
    }

    byte[] encode() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Empty when there is nothing there yet or it does not parse (then the drain waits on). */
    static Optional<AppliedWeights> decode(byte[] data) {
        if (data == null || data.length == 0) {
            return Optional.empty();
        }
        try {
            AppliedWeights weights = JSON.readValue(data, AppliedWeights.class);
            return weights.format() == FORMAT ? Optional.of(weights) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
