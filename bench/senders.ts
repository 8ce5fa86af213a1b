// A separate process of closed-loop senders for the hot-path section: each
// socket keeps `window` sends in flight (its own acknowledgement, the copy
// with its client_id, frees a slot). Prints "ready" once connected, then
// "measuring" after `warmup` s, "stopped" after `seconds` more (it sends no
// more), and one JSON line: the sends acknowledged while measuring. Runs until killed.
import { openSocket } from "./measure.ts";

const { urls, window, seconds, warmup } = JSON.parse(process.argv[2]!) as { urls: string[]; window: number; seconds: number; warmup: number };
const sockets = await Promise.all(urls.map(openSocket));
let running = true;
let measuring = false;
let acked = 0;
let refused = 0;
sockets.forEach((s, i) => {
  let n = 0;
  const send = () => {
    if (running) s.send(JSON.stringify({ message: String(performance.timeOrigin + performance.now()), client_id: `c${i}-${n++}` }));
  };
  s.on("message", (data: Buffer) => {
    const f = JSON.parse(String(data));
    if (f.type === "message" && typeof f.client_id === "string" && f.client_id.startsWith(`c${i}-`)) {
      if (measuring) acked++;
      send();
    } else if (f.type === "error") {
      refused++;
      setTimeout(send, 50);
    }
  });
  for (let k = 0; k < window; k++) send();
});
console.log("ready");
await new Promise((r) => setTimeout(r, warmup * 1000));
measuring = true;
console.log("measuring");
await new Promise((r) => setTimeout(r, seconds * 1000));
measuring = false;
running = false;
console.log("stopped");
console.log(JSON.stringify({ acked, refused }));
// The sockets stay open until the bench ends this process: closing them is work of its own for
// the server, which must not count as the room's deferred work.
