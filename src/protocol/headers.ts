// The HTTP headers of the public API that clients send (docs/API.md).

/** A room session's token on REST calls (the socket takes it as a subprotocol). */
export const SESSION_TOKEN_HEADER = "X-Session-Token";
/** A private room's access code, for the back room and the insider lookups. */
export const ACCESS_CODE_HEADER = "X-Access-Code";
/** Makes a purchase safe to retry. */
export const IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";
