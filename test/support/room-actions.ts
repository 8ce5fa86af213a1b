// Helpers shared by the room-action suites (host powers, bans, reactions,
// deletion, presence): each drives the public API as a client would.
import { expect } from "vitest";
import { api, join, newRoom, settled, unique } from "./api";

export async function hostedRoom() {
  const { host, room } = await newRoom();
  const hostSession = await join(room.code, host.user.reserved_username, { token: host.token });
  return { host, room, hostSession };
}

export const ban = (code: string, session_token: string, body: Record<string, unknown>) =>
  api("POST", `/api/chats/${code}/bans/`, { body: { session_token, ...body } });

export const listBans = (code: string, session_token: string) =>
  api("GET", `/api/chats/${code}/bans/`, { headers: { "X-Session-Token": session_token } });

export const unban = (code: string, session_token: string, id: string) =>
  api("POST", `/api/chats/${code}/bans/${id}/unban/`, { body: { session_token } });

export const sendRest = (code: string, session_token: string, message: string) =>
  api("POST", `/api/chats/${code}/messages/send/`, { body: { session_token, message } });

export async function roomWithMessage() {
  const { host, room } = await newRoom();
  const hostSession = await join(room.code, host.user.reserved_username, { token: host.token });
  const alice = await join(room.code, "alice_here");
  const bob = await join(room.code, "bob_there");
  const sent = await api("POST", `/api/chats/${room.code}/messages/send/`, {
    body: { message: "react to me", session_token: alice.session_token },
  });
  return { room, hostSession, alice, bob, message: sent.body };
}

export const react = (code: string, id: string, session_token: string, emoji: unknown) =>
  api("POST", `/api/chats/${code}/messages/${id}/react/`, { body: { session_token, emoji } });

export const remove = (code: string, id: string, session_token: string) =>
  api("POST", `/api/chats/${code}/messages/${id}/delete/`, { body: { session_token } });

/** A history page once Postgres has every message the room committed (it gets them just after the broadcast). */
export async function history(code: string) {
  await settled(code);
  return (await api("GET", `/api/chats/${code}/messages/?limit=100`)).body;
}

/** The host opens the back room: $5 a seat, `seats` seats. */
export async function openBackroom(code: string, hostToken: string, seats = 5) {
  const res = await api("POST", `/api/chats/${code}/backroom/`, {
    body: { enabled: true, price_cents: 500, seat_limit: seats },
    headers: { "X-Session-Token": hostToken },
  });
  expect(res.status).toBe(200);
}

/** A back-room seat purchase, with a fresh Idempotency-Key. */
export const buySeat = (code: string, token: string, extra: Record<string, string> = {}) =>
  api("POST", `/api/chats/${code}/backroom/join/`, {
    body: {},
    headers: { "X-Session-Token": token, "Idempotency-Key": unique("seat-"), ...extra },
  });
