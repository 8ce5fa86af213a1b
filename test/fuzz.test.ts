// Property-based fuzzing (fast-check) of the room's socket protocol and the
// REST bodies: thousands of random and mutated inputs. The room never throws,
// never broadcasts an invalid message, and its seq stays gapless. The seed is
// fixed in CI (FUZZ_SEED) and random locally; a failure prints it for replay.
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { api, connect, join, newRoom, register, settled, unique } from "./support/api";

const seed = Number((env as unknown as { FUZZ_SEED?: string }).FUZZ_SEED ?? Date.now() % 2 ** 31);

/** Runs the property; a failure names the seed and path to replay it, without printing megabytes of input. */
async function holds<T>(property: fc.IAsyncProperty<T>, numRuns: number) {
  const out = await fc.check(property, { seed, numRuns, endOnFailure: true });
  if (out.failed) {
    const why = out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance);
    throw new Error(`property failed (replay with FUZZ_SEED=${out.seed}, path ${out.counterexamplePath}): ${why.slice(0, 800)}`);
  }
}
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A send the room must accept. */
const validSend = fc.record(
  {
    message: fc.string({ minLength: 1, maxLength: 200 }).filter((s) => s.trim() !== ""),
    client_id: fc.string({ minLength: 1, maxLength: 64 }),
    type: fc.constant("message"),
  },
  { requiredKeys: ["message"] },
);

/** Valid sends with one field broken, replaced or added. */
const mutatedSend = fc.tuple(validSend, fc.constantFrom("message", "client_id", "reply_to_id", "type", "channel", "extra"), fc.jsonValue()).map(
  ([frame, key, value]) => ({ ...frame, [key]: value }),
);

/** A frame: a value to send as JSON (valid or not), or raw text. */
type Fuzzed = { valid: boolean; value: unknown } | { raw: string };

const anyFrame: fc.Arbitrary<Fuzzed> = fc.oneof(
  { arbitrary: validSend.map((value) => ({ valid: true, value })), weight: 3 },
  { arbitrary: mutatedSend.map((value) => ({ valid: false, value })), weight: 3 },
  { arbitrary: fc.jsonValue().map((value) => ({ valid: false, value })), weight: 2 },
  { arbitrary: fc.string({ maxLength: 300 }).map((raw) => ({ raw })), weight: 2 },
  { arbitrary: fc.string({ unit: "binary", maxLength: 300 }).map((raw) => ({ raw })), weight: 1 },
  { arbitrary: fc.constant({ valid: false, value: { message: "x".repeat(4001) } }), weight: 1 },
  { arbitrary: fc.constant({ valid: false, value: { type: "ping" } }), weight: 1 },
);

/**
 * The text to send. String client_ids get the frame's index, so no two frames
 * share one: the exactly-once rule (tested on its own) would otherwise fold them.
 */
function wire(f: Fuzzed, i: number): string {
  if ("raw" in f) return f.raw;
  const v = f.value;
  if (v && typeof v === "object" && !Array.isArray(v) && typeof (v as { client_id?: unknown }).client_id === "string") {
    return JSON.stringify({ ...v, client_id: `${String((v as { client_id: string }).client_id).slice(0, 50)}#${i}` });
  }
  return JSON.stringify(v);
}

function validMessage(m: any): boolean {
  return (
    m.type === "message" &&
    UUID.test(m.id) &&
    Number.isInteger(m.seq) &&
    m.seq > 0 &&
    typeof m.content === "string" &&
    m.content.trim() !== "" &&
    [...m.content].length <= 4000 &&
    typeof m.username === "string" &&
    ["normal", "host", "system"].includes(m.message_type) &&
    Array.isArray(m.reactions) &&
    !Number.isNaN(Date.parse(m.created_at))
  );
}

describe(`fuzzing (seed ${seed})`, () => {
  it("the room survives random and mutated frames: valid messages only, gapless seq", async () => {
    await holds(
      fc.asyncProperty(fc.array(anyFrame, { minLength: 50, maxLength: 150 }), async (frames) => {
        const { room } = await newRoom();
        const sender = await connect(room.code, (await join(room.code)).session_token);
        const observer = await connect(room.code, (await join(room.code)).session_token);
        frames.forEach((f, i) => sender.send(wire(f, i)));
        // Sends are written in order: once the sentinel is broadcast, every earlier send is too.
        const sentinel = `sentinel-${unique()}`;
        sender.send({ message: sentinel, client_id: sentinel });
        await observer.until("the sentinel", () => observer.messages().some((m) => m.content === sentinel), 30_000);

        expect(sender.closed).toBeNull();
        const seen = observer.messages();
        expect(seen.filter((m) => !validMessage(m))).toEqual([]);
        expect(seen.map((m) => m.seq)).toEqual(seen.map((_, i) => i + 1));
        const mustArrive = frames.filter((f) => "valid" in f && f.valid).length;
        expect(seen.length - 1).toBeGreaterThanOrEqual(mustArrive);
        await settled(room.code);
        const history = (await api("GET", `/api/chats/${room.code}/messages/?limit=1`)).body;
        expect(history.messages[0].seq).toBe(seen.length);
        sender.close();
        observer.close();
      }),
      30,
    );
  });

  it("REST endpoints answer random bodies with a JSON error or success, never a 5xx", async () => {
    const { room } = await newRoom();
    const member = await join(room.code);
    const host = await register();
    const targets = [
      { path: "/api/auth/register/" },
      { path: "/api/auth/login/" },
      { path: "/api/chats/create/", token: host.token },
      { path: `/api/chats/${room.code}/join/` },
      { path: `/api/chats/${room.code}/validate-username/` },
      { path: `/api/chats/${room.code}/messages/send/` },
      { path: `/api/chats/${room.code}/bans/` },
      { path: `/api/chats/${room.code}/tip/` },
    ];
    const body = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 200 }),
      fc
        .dictionary(fc.constantFrom("email", "password", "username", "fingerprint", "message", "name", "amount_cents", "reserved_username", "access_code", "session_token", "reply_to_id"), fc.jsonValue())
        .map((d) => JSON.stringify({ session_token: member.session_token, ...d })),
    );
    await holds(
      fc.asyncProperty(fc.constantFrom(...targets), body, async (target, raw) => {
        const res = await api("POST", target.path, { rawBody: raw, token: target.token, headers: { "Content-Type": "application/json", "Idempotency-Key": unique("k") } });
        expect(res.status, `${target.path} ${raw}`).toBeLessThan(500);
        if (res.status >= 400) {
          expect(typeof res.body.error, raw).toBe("string");
          expect(res.body.code, raw).toMatch(/^[A-Z_]+$/);
        }
      }),
      400,
    );
  });
});
