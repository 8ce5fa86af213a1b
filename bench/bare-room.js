// The benchmark's baseline: a Durable Object that broadcasts every frame it
// gets to every socket of its room, with a seq, and stores nothing. Same
// hibernation API and frame shape as the real room, so the difference is the
// cost of persistence (Postgres + Redis) and validation.
import { DurableObject } from "cloudflare:workers";

export class BareRoom extends DurableObject {
  seq = 0;

  async fetch() {
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  async webSocketMessage(ws, data) {
    const frame = JSON.parse(data);
    const message = JSON.stringify({ type: "message", seq: ++this.seq, content: frame.message });
    const own = JSON.stringify({ type: "message", seq: this.seq, content: frame.message, client_id: frame.client_id });
    for (const socket of this.ctx.getWebSockets()) {
      try {
        socket.send(socket === ws ? own : message);
      } catch {}
    }
  }

  async webSocketClose(ws, code, reason) {
    try {
      ws.close(code, reason);
    } catch {}
  }
}

export default {
  fetch(request, env) {
    if (request.headers.get("Upgrade") !== "websocket") return new Response("bare");
    const room = new URL(request.url).pathname.split("/").filter(Boolean).pop() ?? "room";
    return env.BARE.getByName(room).fetch(request);
  },
};
