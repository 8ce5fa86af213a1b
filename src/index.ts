// Worker entry: the Hono app handles HTTP; each chat code maps to a ChatRoom Durable
// Object; the daily Cron Trigger runs the retention job.
import { app } from "./app";
import { runRetention } from "./features/retention/job";

export { ChatRoom } from "./room/chat-room";
export { ChatRelay } from "./room/chat-relay";

export default {
  fetch: app.fetch,
  scheduled(controller, env, ctx) {
    ctx.waitUntil(runRetention(env, controller.scheduledTime));
  },
} satisfies ExportedHandler<Env>;
