/*
 * The mux wire: presenter <-> chat server. One TCP connection carries many streams, each one
 * client's byte stream, in the manner of SPDY/HTTP/2.
 *
 * Framing: every frame is a 4-byte big-endian length followed by one MuxFrame encoded with
 * Thrift's compact protocol. `data` is field 1 so a data frame starts with the constant header
 * byte 0x1C; the codec writes and reads that layout by hand to avoid copying payloads, and tests
 * prove its bytes are exactly libthrift's.
 *
 * Stream ids: odd, chosen by the opener (the presenter), strictly increasing, never reused.
 * Stream id 0 names the connection (window updates).
 */
namespace java io.presenter.protocol.wire

const i32 PROTOCOL_VERSION = 1

/**
 * Settings.features bits. A side sets a bit only if it implements the feature; a feature is used
 * on a connection only when both sides' Settings set its bit, so a peer built before the feature
 * existed (features unset) never receives its frames or fields: old peers fail closed, never misread.
 */
/** Handover frames (chat server -> presenter) and handed-over OpenStreams (presenter -> chat server). */
const i32 FEATURE_HANDOVER = 1

/** First frame each side sends; everything in it is a limit the sender will hold the peer to. */
struct Settings {
  1: required i32 protocolVersion
  /** Bytes the sender will accept per stream before granting more credit. */
  2: required i32 initialStreamWindow
  /** Largest data payload the sender accepts in one frame. */
  3: required i32 maxFramePayload
  4: required i32 maxConcurrentStreams
  /** The sender pings after this much silence and closes after twice this without an answer. */
  5: required i32 keepaliveIntervalMillis
  /** Presenter id or chat-server member id, for logs and metrics. */
  6: optional string peerId
  /** Bytes the sender will accept on the whole connection before granting more credit. */
  7: optional i32 initialConnectionWindow
  /** Bitwise OR of the FEATURE_* constants the sender implements; unset = none. */
  8: optional i32 features
}

/** Opens a stream carrying one end client's bytes. */
struct OpenStream {
  1: required i32 streamId
  /** The couple id: the shard key the presenter routed on. */
  2: required i64 shardKey
  /** Version of the ring the presenter used; a server on a newer ring may answer WRONG_SHARD. */
  3: required i64 ringVersion
  /** The end client's address as "ip:port" ("[v6]:port" for IPv6). */
  4: optional string clientAddress
  5: optional string presenterId
  /** 0 on the first try; counts retries after WRONG_SHARD. */
  6: optional i32 attempt
  /**
   * Set only when the stream continues a session handed over by the couple's previous owner
   * (a Handover frame), and only towards a peer whose Settings have FEATURE_HANDOVER: the
   * `state` and `mac` of that frame, byte for byte. The stream's bytes then start with the
   * client's original auth packet, followed by the client bytes after those the old owner consumed;
   * the receiver must not answer the auth packet with an AuthResult.
   */
  7: optional HandoverTicket handover
}

/** A chat server's sealed session state, opaque to presenters, which only carry it. */
struct HandoverTicket {
  /** Chat-server defined, at most the receiver's state cap (the stub: 4 KiB). */
  1: required binary state
  /** Authenticates `state` among chat servers (the stub: HMAC-SHA256 with a key presenters lack). */
  2: required binary mac
}

/**
 * Chat server -> presenter, only if the presenter's Settings have FEATURE_HANDOVER. Ends the
 * stream in both directions like a Reset, but gracefully: every data frame the sender sent on the
 * stream comes before it (frame order is per connection) and must reach the client before anything
 * from the new owner. The presenter opens a stream for the same client at `newOwner` with
 * `ticket` in its OpenStream, sends the auth packet again, then the client's stream bytes from
 * offset `consumedBytes` on (stream offset 0 is the first byte of the auth packet).
 */
struct Handover {
  1: required i32 streamId
  /** Member id of the couple's new owner. */
  2: required string newOwner
  /** The ring version under which `newOwner` owns the couple (the presenter's OpenStream names it). */
  3: required i64 ringVersion
  /** Stream bytes the sender consumed, always a client packet boundary, auth packet included. */
  4: required i64 consumedBytes
  5: required HandoverTicket ticket
}

struct StreamData {
  1: required i32 streamId
  2: required binary payload
}

/** The sender will send no more data on this stream (FIN); it still reads. */
struct HalfClose {
  1: required i32 streamId
}

enum ResetCode {
  CANCEL = 1,
  REFUSED = 2,
  WRONG_SHARD = 3,
  SHARD_MOVED = 4,
  GOING_AWAY = 5,
  PROTOCOL_ERROR = 6,
  FLOW_CONTROL_ERROR = 7,
  INTERNAL = 8,
  AUTH_FAILED = 9,
}

/**
 * Abruptly ends a stream in both directions. `code` is optional only so that a code added by a
 * newer peer decodes (as unset) instead of failing the frame; senders always set it, and a
 * receiver reads an unset code as INTERNAL.
 */
struct Reset {
  1: required i32 streamId
  2: optional ResetCode code
  3: optional string reason
  /** WRONG_SHARD / SHARD_MOVED: the member the sender believes owns the shard key. */
  4: optional string ownerHint
  /** WRONG_SHARD / SHARD_MOVED: the ring version the sender decided on. */
  5: optional i64 ringVersion
}

/** Grants the peer `increment` more bytes of send credit; streamId 0 = the connection window. */
struct WindowUpdate {
  1: required i32 streamId
  2: required i32 increment
}

struct Ping {
  1: required i64 opaque
  2: required bool ack
}

/**
 * No stream above `lastStreamId` will be processed. With `drain`, streams at or below it go on
 * until they end, and the receiver answers with GoAwayAck and opens nothing more.
 */
struct GoAway {
  1: required i32 lastStreamId
  2: required bool drain
  /** Always sent; optional for the same forward-compatibility reason as Reset.code. */
  3: optional ResetCode code
  4: optional string reason
}

struct GoAwayAck {
  1: required i32 lastStreamId
}

union MuxFrame {
  1: StreamData data
  2: Settings settings
  3: OpenStream open
  4: HalfClose halfClose
  5: Reset reset
  6: WindowUpdate windowUpdate
  7: Ping ping
  8: GoAway goAway
  9: GoAwayAck goAwayAck
  /** Only between peers that both announced FEATURE_HANDOVER. */
  10: Handover handover
}
