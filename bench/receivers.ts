// A separate process of listening sockets for the open-loop run (the open-loop and hot-path sections),
// so the receivers never share an event loop with the sender. Reads one JSON
// line of settings from argv, opens the sockets, prints "ready", then after
// the run prints one JSON line: the latencies (ms) from each message's send
// time (its content, a timeOrigin-based timestamp) to its arrival here.
import { openSocket } from "./measure.ts";

const { urls, seconds } = JSON.parse(process.argv[2]!) as { urls: string[]; seconds: number };
const now = () => performance.timeOrigin + performance.now();
const latencies: number[] = [];
let measuring = false;

const sockets = await Promise.all(urls.map(openSocket));
for (const s of sockets) {
  s.on("message", (data: Buffer) => {
    const f = JSON.parse(String(data));
    if (f.type === "message" && measuring && /^\d+(\.\d+)?$/.test(String(f.content))) latencies.push(now() - Number(f.content));
  });
}
console.log("ready");
// The sender's warm-up is 1 s; measure the rest, then a moment for the stragglers.
setTimeout(() => (measuring = true), 1000);
setTimeout(() => {
  measuring = false;
  console.log(JSON.stringify({ latencies, expected: urls.length }));
  sockets.forEach((s) => s.close());
  setTimeout(() => process.exit(0), 200);
}, (seconds + 1) * 1000 + 1500);
