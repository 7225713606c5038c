/*
 * The client wire: what a chat client sends to a presenter (and, unchanged, to a chat server).
 *
 * Framing: every packet is a 4-byte big-endian length followed by one ClientPacket encoded with
 * Thrift's compact protocol (exactly Thrift's framed transport). The first packet on a connection
 * must carry `auth`; the presenter parses that one packet and nothing after it, so every other
 * packet kind belongs to the chat service and may change without redeploying presenters.
 *
 * Regenerate Java with protocol/src/main/thrift/regenerate.sh; generated code is committed.
 */
namespace java io.presenter.protocol.wire

/** Signed proof that `userId` may join `coupleId` until `expiresAtEpochSeconds`. */
struct AuthToken {
  /** Which signing key made `signature`; lets keys rotate without invalidating live tokens. */
  1: required string keyId
  2: required i64 expiresAtEpochSeconds
  /** HMAC-SHA256(key, "v1|" + userId + "|" + coupleId + "|" + expiresAtEpochSeconds). */
  3: required binary signature
}

enum ClientPlatform {
  UNKNOWN = 0,
  IOS = 1,
  ANDROID = 2,
  WEB = 3,
  DESKTOP = 4,
  LOADTEST = 5,
}

/** The first packet of every connection. */
struct AuthPacket {
  1: required i64 userId
  /** The couple (two users who talk only to each other); the shard key. */
  2: required i64 coupleId
  3: required AuthToken token
  4: required string clientVersion
  5: optional ClientPlatform platform
  /** Stable per installation; lets the server tell a reconnect from a second device. */
  6: optional string deviceId
  /** Highest couple sequence this device has seen; the server replays what came after. */
  7: optional i64 lastSeenSequence
  8: optional string locale
}

enum AuthStatus {
  OK = 0,
  BAD_SIGNATURE = 1,
  EXPIRED = 2,
  UNKNOWN_KEY = 3,
  MALFORMED = 4,
  WRONG_SHARD = 5,
  SERVER_BUSY = 6,
}

struct AuthResult {
  1: required AuthStatus status
  2: optional string reason
  /** The id of the chat server that took the session. */
  3: optional string serverId
  /** The couple's current highest sequence number. */
  4: optional i64 coupleSequence
}

/** A chat message from a client; `clientMessageId` is unique per sender and makes retries idempotent. */
struct SendMessage {
  1: required i64 clientMessageId
  2: required binary body
  /** Sender's clock when sent, for end-to-end latency measurement. */
  3: optional i64 sentAtMicros
  /** Load tests: deliver back to the sender instead of the partner. */
  4: optional bool echo
}

/** The server accepted a message and gave it the couple's next sequence number. */
struct SendAck {
  1: required i64 clientMessageId
  2: required i64 sequence
}

/** A message delivered to a member of the couple. */
struct Delivery {
  1: required i64 fromUserId
  2: required i64 clientMessageId
  3: required i64 sequence
  4: required binary body
  5: optional i64 sentAtMicros
}

/** The partner came online or went offline. */
struct Presence {
  1: required i64 userId
  2: required bool online
}

/** Application keepalive; the other side answers with the same nonce in `pong`. */
struct Heartbeat {
  1: required i64 nonce
}

enum ErrorCode {
  MESSAGE_TOO_LARGE = 1,
  RATE_LIMITED = 2,
  NOT_AUTHENTICATED = 3,
  PROTOCOL_ERROR = 4,
  SERVER_GOING_AWAY = 5,
  /** The couple now belongs to another chat server; reconnect (through a presenter) to reach it. */
  SHARD_MOVED = 6,
  /**
   * A newer session of the same device (user id and device id) authenticated: this one is over,
   * and nothing it sends from now on is accepted. Do not reconnect on this connection's behalf.
   */
  SESSION_REPLACED = 7,
}

/** The server is about to close (or refused a packet) and says why. */
struct ErrorPacket {
  1: required ErrorCode code
  2: optional string reason
}

union ClientPacket {
  1: AuthPacket auth
  2: AuthResult authResult
  3: SendMessage send
  4: SendAck sendAck
  5: Delivery delivery
  6: Presence presence
  7: Heartbeat ping
  8: Heartbeat pong
  9: ErrorPacket error
}
