package io.presenter.gateway.reload;

import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What one reload did; {@code POST /reload} answers it as JSON.
 *
 * @param result applied, unchanged or rejected
 * @param trigger what asked for it: {@code sighup}, {@code admin}, {@code file}
 * @param changed the settings and files that differed from the running ones
 * @param reason why it was rejected; empty otherwise
 */
public record ReloadOutcome(Result result, String trigger, List<String> changed, String reason, Instant at) {

    /** Outcome of a reload, also the {@code result} tag of {@code presenter.reloads}. */
    public enum Result {
        /** The candidate was valid and is now running. */
        APPLIED,
        /** The candidate was valid and equal to what runs; nothing was swapped. */
        UNCHANGED,
        /** The candidate was refused as a whole; what ran before still runs. */
        REJECTED;

        public String tag() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public ReloadOutcome {
        changed = List.copyOf(changed);
    }

    public boolean rejected() {
        return result == Result.REJECTED;
    }

    public String toJson() {
        return "{\"result\":\"" + result.tag() + "\",\"trigger\":" + quote(trigger) + ",\"changed\":["
                + changed.stream().map(ReloadOutcome::quote).collect(Collectors.joining(",")) + "],\"reason\":"
                + quote(reason) + ",\"at\":\"" + at + "\"}";
    }

    private static String quote(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
