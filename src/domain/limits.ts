// Limits shared by the HTTP and WebSocket paths.
export const MESSAGE_MAX_CHARS = 4000;
/** A frame larger than this closes the socket with 1009. */
export const FRAME_MAX_BYTES = 64 * 1024;
export const CLIENT_ID_MAX_CHARS = 64;
/** A request body larger than this (in bytes, counted before it is read) is refused with 413. */
export const BODY_MAX_BYTES = 64 * 1024;
export const HISTORY_DEFAULT_LIMIT = 50;
export const HISTORY_MAX_LIMIT = 100;
/** How many queued sends one database write may carry. */
export const WRITE_BATCH_MAX = 200;
/** Distinct emoji one participant may put on one message (a toggle off frees one). */
export const REACTIONS_PER_MESSAGE_MAX = 6;
