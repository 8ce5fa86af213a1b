// A flooding participant for the flood section of the benchmark (bench/sections/flood.ts),
// in its own process so it never shares an event loop with the honest senders
// it is measured against. Reads one JSON line of settings from argv: opens the
// socket, sends `frames` junk frames as fast as `ws` takes them, waits for the
// close (or a moment), and does it again until `seconds` are up. Prints one
// JSON line: per round, the close code, how many frames were answered and how
// long the round lasted (the room reads every frame sent before its close).
import WebSocket from "ws";

const { url, frames, seconds } = JSON.parse(process.argv[2]!) as { url: string; frames: number; seconds: number };
const until = Date.now() + seconds * 1000;
const rounds: { code: number | null; answered: number; refusedAtUpgrade: boolean; ms: number }[] = [];
// What a hostile client sends: broken JSON, pings spelled otherwise, frames of unknown types.
const junk = ["not json at all", '{"type": "ping"}', '{"type":"nope"}', "{", '{"message": 7}'];

console.log("ready");
while (Date.now() < until) {
  const round = await new Promise<(typeof rounds)[number]>((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    let answered = 0;
    let opened = false;
    const started = performance.now();
    const done = (code: number | null) =>
      resolve({ code, answered, refusedAtUpgrade: !opened || answered === 0, ms: Math.round(performance.now() - started) });
    const timer = setTimeout(() => {
      ws.terminate();
      done(null);
    }, 5000);
    ws.on("message", () => answered++);
    ws.once("close", (code) => {
      clearTimeout(timer);
      done(code);
    });
    ws.once("error", () => {});
    ws.once("open", () => {
      opened = true;
      for (let i = 0; i < frames && ws.readyState === WebSocket.OPEN; i++) ws.send(junk[i % junk.length]!);
    });
  });
  rounds.push(round);
  await new Promise((r) => setTimeout(r, 100));
}
console.log(JSON.stringify({ rounds }));
process.exit(0);
