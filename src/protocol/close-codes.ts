// WebSocket close codes the room and the upgrade route use. A client stops
// reconnecting for good on the ones in FINAL_CLOSE_CODES.

export const CLOSE_NORMAL = 1000;
/** Too many frames, too many sockets, or a room that is full. */
export const CLOSE_POLICY = 1008;
/** A frame over FRAME_MAX_BYTES. */
export const CLOSE_TOO_LARGE = 1009;
/** The upgrade carried no session token. */
export const CLOSE_NO_TOKEN = 4001;
/** The session token is invalid, expired, or for another room. */
export const CLOSE_BAD_TOKEN = 4003;
/** The host banned this participant (a `kicked` frame comes first). */
export const CLOSE_BANNED = 4403;
/** The socket's relay lost messages it could not recover: reconnect with last_seq to resume (not final). */
export const CLOSE_RESTART = 1012;
/** The socket sent no frame and no keep-alive for SOCKET_IDLE_SECONDS and a new socket needed its seat (not final: reconnect, then keep pinging). */
export const CLOSE_IDLE = 4408;

export const FINAL_CLOSE_CODES: readonly number[] = [CLOSE_NO_TOKEN, CLOSE_BAD_TOKEN, CLOSE_BANNED, CLOSE_POLICY];

/** Codes a peer may receive but never send back (RFC 6455 §7.4.1): a close answering them uses 1000. */
export const RESERVED_CLOSE_CODES: readonly number[] = [1005, 1006, 1015];
