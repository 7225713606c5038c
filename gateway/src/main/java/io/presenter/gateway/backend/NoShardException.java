package io.presenter.gateway.backend;

/** The ring has no member at all, so no chat server owns the couple (close reason {@code no_shard}). */
public final class NoShardException extends RuntimeException {

    public NoShardException(long coupleId, long ringVersion) {
        super("no chat server owns couple " + coupleId + " on ring version " + ringVersion, null, false, false);
    }
}
