// Worker entry: the Hono app handles HTTP; each chat code maps to a ChatRoom Durable Object.
import { app } from "./app";

export { ChatRoom } from "./room/chat-room";
export { ChatRelay } from "./room/chat-relay";
export default app;
