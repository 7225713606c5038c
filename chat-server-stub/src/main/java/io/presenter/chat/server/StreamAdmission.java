package io.presenter.chat.server;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelInitializer;
import io.presenter.chat.ChatService;
import io.presenter.chat.ChatSessionHandler;
import io.presenter.protocol.mux.MuxStreamChannel;
import io.presenter.protocol.mux.StreamMetadata;
import io.presenter.protocol.wire.ResetCode;
import io.presenter.ring.RingMember;
import java.util.Optional;

/**
 * The mux front door's per-stream gate: a stream for a couple this server does not own under a
 * ring newer than the presenter's is reset {@code WRONG_SHARD}, naming the owner, so the presenter
 * refreshes and retries before its client notices (a handed-over session: under a ring at least as
 * new, as the handover's target may be stale); every other stream gets the chat stages.
 */
@Sharable
final class StreamAdmission extends ChannelInitializer<MuxStreamChannel> {

    private final ShardOwnership ownership;
    private final ChatService service;
    private final int maxPacketLength;

    StreamAdmission(ShardOwnership ownership, ChatService service, int maxPacketLength) {
        this.ownership = ownership;
        this.service = service;
        this.maxPacketLength = maxPacketLength;
    }

    @Override
    protected void initChannel(MuxStreamChannel stream) {
        StreamMetadata metadata = stream.streamMetadata();
        Optional<RingMember> owner = metadata.handover().isPresent()
                ? ownership.ownerElsewhereForHandover(metadata.shardKey(), metadata.ringVersion())
                : ownership.newerOwnerElsewhere(metadata.shardKey(), metadata.ringVersion());
        if (owner.isPresent()) {
            stream.reset(ResetCode.WRONG_SHARD, "couple " + metadata.shardKey() + " is owned by "
                    + owner.get().id(), owner.get().id(), ownership.ring().version());
            return;
        }
        ChatSessionHandler session = metadata.handover().isPresent()
                ? service.newHandedOverSessionHandler(metadata.shardKey(), metadata.handover())
                : service.newStreamSessionHandler(metadata.shardKey());
        if (session == null) {
            // A ticket this server will not take (counted by the service): the presenter falls
            // back to closing the client, which reconnects.
            stream.reset(ResetCode.REFUSED, "handover refused");
            return;
        }
        // The codec counts the bytes of the whole packets consumed, for the handover if this
        // couple moves on again.
        DirectClientInitializer.addChatStages(stream.pipeline(), session, maxPacketLength);
    }
}
