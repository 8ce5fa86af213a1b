// Every Redis key of a room, in one place: the Worker, the Durable Object and
// the operator CLIs (inspect-redis, cache:rebuild) all name keys through here.
// No imports, so Node scripts can load this file as it is.

export const messagesKey = (code: string) => `chat:${code}:messages`;
export const backroomMessagesKey = (code: string) => `chat:${code}:backroom:messages`;
export const pinnedKey = (code: string) => `chat:${code}:pinned`;
/** The window of a channel: the main room's, or the paid back room's. */
export const windowKey = (code: string, channel: "main" | "backroom") =>
  channel === "main" ? messagesKey(code) : backroomMessagesKey(code);
