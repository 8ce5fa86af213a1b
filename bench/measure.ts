// What every benchmark script shares: percentiles, figures as the reports print
// them, and opening a client socket.
import { WebSocket } from "ws";

/** The p-th percentile of `values` (NaN when there are none). */
export function pct(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Milliseconds as a report prints them ("–" for none). */
export const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(n < 10 ? 2 : 1) : "–");

/** a ÷ b as a report prints it ("–" when b is 0). */
export const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : "–");

/** Resolves once the socket has received `n` message frames (a resume's backlog, say). */
/**
 * Opens a socket and resolves when `n` message frames came on it. Counted from the socket's
 * creation: a resume's backlog can arrive in the same read as the upgrade's answer, and ws emits
 * those frames before an `await openSocket(...)` could add a listener.
 */
export function openReceiving(url: string, n: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    let got = 0;
    ws.on("message", (data: Buffer) => {
      if (JSON.parse(String(data)).type === "message" && ++got === n) resolve(ws);
    });
    ws.once("error", reject);
  });
}

/** A message to every receiver: resolves when all of them got a message whose content is `marker`. */
export function allReceive(receivers: WebSocket[], marker: string): Promise<void> {
  return new Promise((resolve) => {
    let left = receivers.length;
    for (const r of receivers) {
      const on = (d: Buffer) => {
        if (JSON.parse(String(d)).content === marker) {
          r.off("message", on);
          if (--left === 0) resolve();
        }
      };
      r.on("message", on);
    }
  });
}

/** A client socket, once it is open (no compression: the room's frames are measured as sent). */
export function openSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}
