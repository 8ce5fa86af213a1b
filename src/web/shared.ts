// What the web app's screens share: the API client (with the login's token
// kept in localStorage), the visitor's fingerprint and saved room sessions,
// and how amounts and errors read.
import { ApiFailure, ChatPopApi, type Session } from "@chatpop-edge/client";

export const api = new ChatPopApi("");
export const REACTIONS = ["👍", "❤️", "😂", "🔥"];

// The anonymous visitor's stable id, and per-room sessions so a reload keeps the seat.
export function fingerprint(): string {
  let fp = localStorage.getItem("chatpop:fingerprint");
  if (!fp) localStorage.setItem("chatpop:fingerprint", (fp = crypto.randomUUID()));
  return fp;
}
export const sessionKey = (code: string) => `chatpop:session:${code}`;
export const savedSession = (code: string): Session | null => JSON.parse(localStorage.getItem(sessionKey(code)) ?? "null");
/** Logging out ends the room sessions the login minted: forget them all. */
export function forgetSessions() {
  for (const key of Object.keys(localStorage)) if (key.startsWith("chatpop:session:")) localStorage.removeItem(key);
}
api.token = localStorage.getItem("chatpop:token");

export const errorText = (e: unknown) => (e instanceof ApiFailure ? e.message : e instanceof Error ? e.message : String(e));

export const usd = (cents: number) => `$${(cents / 100).toFixed(cents % 100 === 0 ? 0 : 2)}`;
export const TIP_AMOUNTS = [100, 200, 500, 1000, 2000];

/** What a purchase answer means for the buyer: paid (200), or waiting for the card (402). */
export function paymentNotice(what: string, answer: { transaction: { status: string; amount_cents: number } }): string {
  return answer.transaction.status === "pending"
    ? `${what}: payment of ${usd(answer.transaction.amount_cents)} pending — confirm it with your card to finish.`
    : `${what}: paid ${usd(answer.transaction.amount_cents)}.`;
}

/** How this server takes card payments: Stripe's publishable key and Stripe.js, when Stripe is used. */
export const payments = api.service().then((s) => s.payments, () => null);
let stripeScript: Promise<any> | null = null;

export function loadStripe(src: string): Promise<any> {
  stripeScript ??= new Promise((resolve, reject) => {
    const tag = document.createElement("script");
    tag.src = src;
    tag.onload = () => resolve((window as any).Stripe);
    tag.onerror = () => reject(new Error("Stripe.js could not be loaded; check your connection and try again."));
    document.head.appendChild(tag);
  });
  return stripeScript;
}

